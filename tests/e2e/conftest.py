"""End-to-end level: all ten processes of the suite as real subprocesses (govkit.stack), driven
only through gRPC and the CLI as an integrator or a newcomer would."""

from __future__ import annotations

import pytest

from govkit.stack import Stack, free_port
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, SCREENS, serve_portal

E2E_UNITS = ("e2e-watch", "e2e-cli", "e2e-relay", "e2e-consumer", "e2e-broker")


@pytest.fixture(scope="session")
def stack(tmp_path_factory, namespace):
    s = Stack(f"govops_{namespace['ns']}_e2e", tmp_path_factory.mktemp("stack"),
              redis_db=namespace["e2e_redis_db"],
              extra_env={"GOVOPS_RELAY_BATCH_SIZE": "20",
                         # ticket-worker's Alertmanager webhook: never the fixed port of `make run`
                         "GOVOPS_TICKET_HTTP_PORT": str(free_port())})
    s.prepare()
    # grpc ports are assigned on first use; assign them before the env is handed out
    for svc in s.services:
        s.process(svc, "grpc")
    s.start()
    # The departments test_suite.py opens tickets in: services refuse units org does not hold.
    s.create_org_units([(u, u, "", "department") for u in E2E_UNITS])
    yield s
    s.destroy()


@pytest.fixture(scope="session")
def token(stack):
    return stack.token()


@pytest.fixture(scope="session")
def portal(stack):
    """`govops-portal` serving the built web app in front of the stack; its base URL."""
    with serve_portal(stack) as url:
        yield url


@pytest.fixture
def browser(tmp_path):
    """open_context(viewport=(w, h)) → a page in a fresh headless Chromium profile (zh-CN, Shanghai time)."""
    from playwright.sync_api import sync_playwright

    SCREENS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        contexts = []

        def open_context(viewport=(1280, 860)):
            ctx = p.chromium.launch_persistent_context(
                str(tmp_path / f"profile-{len(contexts)}"), executable_path=CHROMIUM, headless=True,
                args=CHROMIUM_ARGS, locale="zh-CN", timezone_id="Asia/Shanghai",
                viewport={"width": viewport[0], "height": viewport[1]})
            ctx.set_default_timeout(20_000)
            contexts.append(ctx)
            return ctx.pages[0] if ctx.pages else ctx.new_page()

        yield open_context
        for ctx in contexts:
            ctx.close()
