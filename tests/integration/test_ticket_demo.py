"""The org and ticket demo seeds on the real servers: the demo's normal change of fgw is approved by
fgw's change officer and then by the O&M centre's CAB, in that order, and nobody else; its emergency
change by one emergency CAB member, with the retrospective review pending. Repeating the seed
changes nothing."""

from __future__ import annotations

import io

import sqlalchemy as sa
from rich.console import Console

from org import demo as org_demo
from ticket import demo as ticket_demo


def test_the_demo_change_is_approved_by_its_department_then_the_cab(engine_for, signer, monkeypatch, tmp_path):
    engine_for("org")
    engine = engine_for("ticket")
    monkeypatch.setattr(org_demo, "_credentials_file", lambda: tmp_path / "demo-credentials.txt")
    out = io.StringIO()
    console = Console(file=out, width=300)
    org_demo.seed(console)
    ticket_demo.seed(console)
    ticket_demo.seed(console)
    assert "2 changes (2 new;" in out.getvalue() and "2 changes (0 new;" in out.getvalue()
    with engine.connect() as c:
        rows = dict(c.execute(sa.text("SELECT idempotency_key, details FROM tickets WHERE ticket_type = 'change'"))
                    .all())
        statuses = dict(c.execute(sa.text("SELECT idempotency_key, status FROM tickets WHERE ticket_type = 'change'"))
                        .all())
    assert statuses == {"demo-change-1": "approved", "demo-change-2": "approved"}
    normal, emergency = rows["demo-change-1"], rows["demo-change-2"]
    assert [(s["name"], s["org_unit_id"], s["positions"]) for s in normal["approval_steps"]] == [
        ("department", "fgw", ["fgw-officer"]),
        ("cab", "om-centre", ["pos-app-lead", "pos-change-manager", "pos-db-lead", "pos-net-lead"])]
    assert [(a["step"], a["approver"]) for a in normal["approvals"]] == [("department", "F001"), ("cab", "E012")]
    assert [(a["step"], a["approver"]) for a in emergency["approvals"]] == [("ecab", "E001")]
    assert emergency["retrospective_review"]["status"] == "pending"
