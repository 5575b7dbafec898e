"""`govops-portal`: the web portal's HTTP gateway (Starlette on uvicorn).

Routes (docs/portal.md):
  POST/GET/DELETE /api/session          log in (org IdentityService.Login), who am I, log out
  POST /api/rpc/<full.Service>/<Method>  every unary RPC, proto3 JSON in and out
  <verb> /api/v1/...                     the REST bindings of the protos' google.api.http annotations
  GET  /api/kpis/stream                  Server-Sent Events from EvaluationService.WatchKpis
  GET  /api/tickets/queue/stream         Server-Sent Events from TicketService.WatchQueue
  GET  /api/openapi.json, /api/docs      the OpenAPI document and its renderer
  GET  /api/health                       liveness
  GET  /*                                the built web app (index.html for the app's own routes)
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
import uuid

import grpc
import orjson
import redis.asyncio as aioredis
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from govkit import logs

from . import catalog as catalog_mod
from . import openapi, transcode
from .problems import Problem, from_rpc_error
from .sessions import LoginLimiter, Session, SessionStore
from .settings import PortalSettings

log = logs.get_logger(__name__)

COOKIE = "govops_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
IDENTITY = "govops.org.v1.IdentityService"
WATCH_KPIS = ("govops.evaluation.v1.EvaluationService", "WatchKpis")
WATCH_QUEUE = ("govops.ticket.v1.TicketService", "WatchQueue")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Pure ASGI middleware (it does not buffer streams such as Server-Sent Events)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *[(k, v) for k, v in SECURITY_HEADERS if k not in names]]
            await send(message)

        await self.app(scope, receive, with_headers)


class Gateway:
    """The gateway's state: the descriptor catalogue, one gRPC channel per service, Redis."""

    def __init__(self, settings: PortalSettings):
        self.settings = settings
        self.catalog = catalog_mod.load(set(settings.targets))
        self.channels: dict[str, grpc.aio.Channel] = {}
        self.callables: dict[str, object] = {}
        self.redis: aioredis.Redis | None = None
        self.sessions: SessionStore
        self.limiter: LoginLimiter
        self._openapi: dict[str, bytes] = {}

    async def start(self) -> None:
        options = [("grpc.max_receive_message_length", 16 * 1024 * 1024),
                   ("grpc.max_send_message_length", 16 * 1024 * 1024)]
        for name, target in self.settings.targets.items():
            self.channels[name] = grpc.aio.insecure_channel(target, options=options)
        self.redis = aioredis.Redis.from_url(self.settings.redis_url)
        self.sessions = SessionStore(self.redis, self.settings.session_ttl_seconds)
        s = self.settings
        self.limiter = LoginLimiter(self.redis, s.login_limit_per_user, s.login_limit_per_ip, s.login_window_seconds)

    async def stop(self) -> None:
        for ch in self.channels.values():
            await ch.close()
        if self.redis is not None:
            await self.redis.aclose()

    def openapi_json(self, service: str = "") -> bytes:
        """The whole document, or one service's (?service=<full name>; what /api/docs shows)."""
        if service not in self._openapi:
            if service and service not in self.catalog.services:
                raise Problem(404, f"no service {service!r}", code="NOT_FOUND")
            doc = openapi.document(self.catalog, services={service} if service else None)
            self._openapi[service] = json.dumps(doc, ensure_ascii=False).encode()
        return self._openapi[service]

    # --- calling the services ---

    def _callable(self, method: catalog_mod.Method):
        fn = self.callables.get(method.path)
        if fn is None:
            ch = self.channels[method.backend]
            factory = ch.unary_stream if method.server_streaming else ch.unary_unary
            fn = factory(method.path, request_serializer=method.input.SerializeToString,
                         response_deserializer=method.output.FromString)
            self.callables[method.path] = fn
        return fn

    @staticmethod
    def metadata(token: str | None, correlation_id: str) -> list[tuple[str, str]]:
        md = [("x-correlation-id", correlation_id)]
        if token:
            md.append(("authorization", f"Bearer {token}"))
        return md

    async def call(self, method: catalog_mod.Method, request, token: str | None, correlation_id: str):
        try:
            return await self._callable(method)(request, metadata=self.metadata(token, correlation_id),
                                                timeout=self.settings.grpc_timeout_seconds)
        except grpc.aio.AioRpcError as err:
            raise from_rpc_error(err) from None

    def identity(self, name: str) -> catalog_mod.Method:
        method = self.catalog.method(IDENTITY, name)
        assert method is not None, name
        return method

    async def refresh(self, refresh_token: str) -> tuple[str, str, float]:
        method = self.identity("Refresh")
        reply = await self.call(method, method.input(refresh_token=refresh_token), None, uuid.uuid4().hex)
        return reply.tokens.access_token, reply.tokens.refresh_token, float(reply.tokens.expires_at.seconds)

    # --- who is calling ---

    async def session(self, request: Request) -> Session | None:
        return await self.sessions.get(request.cookies.get(COOKIE))

    async def credentials(self, request: Request) -> tuple[str, Session | None]:
        """The caller's token: an integrator's bearer token as given, or the browser session's
        (CSRF-checked on every change, refreshed before it expires). Never any other token."""
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), None
        session = await self.session(request)
        if session is None:
            raise Problem(401, "not logged in", code="UNAUTHENTICATED")
        if request.method not in SAFE_METHODS and not secrets.compare_digest(
                request.headers.get(CSRF_HEADER, ""), session.csrf_token):
            raise Problem(403, "missing or wrong X-CSRF-Token header", code="CSRF")
        try:
            session = await self.sessions.refreshed(session, self.settings.refresh_margin_seconds, self.refresh)
        except Problem as problem:
            if problem.status == 401:  # the refresh token was revoked or expired: the session is over
                await self.sessions.delete(session.id)
                raise Problem(401, "the session has ended; log in again", code="UNAUTHENTICATED") from None
            raise
        return session.access_token, session


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"the body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body.strip() and kind != "application/json":
        raise Problem(415, "send the body as application/json")
    return body


