"""Root conftest: isolates every test run from a `make run` stack on the same machine.

Tests use their own database prefix (govops_test_*), Redis database 15, RabbitMQ vhost
`govops_test` and a throwaway signing key; GOVOPS_TEST_NS, GOVOPS_TEST_REDIS_DB and
GOVOPS_TEST_E2E_REDIS_DB move a second concurrent run elsewhere. Unit tests touch none of these servers; integration
and e2e tests use the real local PostgreSQL, RabbitMQ and Redis — never mocks.

tests/worker/ runs in a separate, eventlet-monkey-patched pytest process
(`python tests/worker/run.py`), because grpcio and a monkey-patched process do not mix.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Two test runs on one machine (e.g. two working trees) stay apart by namespace.
NS = os.environ.get("GOVOPS_TEST_NS", "test")
TEST_VHOST = f"govops_{NS}"
TEST_REDIS_DB = int(os.environ.get("GOVOPS_TEST_REDIS_DB", "15"))
E2E_REDIS_DB = int(os.environ.get("GOVOPS_TEST_E2E_REDIS_DB", "13"))
ROOT = Path(__file__).resolve().parents[1]

os.environ.update({
    "GOVOPS_DB_PREFIX": f"govops_{NS}_",
    "GOVOPS_AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{TEST_VHOST}",
    "GOVOPS_REDIS_URL": f"redis://127.0.0.1:6379/{TEST_REDIS_DB}",
    "GOVOPS_KEY_DIR": str(ROOT / ".govops" / f"{NS}-keys"),
    "GOVOPS_LOG_LEVEL": "WARNING",
})

if not os.environ.get("GOVOPS_EVENTLET_TESTS"):
    collect_ignore = ["worker"]


@pytest.fixture(scope="session")
def namespace() -> dict:
    """Names of this run's isolated resources (for fixtures that build their own stacks)."""
    return {"ns": NS, "vhost": TEST_VHOST, "redis_db": TEST_REDIS_DB, "e2e_redis_db": E2E_REDIS_DB}


@pytest.fixture(scope="session")
def keys():
    """A signing key pair for the session; returns (signer, verifier)."""
    from govkit import config
    from govkit.auth import TokenSigner, TokenVerifier, generate_keypair

    s = config.load("ticket")
    generate_keypair(s.private_key_file, s.public_key_file)
    signer = TokenSigner.from_file(s.private_key_file, issuer=s.token_issuer, audience=s.token_audience)
    verifier = TokenVerifier.from_file(s.public_key_file, issuer=s.token_issuer, audience=s.token_audience)
    return signer, verifier


@pytest.fixture(scope="session")
def signer(keys):
    return keys[0]


@pytest.fixture(scope="session")
def verifier(keys):
    return keys[1]


@pytest.fixture(scope="session")
def admin_token(signer):
    return signer.mint("admin", perms=["*"], scopes=[{"unit": "*"}])


@pytest.fixture(scope="session")
def vhost():
    """The test vhost, new for each session like the test databases: queues a previous run left
    behind (with its unconsumed messages, or declared with other arguments) must not leak in."""
    from govkit.stack import delete_vhost, ensure_vhost

    delete_vhost(TEST_VHOST)
    ensure_vhost(TEST_VHOST)
    return TEST_VHOST


@pytest.fixture(scope="session")
def migrated(vhost):
    """Fresh test databases for every service, migrated to head (once per session)."""
    from govkit import config
    from govkit.db import drop_database
    from govkit.migrate import migrate
    from govkit.service import names

    for svc in names():
        drop_database(config.load(svc).database_url)
        migrate(svc)
    return True


@pytest.fixture
def engine_for(migrated):
    """engine_for("ticket") → an engine on that service's test database; tables emptied first.
    (tests/org_units.py `seed_test_units(engine)` then gives its org directory the test government.)"""
    import sqlalchemy as sa

    from govkit import config
    from govkit.db import make_engine

    engines = []

    def make(service: str):
        engine = make_engine(config.load(service).database_url, pool_size=4)
        with engine.begin() as conn:
            tables = conn.execute(sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"
            )).scalars().all()
            if tables:
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        engines.append(engine)
        return engine

    yield make
    for e in engines:
        e.dispose()


@pytest.fixture
def redis_client():
    import redis

    from govkit import config

    client = redis.Redis.from_url(config.load("evaluation").redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.close()


def pytest_collection_modifyitems(items):
    for item in items:
        path = str(item.fspath)
        if "/integration/" in path:
            item.add_marker(pytest.mark.integration)
        if "/e2e/" in path:
            item.add_marker(pytest.mark.e2e)


sys.path.insert(0, str(ROOT))  # so tests can import bench for its smoke test
