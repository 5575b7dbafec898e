"""The test government for integration tests of services that check org units (govkit.units)."""

from __future__ import annotations

# The government the integration tests name: what org's events leave in every service's org
# directory (govkit.orgdir). Services refuse units org does not hold (govkit.units).
TEST_UNITS = [
    ("gov", "某市人民政府", None, "government"),
    ("om-centre", "市电子政务运维中心", "gov", "om_centre"),
    ("fgw", "市发展和改革委员会", "gov", "department"),
    ("czj", "市财政局", "gov", "department"),
    ("gaj", "市公安局", "gov", "department"),
    ("wjw", "市卫生健康委员会", "gov", "department"),
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
