"""Every link a notification carries opens a page the portal has (its routes, read from the web app's
sources), so a renamed or mistyped route fails here rather than in a recipient's mailbox."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from notify.domain.model import KINDS
from notify.handlers import NotifySettings

WEB_SRC = Path(__file__).resolve().parents[2] / "services" / "portal" / "web" / "src"
SAMPLE = {"ticket_id": "t-1", "budget_id": "b-1", "vendor_id": "v-1", "plan_id": "p-1", "rectification_id": "r-1"}


def portal_routes() -> list[re.Pattern]:
    sources = [WEB_SRC / "router.js", *sorted(WEB_SRC.glob("modules/*/routes.js"))]
    paths = {m for f in sources for m in re.findall(r"path:\s*'([^']+)'", f.read_text(encoding="utf-8"))}
    paths.discard("/:rest(.*)*")  # the catch-all redirect is not a page
    return [re.compile("^" + re.sub(r":\w+", r"[^/]+", p) + "$") for p in paths]


@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"test"}))
def test_each_kind_links_to_a_portal_page(kind):
    link = NotifySettings(portal_url="https://portal.example.gov.cn").link(kind, SAMPLE)
    path = urlparse(link).path
    assert any(r.match(path) for r in portal_routes()), f"{kind}: {path} is not a page of the portal"


def test_budget_and_rectification_links_open_the_pages_to_act_on():
    s = NotifySettings(portal_url="https://p")
    assert s.link("budget_exceeded", SAMPLE) == "https://p/budget/budgets/b-1"
    # the rectification's ticket is where its owner acts; without one, the evaluation's loop page
    assert s.link("rectification_overdue", SAMPLE) == "https://p/tickets/t-1"
    assert s.link("rectification_overdue", {"rectification_id": "r-1"}) == "https://p/evaluation/loop"
