"""Integration level: real PostgreSQL, RabbitMQ and Redis; gRPC via a real server on a free port
and a real stub. Nothing here is mocked."""

from __future__ import annotations

import json

import pytest
from kombu import Connection, Exchange, Queue


@pytest.fixture
def grpc_server(verifier, migrated, redis_client):
    """start("ticket", "evaluation") → {svc: target} of in-process gRPC servers on free ports."""
    from govkit import config
    from govkit import service as registry
    from govkit.grpc_server import build_server

    servers, apps = [], []

    def start(*services):
        targets = {}
        for svc in services:
            app = registry.get(svc).load("grpc")(config.load(svc, "grpc"))
            server, port, _ = build_server(app, verifier, address="127.0.0.1:0", max_workers=8)
            server.start()
            servers.append(server)
            apps.append(app)
            targets[svc] = f"127.0.0.1:{port}"
        return targets

    yield start
    for server in servers:
        server.stop(0).wait()
    for app in apps:
        for cb in app.on_stop:
            cb()


@pytest.fixture
def bound_queue(vhost):
    """A fresh queue bound to one service's event exchange; yields a function that drains it."""
    from govkit import config

    conn = Connection(config.load("ticket").amqp_uri)
    created = []

    def bind(service: str, routing_key: str = "#"):
        exchange = Exchange(f"{service}.events", type="topic", durable=True)
        queue = Queue(f"test-{service}-{len(created)}", exchange=exchange, routing_key=routing_key,
                      durable=False, auto_delete=False)
        queue(conn.default_channel).declare()
        queue(conn.default_channel).purge()
        created.append(queue)

        def drain(expected: int, timeout: float = 15.0) -> list[dict]:
            import time

            got, deadline = [], time.monotonic() + timeout
            q = queue(conn.default_channel)
            while len(got) < expected and time.monotonic() < deadline:
                msg = q.get(no_ack=True)
                if msg is None:
                    time.sleep(0.02)
                    continue
                got.append({"body": json.loads(msg.body), "headers": msg.headers,
                            "properties": msg.properties, "routing_key": msg.delivery_info["routing_key"]})
            return got

        return drain

    yield bind
    for q in created:
        q(conn.default_channel).delete()
    conn.release()
