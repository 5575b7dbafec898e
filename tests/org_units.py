"""The test government for integration tests of services that check org units (govkit.units)."""

from __future__ import annotations

from govkit.demo import UNITS

# The government the integration tests name — the demo government (govkit.demo.UNITS) and two of
# fgw's divisions: what org's events leave in every service's org directory (govkit.orgdir).
# Services refuse units org does not hold (govkit.units).
TEST_UNITS = [
    *UNITS,
    ("fgw-xxc", "信息化处", "fgw", "division"),
    ("fgw-xxzx", "市发改委信息中心", "fgw", "division"),
]


def seed_test_units(engine, *extra: str) -> None:
    """The service's org directory holding TEST_UNITS (and `extra` departments under gov), as
    org's events would leave it."""
    from govkit.orgdir import OrgDirectory

    with engine.begin() as conn:
        directory = OrgDirectory(conn)
        for unit_id, name, parent, kind in [*TEST_UNITS, *((u, u, "gov", "department") for u in extra)]:
            directory.apply("org_unit_created", {"org_unit_id": unit_id, "name": name, "parent_id": parent,
                                                 "kind": kind})
