"""A consumer's org directory (govkit.orgdir) built from org's real events, and from its snapshot."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from govkit import orgdir
from govkit.auth import SYSTEM
from govkit.events import Envelope
from org import handlers
from org.adapters.uow import OrgUnitOfWork
from org.domain import commands as c
from org.domain.model import CreateOrgUnit, Shift

CST = timezone(timedelta(hours=8))
DAY = datetime(2026, 11, 23, tzinfo=CST)


def _build_org(engine):
    u = lambda: OrgUnitOfWork(engine)  # noqa: E731
    for uid, name, parent, kind in (("gov", "政府", None, "government"), ("om", "运维中心", "gov", "om_centre"),
                                    ("fgw", "发改委", "gov", "department"), ("fgw-xxc", "信息化处", "fgw", "division")):
        handlers.create_org_unit(CreateOrgUnit(uid, name, parent, kind), u(), SYSTEM)
    handlers.save_position(c.SavePosition("director", "om", "主任", None, ({"kind": "approval", "value": "change"},)),
                           u(), SYSTEM)
    handlers.save_position(c.SavePosition("lead", "om", "组长", "director"), u(), SYSTEM)
    handlers.save_position(c.SavePosition("eng", "om", "工程师", "lead"), u(), SYSTEM)
    for sid, name, pos in (("E1", "王建国", "director"), ("E2", "李明", "lead"), ("E3", "张伟", "eng"),
                           ("E4", "刘洋", "eng")):
        handlers.save_staff(c.SaveStaff(sid, name, "om"), u(), SYSTEM)
        handlers.assign_staff(c.AssignStaff(sid, pos, date(2026, 1, 1)), u(), SYSTEM)
    handlers.create_support_group(c.CreateSupportGroup("net", "网络组", "om", "lead"), u(), SYSTEM)
    for sid in ("E3", "E4"):
        handlers.change_group_member(c.ChangeGroupMember("net", sid), u(), SYSTEM)
    handlers.publish_roster(c.PublishRoster("net", DAY, DAY + timedelta(days=1), (
        Shift("E3", DAY.replace(hour=8), DAY.replace(hour=20)),
        Shift("E4", DAY.replace(hour=20), DAY.replace(hour=8) + timedelta(days=1)))), u(), SYSTEM)
    handlers.move_org_unit(c.MoveOrgUnit("fgw-xxc", "om"), u(), SYSTEM)
    handlers.unassign_staff(c.UnassignStaff("E4", "eng", date(2026, 6, 30)), u(), SYSTEM)


def _consumer_tables(engine):
    with engine.begin() as conn:
        for t in reversed(orgdir.TABLES):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {t.name}"))
        orgdir.metadata.create_all(conn)


def _state(conn):
    d = orgdir.OrgDirectory(conn)
    return {
        "ancestors": d.ancestors("fgw-xxc"), "subtree": d.subtree("gov"), "chain": d.escalation_chain("eng"),
        "holders_now": d.holders("eng", date(2026, 11, 25)), "holders_then": d.holders("eng", date(2026, 3, 1)),
        "members": d.group_members("net"), "day": d.on_duty("net", DAY.replace(hour=12)),
        "night": d.on_duty("net", DAY.replace(hour=2) + timedelta(days=1)),
        "approvers": d.positions_responsible_for("approval", "change"),
        "group": d.group("net")["lead_position_id"],
    }


EXPECTED = {
    "ancestors": ["om", "gov"], "subtree": {"gov", "om", "fgw", "fgw-xxc"}, "chain": ["lead", "director"],
    "holders_now": ["E3"], "holders_then": ["E3", "E4"], "members": ["E3", "E4"], "day": ["E3"], "night": ["E4"],
    "approvers": ["director"], "group": "lead",
}


def test_events_and_snapshot_build_the_same_directory(engine_for):
    engine = engine_for("org")
    _build_org(engine)
    _consumer_tables(engine)  # a consumer's copy, here beside org's own tables
    with engine.connect() as conn:
        envelopes = [Envelope.from_dict(r.envelope) for r in conn.execute(
            sa.text("SELECT envelope FROM outbox ORDER BY seq"))]
    with engine.begin() as conn:
        for env in envelopes + envelopes:  # redelivered twice: upserts keep it the same
            orgdir.OrgDirectory(conn).apply(env.name, env.data)
        assert _state(conn) == EXPECTED
    snapshot = handlers.snapshot(OrgUnitOfWork(engine))
    with engine.begin() as conn:
        orgdir.OrgDirectory(conn).load_snapshot(snapshot)
        assert _state(conn) == EXPECTED


def test_a_rename_or_move_changes_only_what_the_event_says(engine_for):
    engine = engine_for("org")
    _consumer_tables(engine)
    with engine.begin() as conn:
        d = orgdir.OrgDirectory(conn)
        d.apply("org_unit_created", {"org_unit_id": "gov", "name": "政府", "parent_id": None, "kind": "government"})
        d.apply("org_unit_created", {"org_unit_id": "om", "name": "运维中心", "parent_id": "gov", "kind": "om_centre"})
        d.apply("org_unit_renamed", {"org_unit_id": "gov", "name": "市人民政府", "old_name": "政府"})
        d.apply("org_unit_moved", {"org_unit_id": "om", "name": "运维中心", "old_parent_id": "gov",
                                   "new_parent_id": None})
        assert (d.unit("gov")["name"], d.unit("gov")["kind"]) == ("市人民政府", "government")
        assert (d.unit("om")["parent_id"], d.unit("om")["kind"]) == (None, "om_centre")
        assert d.known(["gov", "om", "nowhere"]) == {"gov", "om"}
