"""Worker level: the nameko services in real containers (nameko's container_factory) on a real
RabbitMQ vhost made for each test (nameko's rabbit_config, via the management API), with the
real PostgreSQL and Redis. Runs only under tests/worker/run.py (eventlet-patched)."""

import pytest


@pytest.fixture
def config(rabbit_config):
    return dict(rabbit_config, serializer="json")
