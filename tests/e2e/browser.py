"""Driving the web portal in a real browser: Debian's Chromium through Playwright (never Playwright's
own browser download, impossible here). The `portal` and `browser` fixtures live in conftest.py; these
are the helpers every browser test shares. Screenshots go to .test-output/screens/ — look at them
after a change to the web app."""

from __future__ import annotations

import contextlib
import fnmatch
import shutil
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = ROOT / "services" / "portal" / "web" / "dist"
SCREENS = ROOT / ".test-output" / "screens"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
# the password of every user the browser tests create (test data, not a secret)
PASSWORD = "portal-e2e-password-1"


@contextlib.contextmanager
def serve_portal(stack):
    """`govops-portal` serving the built web app in front of `stack` (any govkit.stack.Stack); its
    base URL while the block runs."""
    import pytest

    from govkit.stack import start_portal

    if not (WEB_DIR / "index.html").is_file():
        pytest.fail(f"{WEB_DIR.relative_to(ROOT)} is not built: run `make web` (make test does)")
    try:
        process, url = start_portal(stack, stack.workdir / "portal-web.log", web_dir=WEB_DIR)
    except RuntimeError as err:
        pytest.fail(str(err))
    yield url
    process.stop()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def choose(page, select, option: str, *, search: str | None = None) -> None:
    """Pick `option` in an Element Plus select; `select` is its combobox (get_by_label / get_by_role),
    `search` text to type first into a filterable one. Every other dropdown must have closed first,
    and this one opens by a real click on its wrapper, never `force`: a forced click skips
    Playwright's check that nothing covers the target, so a dropdown still fading out over the next
    field can take it and pick something else (the likely cause of a budget compiled with 0 assets
    in one CI run of test_compile_trace_and_approve_with_separation_of_duties: the unit list lies
    over the standard field). Returns once the dropdown closed."""
    dropdowns_closed(page)
    select.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' el-select__wrapper ')][1]").click()
    if search is not None:
        select.fill(search)
    page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()
    dropdowns_closed(page)


def dropdowns_closed(page) -> None:
    """Wait until no Element Plus select dropdown shows (one fades out for a moment after a choice,
    over the fields below it): call it before a forced click on a field such a dropdown may cover."""
    from playwright.sync_api import expect

    expect(page.locator(".el-select__popper:visible")).to_have_count(0)


def at(path: str):
    """A wait_for_url predicate: the page's path (without the query) is `path`, or matches its "*"."""
    return lambda url: fnmatch.fnmatchcase(urlparse(url).path, path)


def log_in(page, url: str, user: str, *, password: str = PASSWORD, landing: str | None = None) -> None:
    """Logs `user` in from the portal's front door and waits for the page it lands on: `landing`,
    or by default the user's own front page (/ops/queue for staff with ticket.work, else /catalogue)."""
    page.goto(f"{url}/")
    page.wait_for_url(at("/login"))
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    if landing is None:
        page.wait_for_url(lambda u: any(u.split("?")[0].endswith(p) for p in ("/catalogue", "/ops/queue")))
        landing = "/catalogue" if page.url.split("?")[0].endswith("/catalogue") else "/ops/queue"
    else:
        page.wait_for_url(at(landing))
    if landing == "/catalogue":
        page.get_by_text("基础设施运维").first.wait_for()


def create_users(stack, users: dict[str, tuple[str, str, str]], *, password: str = PASSWORD,
                 staff: dict[str, str] | None = None) -> None:
    """users: username → (display name, role, org unit); each role is granted on the unit's subtree.
    staff: username → the staff id the account belongs to (staff tokens carry it as `staff_id`)."""
    from govkit.client import channel
    from govops.org.v1 import org_pb2 as opb
    from govops.org.v1 import org_pb2_grpc

    admin = channel(stack.target("org"), stack.token())
    org, ident = org_pb2_grpc.OrgServiceStub(admin), org_pb2_grpc.IdentityServiceStub(admin)
    for user, (name, role, unit) in users.items():
        ident.CreateUser(opb.CreateUserRequest(username=user, password=password, display_name=name,
                                               staff_id=(staff or {}).get(user, "")), timeout=10)
        org.GrantRole(opb.GrantRoleRequest(subject=user, role=role, org_unit_id=unit, subtree=True), timeout=10)
