"""`python -m bench.portal [--quick] [--redis-db N] [--client stdlib|httpx]`: the web portal's
gateway (`govops-portal`) in front of a real, isolated stack (org and ticket: workers and gRPC
servers, via govkit.stack), and the size of the web app's first load.
Also a section of `python -m bench` (`make bench`).

1. Two pages' API calls, each p50/p99 at 1 and 8 concurrent users (closed loop: each user loads the
   page, waits for its answers, loads it again), **through the gateway** — cookie session, the
   session and CSRF checks, JSON transcoding, the gRPC call with the user's token — and **straight
   to gRPC** with the same user's token, interleaved in the same run (each user alternates the two
   paths, so both meet the same machine):
   * the catalogue page: `GET /api/session` (IdentityService.WhoAmI) and `ListCatalogue`;
   * "my tickets", first page: `ListMyTickets` (open statuses, 20 per page; every user has 25).
   The overhead is gateway − direct (p50, per call) and gateway ÷ direct. Beside them the HTTP
   floor: `GET /api/health` (no session, Redis or gRPC) from the same clients — what the HTTP
   client (the standard library's http.client: a browser's own HTTP work is native code), the
   server (uvicorn) and the loopback cost before the gateway does anything — and the
   CPU time `govops-portal` used per gateway call (/proc), which a busy machine skews less than
   latency.
2. The first page's JS and CSS: the files `dist/index.html` loads (entry script, its preloaded
   chunks, stylesheets), each gzipped (level 6, what a proxy's gzip does); every asset of dist/
   for context. The gateway itself serves them uncompressed (compression is the proxy's job).
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from .clients import LOCALHOST
from .ticket import pct

ROOT = Path(__file__).resolve().parents[1]
WEB_DIR = ROOT / "services" / "portal" / "web" / "dist"
PASSWORD = "bench-portal-password-1"
UNIT = "bench-portal"
TICKETS_PER_USER = 25
PAGE_SIZE = 20
OPEN = ["new", "assigned", "in_progress", "pending", "resolved", "awaiting_approval", "approved", "rejected",
        "implemented", "known_error"]  # the "my tickets" page's default filter (TicketsView.vue)
TICKET = "govops.ticket.v1.TicketService"


# -- the first load ---------------------------------------------------------------------------

def first_load(web_dir: Path = WEB_DIR) -> dict:
    """{files: [(name, raw, gzip)], total_raw, total_gzip, all_gzip} of what index.html loads."""
    html = (web_dir / "index.html").read_text(encoding="utf-8")
    names = re.findall(r'<(?:script[^>]*\bsrc|link[^>]*\bhref)="/?([^"]+\.(?:js|css))"', html)
    files = []
    for name in dict.fromkeys(names):
        data = (web_dir / name).read_bytes()
        files.append((name, len(data), len(gzip.compress(data, 6))))
    html_bytes = html.encode()
    files.append(("index.html", len(html_bytes), len(gzip.compress(html_bytes, 6))))
    every = [p for p in (web_dir / "assets").rglob("*") if p.suffix in (".js", ".css")]
    return {"files": files, "total_raw": sum(f[1] for f in files), "total_gzip": sum(f[2] for f in files),
            "all_gzip": sum(len(gzip.compress(p.read_bytes(), 6)) for p in every), "all_files": len(every)}


# -- the stack, the gateway and the users -------------------------------------------------------

class PortalStack:
    """org + ticket (govkit.stack.Stack, pid-suffixed names) and `govops-portal` before them."""

    def __init__(self, redis_db: int | None):
        from govkit.stack import Stack, free_port

        from .govops import pick_redis_db

        self.workdir = Path(tempfile.mkdtemp(prefix="govops-bench-portal-"))
        self.stack = Stack(f"govops_bportal_{os.getpid()}", self.workdir, services=("org", "ticket"),
                           redis_db=pick_redis_db(redis_db), extra_env={"GOVOPS_TICKET_HTTP_PORT": str(free_port())})
        self.portal = None
        self.url = ""

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self) -> None:
        from govkit.stack import start_portal

        if not (WEB_DIR / "index.html").is_file():
            raise RuntimeError("services/portal/web/dist is not built: run `make web`")
        self.stack.prepare()
        self.stack.start()
        self.stack.create_org_units([(UNIT, "压测委办局", "", "department")])
        self.portal, self.url = start_portal(self.stack, self.workdir / "portal-web.log", web_dir=WEB_DIR)

    def __exit__(self, *exc):
        import redis

        from govkit.db import drop_database
        from govkit.stack import delete_vhost

        errors = []
        for step in (lambda: self.portal and self.portal.stop(), self.stack.stop,
                     *[lambda s=s: drop_database(f"postgresql+psycopg2://postgres@{LOCALHOST}:5432/{self.stack.name}_{s}")
                       for s in self.stack.services],
                     lambda: delete_vhost(self.stack.name),
                     lambda: redis.Redis.from_url(self.stack.env["GOVOPS_REDIS_URL"]).flushdb()):
            try:
                step()
            except Exception as e:  # every step runs; the first error is reported, never hiding the run's
                errors.append(e)
        if errors or exc and exc[0]:
            print(f"bench.portal: work directory kept: {self.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if errors and not (exc and exc[0]):
            raise errors[0]


def make_users(ps: PortalStack, n: int) -> list[dict]:
    """n requesters of the bench department, each with TICKETS_PER_USER tickets; {username, token}
    where token is the user's own access token from org's Login (what the gateway's session holds)."""
    from govkit.client import channel
    from govops.org.v1 import org_pb2 as opb
    from govops.org.v1 import org_pb2_grpc
    from govops.ticket.v1 import ticket_pb2 as tpb
    from govops.ticket.v1 import ticket_pb2_grpc

    stack = ps.stack
    admin = channel(stack.target("org"), stack.token())
    org, ident = org_pb2_grpc.OrgServiceStub(admin), org_pb2_grpc.IdentityServiceStub(admin)
    users = []
    for i in range(n):
        name = f"bench-user-{i}"
        ident.CreateUser(opb.CreateUserRequest(username=name, password=PASSWORD, display_name=f"压测用户{i}"),
                         timeout=10)
        org.GrantRole(opb.GrantRoleRequest(subject=name, role="requester", org_unit_id=UNIT, subtree=True),
                      timeout=10)
    for i in range(n):
        name = f"bench-user-{i}"
        with channel(stack.target("org"), None) as ch:
            token = org_pb2_grpc.IdentityServiceStub(ch).Login(
                opb.LoginRequest(username=name, password=PASSWORD), timeout=10).tokens.access_token
        with channel(stack.target("ticket"), token) as ch:
            stub = ticket_pb2_grpc.TicketServiceStub(ch)
            for k in range(TICKETS_PER_USER):
                stub.CreateTicket(tpb.CreateTicketRequest(
                    title=f"压测工单 {i}-{k}", org_unit_id=UNIT, category=tpb.CATEGORY_APPLICATION,
                    priority=tpb.PRIORITY_MEDIUM), timeout=10)
        users.append({"username": name, "token": token})
    admin.close()
    return users


# -- the two clients of one user ----------------------------------------------------------------

class GatewayUser:
    """A browser's calls: a cookie session from POST /api/session, the CSRF token on every POST.

    On the standard library's http.client (one kept-alive connection per user), not httpx: httpx's
    own Python work was about 0.6 ms of every call here (the HTTP floor row: 1.07 ms against 0.41 ms
    for the same GET in one interleaved run, 2026-12-03), a cost of the bench's client that a
    browser, whose HTTP stack is native, does not have. `--client httpx` measures with httpx again."""

    def __init__(self, url: str, username: str, client: str = "stdlib"):
        import http.client
        import json
        from urllib.parse import urlsplit

        self.loads, self.dumps = json.loads, json.dumps
        self.httpx = None
        if client == "httpx":
            import httpx2 as httpx

            self.httpx = httpx.Client(base_url=url, timeout=30)
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        reply = self._send("POST", "/api/session", {"username": username, "password": PASSWORD}, login=True)
        self.headers["X-CSRF-Token"] = reply["csrf_token"]

    def _send(self, verb: str, path: str, body: dict | None = None, login: bool = False) -> dict:
        if self.httpx is not None:
            reply = self.httpx.request(verb, path, json=body, headers=None if login else self.headers)
            reply.raise_for_status()
            if login:
                self.headers = {}
            return reply.json()
        headers = {} if login else dict(self.headers)
        data = None
        if body is not None:
            data = self.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(verb, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"{verb} {path}: HTTP {response.status}: {payload[:300]!r}")
        if login:
            cookie = response.getheader("set-cookie", "").split(";", 1)[0]
            self.headers = {"Cookie": cookie}
        return self.loads(payload)

    def _rpc(self, method: str, body: dict) -> dict:
        return self._send("POST", f"/api/rpc/{TICKET}/{method}", body)

    def health(self) -> None:
        self._send("GET", "/api/health")

    def session(self) -> None:
        self._send("GET", "/api/session")

    def catalogue(self) -> None:
        assert self._rpc("ListCatalogue", {})["items"]

    def my_tickets(self) -> None:
        reply = self._rpc("ListMyTickets", {"filter": {"status": OPEN}, "page": {"page_size": PAGE_SIZE}})
        assert len(reply["tickets"]) == PAGE_SIZE

    def close(self) -> None:
        self.conn.close()
        if self.httpx is not None:
            self.httpx.close()


class DirectUser:
    """The same calls straight to the services over gRPC with the same user's token."""

    def __init__(self, stack, token: str):
        from govkit.client import channel
        from govops.org.v1 import org_pb2 as opb
        from govops.org.v1 import org_pb2_grpc
        from govops.ticket.v1 import ticket_pb2 as tpb
        from govops.ticket.v1 import ticket_pb2_grpc

        self.org_channel = channel(stack.target("org"), token)
        self.ticket_channel = channel(stack.target("ticket"), token)
        self.ident = org_pb2_grpc.IdentityServiceStub(self.org_channel)
        self.tickets = ticket_pb2_grpc.TicketServiceStub(self.ticket_channel)
        self.opb, self.tpb = opb, tpb

    def session(self) -> None:
        self.ident.WhoAmI(self.opb.WhoAmIRequest(), timeout=30)

    def catalogue(self) -> None:
        assert self.tickets.ListCatalogue(self.tpb.ListCatalogueRequest(), timeout=30).items

    def my_tickets(self) -> None:
        from govops.common.v1.common_pb2 import PageRequest

        reply = self.tickets.ListMyTickets(self.tpb.ListMyTicketsRequest(
            filter=self.tpb.TicketFilter(status=OPEN), page=PageRequest(page_size=PAGE_SIZE)), timeout=30)
        assert len(reply.tickets) == PAGE_SIZE

    def close(self) -> None:
        self.org_channel.close()
        self.ticket_channel.close()


CALLS = ("session", "catalogue", "my_tickets")


def measure(users: list[dict], seconds: float, calls: tuple[str, ...] = CALLS) -> dict:
    """Each user (one thread) holds one client per path ({"gateway": …, "direct": …}) and loads the
    catalogue page, then the my-tickets page, through each path in turn (the order swapped every
    round), again and again for `seconds`; {path: {call: [ms], "catalogue_page": [ms]}} over all
    users. Interleaved, both paths meet the same machine: on two cores shared with the whole stack,
    separate windows per path had moved the difference by 2 ms between runs."""
    for u in users:  # warm-up: connections open, caches filled
        for c in u.values():
            for call in calls:
                getattr(c, call)()
    paths = list(users[0])
    lat = {path: {k: [] for k in (*calls, "catalogue_page")} for path in paths}
    lock = threading.Lock()
    start = threading.Barrier(len(users))
    stop = [0.0]

    def user(clients: dict):
        mine = {path: {k: [] for k in lat[path]} for path in paths}
        start.wait()
        if not stop[0]:
            stop[0] = time.monotonic() + seconds
        rounds = 0
        while time.monotonic() < stop[0]:
            for path in (paths if rounds % 2 == 0 else paths[::-1]):
                c, out, page = clients[path], mine[path], 0.0
                for call in calls:
                    t0 = time.perf_counter()
                    getattr(c, call)()
                    ms = (time.perf_counter() - t0) * 1000
                    out[call].append(ms)
                    if call in ("session", "catalogue"):
                        page += ms
                if page:
                    out["catalogue_page"].append(page)
            rounds += 1
        with lock:
            for path in paths:
                for k, v in mine[path].items():
                    lat[path][k] += v

    threads = [threading.Thread(target=user, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(redis_db: int | None, seconds: float, users: int = 8, step=lambda label: None,
        client: str = "stdlib") -> dict:
    r: dict = {"first_load": first_load(), "seconds": seconds, "client": client}
    step("starting org, ticket and govops-portal")
    with PortalStack(redis_db) as ps:
        people = make_users(ps, users)
        for n in (1, users):
            step(f"portal pages, {n} user(s), gateway and direct interleaved")
            pairs = [{"gateway": GatewayUser(ps.url, u["username"], client), "direct": DirectUser(ps.stack, u["token"])}
                     for u in people[:n]]
            try:
                cpu = cpu_seconds(ps.portal.popen.pid)
                lat = measure(pairs, seconds)
                r[("gateway", n)], r[("direct", n)] = lat["gateway"], lat["direct"]
                # the gateway's own CPU per call: less sensitive to a busy machine than latency
                calls = sum(len(lat["gateway"][k]) + len(pairs) for k in CALLS)
                r[("cpu", n)] = (cpu_seconds(ps.portal.popen.pid) - cpu) * 1000 / calls
                # the HTTP floor: the same clients, no session, Redis or gRPC
                floor = measure([{"gateway": p["gateway"]} for p in pairs], seconds / 2, ("health",))
                r[("health", n)] = floor["gateway"]["health"]
            finally:
                for p in pairs:
                    for c in p.values():
                        c.close()
    r["users"] = users
    return r


def rows(r: dict) -> list[tuple[str, str, str, str, str]]:
    """(figure, users, gateway p50/p99, direct p50/p99, overhead) for the table."""
    out = []
    labels = {"catalogue_page": "catalogue page (session + ListCatalogue)", "session": "  GET /api/session ↔ WhoAmI",
              "catalogue": "  ListCatalogue", "my_tickets": f"my tickets, first page (ListMyTickets, {PAGE_SIZE})"}
    for n in (1, r["users"]):
        for key in ("catalogue_page", "session", "catalogue", "my_tickets"):
            g, d = r[("gateway", n)][key], r[("direct", n)][key]
            calls = 2 if key == "catalogue_page" else 1
            extra = (pct(g, 50) - pct(d, 50)) / calls
            out.append((labels[key], str(n), f"{pct(g, 50):.1f} / {pct(g, 99):.1f} ms",
                        f"{pct(d, 50):.1f} / {pct(d, 99):.1f} ms",
                        f"×{pct(g, 50) / pct(d, 50):.2f}; +{extra:.1f} ms p50 per call"
                        + (f" (target ≤ 2 ms: {'MET' if extra <= 2 else 'MISSED'})" if key != "catalogue_page" else "")
                        + f"; n={len(g)}"))
        h = r[("health", n)]
        out.append(("HTTP floor: GET /api/health (no session, Redis or gRPC)", str(n),
                    f"{pct(h, 50):.1f} / {pct(h, 99):.1f} ms", "",
                    f"n={len(h)}; govops-portal CPU {r[('cpu', n)]:.2f} ms per gateway call above"))
    return out


def render_first_load(fl: dict) -> str:
    return (f"first load ({', '.join(f[0].rsplit('/', 1)[-1] for f in fl['files'])}): "
            f"{fl['total_raw'] / 1024:.1f} KB, {fl['total_gzip'] / 1024:.1f} KB gzip "
            f"(target ≤ 300 KB: {'MET' if fl['total_gzip'] <= 300 * 1024 else 'MISSED'}); "
            f"every JS/CSS asset of dist/ ({fl['all_files']} files, Swagger UI included) "
            f"{fl['all_gzip'] / 1024:.0f} KB gzip.")


def render(r: dict) -> str:
    lines = ["| figure | users | gateway p50 / p99 | direct gRPC p50 / p99 | gateway overhead |",
             "|---|---|---|---|---|"]
    lines += [f"| {a.strip()} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows(r)]
    first = render_first_load(r["first_load"])
    return "\n".join([*lines, "", first[0].upper() + first[1:]])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.portal", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each closed-loop run")
    ap.add_argument("--users", type=int, default=8, help="concurrent users of the second run")
    ap.add_argument("--redis-db", type=int, default=None, help="Redis database of the stack, flushed before and after")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 s per run")
    ap.add_argument("--client", choices=("stdlib", "httpx"), default="stdlib",
                    help="the gateway users' HTTP client (httpx: what the bench used before 2026-12-04)")
    args = ap.parse_args(argv)
    seconds = 1.0 if args.quick else args.seconds
    from datetime import UTC, datetime

    started = time.monotonic()
    r = run(args.redis_db, seconds, args.users, step=lambda label: print(f"bench.portal: {label} …", file=sys.stderr),
          client=args.client)
    print(f"\nGovOps portal gateway bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — nproc "
          f"{len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.1f} at the end; "
          f"{seconds:g} s closed loop per user count, gateway and direct interleaved, one thread per user, "
          f"HTTP client {r['client']}\n")
    print(render(r))
    print(f"\nbench.portal: total {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
