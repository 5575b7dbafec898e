"""The portal gateway (services/portal) against real org and ticket gRPC servers, PostgreSQL and
Redis: sessions, CSRF, the transcoded API (generic RPC and google.api.http REST paths), problem
bodies, limits, security headers and the OpenAPI document. Nothing is mocked; the HTTP side is
Starlette's TestClient driving the real ASGI app."""

from __future__ import annotations

import dataclasses

import grpc
import pytest
from starlette.testclient import TestClient

from govkit.client import channel
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc
from tests.org_units import seed_test_units

PASSWORD = "portal-password-1"
RPC = "/api/rpc/govops.ticket.v1.TicketService"


@pytest.fixture
def services(grpc_server, engine_for, admin_token, redis_client, monkeypatch):
    from govkit import config
    from govkit.auth import SYSTEM
    from org import setup
    from ticket.adapters.uow import TicketUnitOfWork
    from ticket.domain.commands import EnsureDefaults
    from ticket.handlers import catalogue

    engine_for("org")
    setup.after_migrate(config.load("org"))
    ticket_engine = engine_for("ticket")
    seed_test_units(ticket_engine)  # tickets name units org holds (govkit.units)
    catalogue.ensure_defaults(EnsureDefaults(), TicketUnitOfWork(ticket_engine), SYSTEM)
    targets = grpc_server("org", "ticket")
    org = org_pb2_grpc.OrgServiceStub(channel(targets["org"], admin_token))
    ident = org_pb2_grpc.IdentityServiceStub(channel(targets["org"], admin_token))
    org.CreateOrgUnit(opb.CreateOrgUnitRequest(id="gov", name="某市人民政府", kind=opb.ORG_UNIT_KIND_GOVERNMENT))
    for unit, name in (("fgw", "发展和改革委员会"), ("czj", "财政局")):
        org.CreateOrgUnit(opb.CreateOrgUnitRequest(id=unit, name=name, parent_id="gov",
                                                   kind=opb.ORG_UNIT_KIND_DEPARTMENT))
    for user, unit in (("pt-fgw", "fgw"), ("pt-czj", "czj")):
        ident.CreateUser(opb.CreateUserRequest(username=user, password=PASSWORD, display_name=f"{unit} 用户"))
        org.GrantRole(opb.GrantRoleRequest(subject=user, role="requester", org_unit_id=unit, subtree=True))
    return targets


