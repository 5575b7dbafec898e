"""Org domain rules without servers: rosters, cycles, lockout, pinyin keys, default roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from govkit.errors import FailedPrecondition, InvalidArgument, Validator
from govkit.pinyin import pinyin_keys
from org.domain.model import (
    LockoutPolicy,
    RosterPublish,
    Shift,
    User,
    check_move,
    check_position_parent,
    expect_roster_version,
    roster_version,
    validate_roster,
)
from org.domain.permissions import DEFAULT_ROLES, PERMISSIONS

T0 = datetime(2026, 11, 23, tzinfo=timezone(timedelta(hours=8)))


def _h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _roster(shifts, members=("a", "b")):
    v = Validator()
    validate_roster(v, T0, _h(24 * 7), shifts, set(members))
    return {x.field: x.reason for x in v.violations}


def test_overnight_shift_and_a_handover_are_fine():
    assert _roster([Shift("a", _h(8.5), _h(17.5)), Shift("b", _h(17.5), _h(32.5)),
                    Shift("a", _h(32.5), _h(41.5))]) == {}


def test_one_person_cannot_hold_overlapping_shifts():
    errors = _roster([Shift("a", _h(8), _h(18)), Shift("a", _h(17), _h(26))])
    assert "shifts[1]" in errors and "overlapping" in errors["shifts[1]"]


def test_roster_rejects_backwards_long_foreign_and_out_of_period_shifts():
    errors = _roster([Shift("a", _h(10), _h(9)), Shift("b", _h(0), _h(30)), Shift("zed", _h(1), _h(2)),
                      Shift("a", _h(-5), _h(-1))])
    assert set(errors) == {"shifts[0].ends_at", "shifts[1].ends_at", "shifts[2].staff_id", "shifts[3].starts_at"}


def test_moves_and_reporting_lines_cannot_make_cycles():
    check_move("fgw-xxc", "czj", ["czj", "gov"])
    with pytest.raises(FailedPrecondition):
        check_move("fgw", "fgw-xxc", ["fgw-xxc", "fgw", "gov"])
    with pytest.raises(FailedPrecondition):
        check_move("fgw", "fgw", ["fgw", "gov"])
    with pytest.raises(FailedPrecondition):
        check_position_parent("net-lead", ["net-eng", "net-lead", "om-director"])


def test_lockout_doubles_after_the_limit_and_success_resets():
    policy = LockoutPolicy(max_attempts=3, base=timedelta(seconds=30), cap=timedelta(minutes=5))
    user = User("u", "U", "hash")
    now = T0
    for _ in range(2):
        policy.after_failure(user, now)
    assert user.locked_until is None
    policy.after_failure(user, now)
    assert user.locked_until == now + timedelta(seconds=30)
    policy.after_failure(user, now)
    assert user.locked_until == now + timedelta(seconds=60)
    for _ in range(10):
        policy.after_failure(user, now)
    assert user.locked_until == now + timedelta(minutes=5)
    policy.after_success(user)
    assert user.failed_logins == 0 and user.locked_until is None


@pytest.mark.parametrize("name, full, initials", [
    ("张三", "zhangsan", "zs"), ("欧阳娜娜", "ouyangnana", "oynn"), ("王Lily", "wanglily", "wl"),
])
def test_pinyin_keys(name, full, initials):
    assert pinyin_keys(name) == (full, initials)


def test_default_roles_use_only_known_permissions_and_cover_the_brief():
    codes = {r.code for r in DEFAULT_ROLES}
    assert {"requester", "service_desk_agent", "engineer", "group_lead", "dept_om_officer", "om_centre_director",
            "finance_reviewer", "evaluator", "auditor", "system_admin"} <= codes
    for role in DEFAULT_ROLES:
        assert role.permissions <= PERMISSIONS.keys() | {"*"}, role.code
    auditor = next(r for r in DEFAULT_ROLES if r.code == "auditor")
    assert all(p.endswith(".read") for p in auditor.permissions)


def test_invalid_argument_collects_every_field():
    v = Validator()
    v.text("name", "", max_len=10)
    v.text("code", "x" * 11, max_len=10)
    with pytest.raises(InvalidArgument) as err:
        v.check()
    assert [x.field for x in err.value.violations] == ["name", "code"]


def test_docs_list_every_built_in_role_and_permission():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "org-roles.md").read_text(encoding="utf-8")
    for role in DEFAULT_ROLES:
        assert f"`{role.code}`" in doc
    for permission in PERMISSIONS:
        assert f"`{permission}`" in doc


def test_roster_version_follows_the_shifts_not_their_order_or_time_zone():
    week = [Shift("a", _h(8.5), _h(17.5)), Shift("b", _h(17.5), _h(32.5))]
    in_utc = [Shift(s.staff_id, s.starts_at.astimezone(UTC), s.ends_at.astimezone(UTC))
              for s in reversed(week)]
    assert roster_version(week) == roster_version(in_utc)
    assert roster_version(week) != roster_version(week[:1])
    assert roster_version(week) != roster_version([week[0], Shift("a", _h(17.5), _h(32.5))])


def test_a_stale_roster_version_is_refused_and_none_means_no_check():
    read = [Shift("a", _h(8.5), _h(17.5))]
    expect_roster_version(roster_version(read), read)
    expect_roster_version("", [])  # older integrators: last publish wins
    with pytest.raises(FailedPrecondition) as err:
        expect_roster_version(roster_version(read), [Shift("b", _h(8.5), _h(17.5))])
    assert err.value.violations[0].field == "expected_version" and "someone else" in str(err.value)


def test_a_stale_roster_refusal_names_the_latest_publisher_and_when():
    read = [Shift("a", _h(8.5), _h(17.5))]
    now = [Shift("b", _h(8.5), _h(17.5))]
    # published 2026-12-03 18:32 Beijing time: the message says the instant in UTC
    last = RosterPublish("net", T0, _h(24 * 7), "zhang", "张组长",
                         datetime(2026, 12, 3, 18, 32, tzinfo=timezone(timedelta(hours=8))), roster_version(now))
    with pytest.raises(FailedPrecondition) as err:
        expect_roster_version(roster_version(read), now, last)
    assert "changed by 张组长 (zhang) at 2026-12-03 10:32 UTC" in str(err.value)
    assert err.value.violations[0].field == "expected_version"
    # a service account's token carries its login as its name: said once
    robot = RosterPublish("net", T0, _h(24 * 7), "sa:hr-sync", "sa:hr-sync", last.published_at, last.version)
    with pytest.raises(FailedPrecondition) as err:
        expect_roster_version(roster_version(read), now, robot)
    assert "changed by sa:hr-sync at" in str(err.value)