def correlation_id(request: Request) -> str:
    given = request.headers.get("x-correlation-id", "")
    return given if 0 < len(given) <= 64 and given.isascii() else uuid.uuid4().hex


def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


class _JSONResponse(JSONResponse):
    """Replies through orjson: json.dumps took a tenth of the gateway's CPU on a list call. The same
    compact UTF-8 JSON; to_json has already turned what JSON cannot hold (NaN, int64) into strings."""

    def render(self, content) -> bytes:
        return orjson.dumps(content)


def _json(data, status: int = 200, cid: str | None = None) -> JSONResponse:
    return _JSONResponse(data, status_code=status, headers={"x-correlation-id": cid} if cid else None)


# --- session API ---

async def _who(gw: Gateway, token: str, cid: str) -> dict:
    method = gw.identity("WhoAmI")
    return transcode.to_json(await gw.call(method, method.input(), token, cid))


async def login(request: Request) -> Response:
    gw, cid = gateway(request), correlation_id(request)
    body = transcode.parse_json(await read_body(request, gw.settings.max_login_body_bytes))
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    violations = [{"field": f, "description": "is required"}
                  for f, v in (("username", username), ("password", password)) if not isinstance(v, str) or not v]
    if violations:
        raise Problem(400, "username and password are required", code="INVALID_ARGUMENT", violations=violations)
    address = request.client.host if request.client else "unknown"
    wait = await gw.limiter.hit(username, address)
    if wait:
        raise Problem(429, f"too many login attempts; try again in {wait} seconds", code="RESOURCE_EXHAUSTED",
                      headers={"Retry-After": str(wait)})
    method = gw.identity("Login")
    reply = await gw.call(method, method.input(username=username, password=password), None, cid)
    await gw.limiter.succeeded(username)
    tokens = reply.tokens
    session = await gw.sessions.create(tokens.access_token, tokens.refresh_token,
                                       float(tokens.expires_at.seconds), tokens.subject)
    response = _json({"user": await _who(gw, session.access_token, cid), "csrf_token": session.csrf_token}, cid=cid)
    response.set_cookie(COOKIE, session.id, httponly=True, samesite="lax", path="/",
                        secure=gw.settings.secure_cookies or request.url.scheme == "https")
    log.info("portal_login", subject=tokens.subject, correlation_id=cid)
    return response


