"""govkit.units: the one rule for org units named in requests."""

from __future__ import annotations

import pytest

from govkit.errors import FailedPrecondition, InvalidArgument
from govkit.units import UnitChecks, require_units, unit_violations

STATES = {"fgw": True, "old": False}


def test_unknown_units_are_invalid_argument_naming_every_field():
    with pytest.raises(InvalidArgument) as err:
        require_units(STATES, [("a", "fgw"), ("b", "nosuch"), ("c", "old"), ("d", "other")])
    assert [v.field for v in err.value.violations] == ["b", "d"]


def test_a_deactivated_unit_is_failed_precondition_naming_its_field():
    with pytest.raises(FailedPrecondition) as err:
        require_units(STATES, [("a", "fgw"), ("objects[1].org_unit_id", "old")])
    assert [v.field for v in err.value.violations] == ["objects[1].org_unit_id"]


def test_known_active_and_blank_units_pass():
    require_units(STATES, [("a", "fgw"), ("b", "")])


def test_violations_report_both_kinds_per_row():
    got = unit_violations(STATES, [("rows[1].org_unit_id", "nosuch"), ("rows[2].org_unit_id", "old"),
                                   ("rows[3].org_unit_id", "fgw")])
    assert [(v.field, "deactivated" in v.reason) for v in got] == [("rows[1].org_unit_id", False),
                                                                   ("rows[2].org_unit_id", True)]


def test_the_mixin_asks_its_directory_once_for_the_named_ids():
    asked = []

    class Directory(UnitChecks):
        def unit_states(self, ids):
            asked.append(set(ids))
            return {u: STATES[u] for u in ids if u in STATES}

    with pytest.raises(InvalidArgument):
        Directory().require_units([("a", "fgw"), ("b", "nosuch"), ("c", "")])
    assert asked == [{"fgw", "nosuch"}]