@pytest.fixture
def make_client(services, tmp_path):
    """make_client(**settings overrides) → a TestClient of a fresh gateway on the test servers."""
    from portal.app import build
    from portal.settings import load

    web = tmp_path / "web"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>门户</title>", encoding="utf-8")
    (web / "assets" / "app.js").write_text("console.log(1)")
    clients = []

    def make(**overrides) -> TestClient:
        settings = load()
        targets = {**settings.targets, **services}
        settings = dataclasses.replace(settings, targets=targets, web_dir=web, **overrides)
        client = TestClient(build(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def login(client: TestClient, user: str = "pt-fgw") -> str:
    reply = client.post("/api/session", json={"username": user, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return reply.json()["csrf_token"]


def problem(reply, status: int, code: str | None = None) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["status"] == status and body["title"] and body["type"]
    if code:
        assert body["code"] == code
    assert "Traceback" not in reply.text
    return body


def test_login_sets_an_httponly_samesite_session_and_answers_who_am_i(make_client):
    client = make_client()
    reply = client.post("/api/session", json={"username": "pt-fgw", "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    cookie = reply.headers["set-cookie"]
    assert "govops_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http, not configured
    body = reply.json()
    assert body["user"]["subject"] == "pt-fgw"
    assert "ticket.create" in body["user"]["permissions"] and body["user"]["org_unit_ids"] == ["fgw"]
    assert "token" not in cookie.lower() and body["csrf_token"] not in cookie
    again = client.get("/api/session")
    assert again.status_code == 200 and again.json()["user"]["subject"] == "pt-fgw"
    assert again.json()["csrf_token"] == body["csrf_token"]


def test_secure_cookies_when_configured(make_client):
    client = make_client(secure_cookies=True)
    reply = client.post("/api/session", json={"username": "pt-fgw", "password": PASSWORD})
    assert "Secure" in reply.headers["set-cookie"]


def test_wrong_password_and_missing_fields_are_problems(make_client):
    client = make_client()
    problem(client.post("/api/session", json={"username": "pt-fgw", "password": "wrong-password"}), 401,
            "UNAUTHENTICATED")
    body = problem(client.post("/api/session", json={"username": "pt-fgw"}), 400, "INVALID_ARGUMENT")
    assert body["violations"] == [{"field": "password", "description": "is required"}]
    problem(client.get("/api/session"), 401, "UNAUTHENTICATED")


def test_logins_are_rate_limited_per_user_with_retry_after(make_client):
    client = make_client(login_limit_per_user=3)
    for _ in range(3):
        problem(client.post("/api/session", json={"username": "pt-czj", "password": "wrong-password"}), 401)
    body = problem(client.post("/api/session", json={"username": "pt-czj", "password": PASSWORD}), 429,
                   "RESOURCE_EXHAUSTED")
    reply = client.post("/api/session", json={"username": "pt-czj", "password": PASSWORD})
    assert int(reply.headers["retry-after"]) > 0 and "try again" in body["detail"]
    login(client, "pt-fgw")  # another user is not limited


def test_logins_are_rate_limited_per_address(make_client):
    client = make_client(login_limit_per_ip=2)
    login(client, "pt-fgw")
    login(client, "pt-czj")
    problem(client.post("/api/session", json={"username": "pt-fgw", "password": PASSWORD}), 429)


def test_calls_need_a_session_and_changes_need_the_csrf_token(make_client):
    client = make_client()
    problem(client.post(f"{RPC}/ListCatalogue", json={}), 401, "UNAUTHENTICATED")
    csrf = login(client)
    problem(client.post(f"{RPC}/ListCatalogue", json={}), 403, "CSRF")
    problem(client.post(f"{RPC}/ListCatalogue", json={}, headers={"X-CSRF-Token": "forged"}), 403, "CSRF")
    reply = client.post(f"{RPC}/ListCatalogue", json={}, headers={"X-CSRF-Token": csrf})
    assert reply.status_code == 200, reply.text
    items = {i["id"]: i for i in reply.json()["items"]}
    assert items["infra.network.fault"]["form_schema"]["required"] == ["location"]
    assert reply.headers["x-correlation-id"]


def test_submit_maps_field_violations_and_scope_stays_the_services(make_client, admin_token, services):
    fgw, czj = make_client(), make_client()
    csrf = login(fgw, "pt-fgw")
    h = {"X-CSRF-Token": csrf}
    body = problem(fgw.post(f"{RPC}/SubmitRequest", headers=h, json={
        "catalogue_item_id": "infra.network.fault", "title": "", "org_unit_id": "fgw",
        "form": {"ip_address": "999.1.1.1"}}), 400, "INVALID_ARGUMENT")
    fields = {v["field"] for v in body["violations"]}
    assert {"title", "form.location", "form.ip_address"} <= fields
    problem(fgw.post(f"{RPC}/SubmitRequest", headers=h, json={
        "catalogue_item_id": "infra.network.fault", "title": "越权", "org_unit_id": "czj",
        "form": {"location": "三楼"}}), 403, "PERMISSION_DENIED")
    problem(fgw.post(f"{RPC}/SubmitRequest", headers=h, json={
        "catalogue_item_id": "no.such.item", "title": "x", "org_unit_id": "fgw"}), 404, "NOT_FOUND")
    reply = fgw.post(f"{RPC}/SubmitRequest", headers=h, json={
        "catalogue_item_id": "infra.network.fault", "title": "三楼断网", "org_unit_id": "fgw",
        "form": {"location": "三楼东"}})
    assert reply.status_code == 200, reply.text
    ticket = reply.json()["ticket"]
    assert ticket["status"].startswith("TICKET_STATUS_") and ticket["form"] == {"location": "三楼东"}
    # the REST path of the google.api.http annotation, same call
    rest = fgw.get(f"/api/v1/tickets/{ticket['id']}")
    assert rest.status_code == 200, rest.text
    assert rest.json()["ticket"]["number"] == ticket["number"]
    mine = fgw.get("/api/v1/my/tickets", params={"page.page_size": "5"})
    assert [t["id"] for t in mine.json()["tickets"]] == [ticket["id"]]
    # another department's user: not found (no existence leak), exactly as over gRPC
    login(czj, "pt-czj")
    problem(czj.get(f"/api/v1/tickets/{ticket['id']}"), 404, "NOT_FOUND")
    # a permission the requester lacks
    problem(fgw.post(f"{RPC}/UpsertCatalogueItem", headers=h, json={"item": {"id": "x", "name": "x",
                                                                             "category": "application"}}),
            403, "PERMISSION_DENIED")
    # an integrator's bearer token works without cookie or CSRF (and sees everything it may)
    bearer = make_client()
    reply = bearer.get(f"/api/v1/tickets/{ticket['id']}", headers={"Authorization": f"Bearer {admin_token}"})
    assert reply.status_code == 200, reply.text


def test_bad_input_is_a_problem_never_a_500(make_client):
    client = make_client(max_body_bytes=1024)
    csrf = login(client)
    h = {"X-CSRF-Token": csrf}
    problem(client.post(f"{RPC}/ListCatalogue", headers={**h, "content-type": "application/json"},
                        content=b"{not json"), 400, "INVALID_ARGUMENT")
    problem(client.post(f"{RPC}/ListCatalogue", headers=h, json=[1, 2]), 400, "INVALID_ARGUMENT")
    problem(client.post(f"{RPC}/ListCatalogue", headers=h, json={"no_such_field": 1}), 400, "INVALID_ARGUMENT")
    problem(client.post(f"{RPC}/GetTicket", headers=h, json={"id": 5}), 400, "INVALID_ARGUMENT")
    problem(client.post(f"{RPC}/ListCatalogue", headers={**h, "content-type": "text/plain"}, content=b"{}"), 415)
    body = problem(client.post(f"{RPC}/SubmitRequest", headers=h, json={"title": "x" * 2000}), 413)
    assert "1024" in body["detail"]
    problem(client.post(f"{RPC}/NoSuchMethod", headers=h, json={}), 404, "NOT_FOUND")
    problem(client.post("/api/rpc/govops.nope.v1.Nope/X", headers=h, json={}), 404, "NOT_FOUND")
    problem(client.get("/api/v1/no/such/path"), 404, "NOT_FOUND")
    # credentials never pass through the generic API
    problem(client.post("/api/rpc/govops.org.v1.IdentityService/Login", headers=h,
                        json={"username": "pt-fgw", "password": PASSWORD}), 404)
    problem(client.post("/api/rpc/govops.evaluation.v1.EvaluationService/WatchKpis", headers=h, json={}), 404)
    problem(client.get(f"/api/v1/tickets/{'0' * 36}"), 404, "NOT_FOUND")


def test_logout_revokes_the_refresh_token_and_ends_the_session(make_client, services, redis_client):
    from govops.org.v1 import org_pb2_grpc as g

    client = make_client()
    csrf = login(client)
    [key] = [k for k in redis_client.keys("portal:session:*") if not k.endswith(":refresh")]
    refresh_token = redis_client.hget(key, "refresh_token")
    problem(client.delete("/api/session"), 403, "CSRF")
    reply = client.delete("/api/session", headers={"X-CSRF-Token": csrf})
    assert reply.status_code == 204
    assert not redis_client.exists(key)
    problem(client.get("/api/session"), 401)
    with pytest.raises(grpc.RpcError) as err:
        g.IdentityServiceStub(channel(services["org"], None)).Refresh(
            opb.RefreshRequest(refresh_token=refresh_token), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_the_gateway_refreshes_the_access_token_before_it_expires(make_client, redis_client):
    # a margin longer than the access token's life: every call refreshes first
    client = make_client(refresh_margin_seconds=3600)
    csrf = login(client)
    [key] = redis_client.keys("portal:session:*")
    first = redis_client.hgetall(key)
    reply = client.post(f"{RPC}/ListCatalogue", json={}, headers={"X-CSRF-Token": csrf})
    assert reply.status_code == 200, reply.text
    second = redis_client.hgetall(key)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["csrf_token"] == first["csrf_token"]
    # the rotated-out refresh token is dead; a revoked session ends with 401 and is removed
    redis_client.hset(key, "refresh_token", first["refresh_token"])
    problem(client.post(f"{RPC}/ListCatalogue", json={}, headers={"X-CSRF-Token": csrf}), 401, "UNAUTHENTICATED")
    assert not redis_client.exists(key)


def test_security_headers_web_app_and_openapi(make_client):
    client = make_client()
    for path in ("/", "/tickets/some-id", "/api/health", "/api/openapi.json"):
        reply = client.get(path)
        assert reply.status_code == 200, path
        csp = reply.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-eval" not in csp
        assert reply.headers["x-frame-options"] == "DENY"
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"]
    assert "门户" in client.get("/tickets/some-id").text  # the app's own routes get index.html
    assert client.get("/assets/app.js").text == "console.log(1)"
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    submit = doc["paths"]["/api/rpc/govops.ticket.v1.TicketService/SubmitRequest"]["post"]
    assert "catalogue item" in submit["description"]
    assert submit["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("SubmitRequestRequest")
    rest = doc["paths"]["/api/v1/tickets/{id}"]["get"]
    assert rest["parameters"][0]["name"] == "id" and rest["parameters"][0]["in"] == "path"
    assert "/api/v1/whoami" in doc["paths"]
    ticket = doc["components"]["schemas"]["govops.ticket.v1.Ticket"]["properties"]
    assert ticket["created_at"]["format"] == "date-time" and "UTC" in ticket["created_at"]["description"]
    assert not any("IdentityService/Login" in p for p in doc["paths"])
    one = client.get("/api/openapi.json", params={"service": "govops.ticket.v1.TicketService"}).json()
    assert one["paths"] and all("TicketService" in p or p.startswith("/api/v1/") for p in one["paths"])
    assert "/api/v1/whoami" not in one["paths"] and [t["name"] for t in one["tags"]] == ["TicketService"]
    problem(client.get("/api/openapi.json", params={"service": "nope"}), 404)


def _sse_events(text: str) -> list[tuple[str, str]]:
    out, event = [], "message"
    for line in text.splitlines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            out.append((event, line[5:].strip()))
    return out


def test_the_queue_stream_bridges_watch_queue_with_the_users_own_permissions(make_client, services, admin_token):
    import json

    client = make_client()
    assert client.get("/api/tickets/queue/stream").status_code == 401
    login(client)  # a requester: WatchQueue needs ticket.work, which the gateway never adds
    reply = client.get("/api/tickets/queue/stream", params={"view": "QUEUE_VIEW_ALL"})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
    [(event, data)] = _sse_events(reply.text)
    assert event == "problem" and json.loads(data)["code"] == "PERMISSION_DENIED"
    # A staff member's bad request is the service's INVALID_ARGUMENT naming the field.
    org = org_pb2_grpc.OrgServiceStub(channel(services["org"], admin_token))
    ident = org_pb2_grpc.IdentityServiceStub(channel(services["org"], admin_token))
    ident.CreateUser(opb.CreateUserRequest(username="pt-eng", password=PASSWORD, display_name="工程师"))
    org.GrantRole(opb.GrantRoleRequest(subject="pt-eng", role="engineer", org_unit_id="fgw", subtree=True))
    staff = make_client()
    login(staff, "pt-eng")
    reply = staff.get("/api/tickets/queue/stream", params={"view": "QUEUE_VIEW_GROUP_QUEUE"})
    [(event, data)] = _sse_events(reply.text)
    problem_body = json.loads(data)
    assert event == "problem" and problem_body["code"] == "INVALID_ARGUMENT"
    assert problem_body["violations"][0]["field"] == "group_id"
    # Unknown query fields are refused like any request field.
    assert staff.get("/api/tickets/queue/stream", params={"nope": "1"}).status_code == 400
    # ListGroupWorkload's REST path (what the assign dialog reads), with the staff member's own token
    reply = staff.get("/api/v1/support-groups/workload", params={"all_groups": "true"})
    assert reply.status_code == 200 and reply.json() == {"groups": []}
    assert staff.get("/api/v1/support-groups/workload", params={"group_ids": "grp-none"}).status_code == 404


def test_sessions_slide_without_a_write_per_call_and_end_at_once(redis_client):  # flushed test database
    """A session's expiry is renewed on use, at most once per touch interval and process (not a
    Redis transaction per call), and a deleted session is gone for the very next call."""
    import asyncio

    import redis.asyncio as aioredis

    from govkit import config
    from portal.sessions import PREFIX, SessionStore

    async def scenario():
        client = aioredis.Redis.from_url(config.load("evaluation").redis_url)
        try:
            store, other = SessionStore(client, 600), SessionStore(client, 600)
            session = await store.create("access", "refresh", 4_000_000_000.0, "zhulin")
            key = PREFIX + session.id
            await client.expire(key, 30)
            assert (await store.get(session.id)).subject == "zhulin"
            assert await client.ttl(key) > 500, "the first use renews the expiry"
            await client.expire(key, 30)
            assert (await store.get(session.id)).access_token == "access"
            assert await client.ttl(key) <= 30, "renewed once per interval, not on every call"
            assert (await other.get(session.id)) is not None
            await other.delete(session.id)
            assert await store.get(session.id) is None, "a logout elsewhere ends it for the next call"
        finally:
            await client.aclose()

    asyncio.run(scenario())