async def whoami(request: Request) -> Response:
    gw, cid = gateway(request), correlation_id(request)
    token, session = await gw.credentials(request)
    return _json({"user": await _who(gw, token, cid), "csrf_token": session.csrf_token if session else None}, cid=cid)


async def logout(request: Request) -> Response:
    gw, cid = gateway(request), correlation_id(request)
    token, session = await gw.credentials(request)
    if session is not None:
        method = gw.identity("Logout")
        with contextlib.suppress(Problem):  # already revoked or expired: the session ends all the same
            await gw.call(method, method.input(refresh_token=session.refresh_token), token, cid)
        await gw.sessions.delete(session.id)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


# --- the transcoded API ---

async def rpc(request: Request) -> Response:
    gw, cid = gateway(request), correlation_id(request)
    method = gw.catalog.method(request.path_params["service"], request.path_params["method"])
    if method is None or method.client_streaming:
        raise Problem(404, "no such RPC", code="NOT_FOUND")
    if method.server_streaming:
        raise Problem(404, "streaming RPCs are served as Server-Sent Events (/api/kpis/stream, "
                      "/api/tickets/queue/stream)",
                      code="NOT_FOUND")
    if method.returns_credentials:
        raise Problem(404, "credentials are not served through the gateway; use /api/session", code="NOT_FOUND")
    body = transcode.parse_json(await read_body(request, gw.settings.max_body_bytes))
    message = transcode.build(method.input, body)
    token, _ = await gw.credentials(request)
    reply = await gw.call(method, message, token, cid)
    return _json(transcode.to_json(reply), cid=cid)


async def rest(request: Request) -> Response:
    gw, cid = gateway(request), correlation_id(request)
    found = gw.catalog.route(request.method, "/" + request.path_params["path"])
    if found is None:
        raise Problem(404, "no such API path", code="NOT_FOUND")
    method, binding, variables = found
    if method.returns_credentials or method.server_streaming:
        raise Problem(404, "not served through the gateway", code="NOT_FOUND")
    raw = await read_body(request, gw.settings.max_body_bytes)
    body = transcode.parse_json(raw) if binding.body else None
    message = transcode.build(method.input, body, binding.body, query=request.query_params.multi_items(),
                              path=variables)
    token, _ = await gw.credentials(request)
    reply = await gw.call(method, message, token, cid)
    return _json(transcode.response_body(reply, binding.response_body), cid=cid)


def event_stream(service: str, method_name: str, event: str):
    """A server-streaming RPC as Server-Sent Events (`event: <event>`, data: one response message
    as JSON), called with the user's token; the query parameters are the request's fields. The
    stream ends when the access token would expire; the browser's EventSource reconnects and the
    gateway refreshes the session then. A gRPC error ends it with `event: problem`."""

    async def endpoint(request: Request) -> Response:
        gw, cid = gateway(request), correlation_id(request)
        method = gw.catalog.method(service, method_name)
        if method is None or not method.server_streaming:
            raise Problem(404, "no such stream", code="NOT_FOUND")
        message = transcode.build(method.input, None, query=request.query_params.multi_items())
        token, session = await gw.credentials(request)
        lifetime = session.expires_at - time.time() - 5 if session else gw.settings.session_ttl_seconds
        lifetime = max(5.0, lifetime)

        async def events():
            call = gw._callable(method)(message, metadata=gw.metadata(token, cid), timeout=lifetime)
            try:
                async for item in call:
                    yield {"event": event, "data": orjson.dumps(transcode.to_json(item)).decode()}
            except grpc.aio.AioRpcError as err:
                if err.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                    yield {"event": "problem", "data": json.dumps(from_rpc_error(err).body(), ensure_ascii=False)}
            finally:
                call.cancel()

        return EventSourceResponse(events(), ping=15, headers={"x-correlation-id": cid, "cache-control": "no-store"})

    return endpoint


