#!/usr/bin/env bash
# Starts whichever of PostgreSQL, Redis and RabbitMQ is not running (with this machine's own start
# commands), enables RabbitMQ's management plugin (nameko's test helpers use its HTTP API) and
# waits until all three answer. Idempotent; used by `make run`, `make test` and .ci/run.
set -euo pipefail

wait_for() {  # wait_for <what> <command...>
  local what=$1; shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "ensure-servers: $what did not come up" >&2
  return 1
}

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "ensure-servers: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
fi
wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "ensure-servers: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping

if ! rabbitmqctl -q status >/dev/null 2>&1; then
  echo "ensure-servers: starting RabbitMQ"
  rabbitmq-server -detached
fi
wait_for RabbitMQ rabbitmqctl -q await_startup
if ! rabbitmq-plugins -q is_enabled rabbitmq_management >/dev/null 2>&1; then
  rabbitmq-plugins -q enable rabbitmq_management
fi
wait_for "RabbitMQ management API" curl -sf -u guest:guest http://127.0.0.1:15672/api/overview
echo "ensure-servers: PostgreSQL, Redis and RabbitMQ are up"