# path → the server-streaming RPC it bridges and the SSE event name of its messages.
STREAMS = {
    "/api/kpis/stream": (*WATCH_KPIS, "kpi"),
    "/api/tickets/queue/stream": (*WATCH_QUEUE, "queue"),
}


async def openapi_json(request: Request) -> Response:
    service = request.query_params.get("service", "")
    return Response(gateway(request).openapi_json(service), media_type="application/json")


async def health(request: Request) -> Response:
    return _json({"status": "ok"})


# --- the web app ---

def _web_file(request: Request, name: str) -> Response:
    web_dir = gateway(request).settings.web_dir
    path = web_dir / name if web_dir else None
    if path is None or not path.is_file():
        return Response("The web app is not built: run `make web` (make run does it).", status_code=503,
                        media_type="text/plain; charset=utf-8")
    return FileResponse(path, headers={"cache-control": "no-cache"})


async def api_docs(request: Request) -> Response:
    return _web_file(request, "api-docs.html")


async def spa(request: Request) -> Response:
    return _web_file(request, "index.html")


async def not_found_api(request: Request) -> Response:
    raise Problem(404, "no such API path", code="NOT_FOUND")


# --- errors ---

async def on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response()


async def on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return Problem(exc.status_code, exc.detail or "").response()


async def on_error(request: Request, exc: Exception) -> Response:
    log.error("portal_unexpected_error", path=request.url.path, error=repr(exc), exc_info=exc)
    return Problem(500, "the gateway failed; see its log").response()


def build(settings: PortalSettings) -> Starlette:
    gw = Gateway(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await gw.start()
        try:
            yield
        finally:
            await gw.stop()

    assets = settings.web_dir / "assets" if settings.web_dir else None
    routes: list[BaseRoute] = [
        Route("/api/health", health),
        Route("/api/session", login, methods=["POST"]),
        Route("/api/session", whoami, methods=["GET"]),
        Route("/api/session", logout, methods=["DELETE"]),
        Route("/api/rpc/{service}/{method}", rpc, methods=["POST"]),
        *[Route(path, event_stream(*target)) for path, target in STREAMS.items()],
        Route("/api/openapi.json", openapi_json),
        Route("/api/docs", api_docs),
        Route("/api/{path:path}", rest, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/api", not_found_api),
    ]
    if assets is not None:
        routes.append(Mount("/assets", app=StaticFiles(directory=assets, check_dir=False), name="assets"))
    routes.append(Route("/{path:path}", spa))
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={Problem: on_problem, HTTPException: on_http, Exception: on_error})
    app.state.gateway = gw
    app.add_middleware(SecurityHeaders)
    return app


def main() -> None:
    import uvicorn
    from prometheus_client import start_http_server

    from .settings import load

    settings = load()
    logs.configure("portal", "web", settings.log_level)
    app = build(settings)
    start_http_server(settings.metrics_port, addr="0.0.0.0")
    log.info("portal_starting", url=settings.url, web_dir=str(settings.web_dir))
    # httptools, never a silent fallback to h11 (pure Python; docs/benchmarks-portal.md)
    uvicorn.run(app, host=settings.host, port=settings.port, proxy_headers=True, http="httptools",
                forwarded_allow_ips=settings.forwarded_allow_ips, log_level=settings.log_level.lower(),
                access_log=False, timeout_graceful_shutdown=10)



