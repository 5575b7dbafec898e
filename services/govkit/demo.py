"""The demo seed: a small government with Chinese names; each service seeds its own demo data
(`<svc>/demo.py`). Safe to run again: units are created only when missing."""

from __future__ import annotations

from . import config as govconfig
from .auth import SYSTEM
from .db import make_engine

UNITS = [
    ("gov", "某市人民政府", None, "government"),
    ("om-centre", "市电子政务运维中心", "gov", "om_centre"),
    ("fgw", "市发展和改革委员会", "gov", "department"),
    ("czj", "市财政局", "gov", "department"),
    ("gaj", "市公安局", "gov", "department"),
    ("wjw", "市卫生健康委员会", "gov", "department"),
]


def seed(console, services: tuple[str, ...] = govconfig.SERVICES) -> None:
    from org.adapters.uow import OrgUnitOfWork
    from org.domain.model import CreateOrgUnit
    from org.handlers import ensure_org_unit

    org_engine = make_engine(govconfig.load("org").database_url, pool_size=1)
    for code, name, parent, kind in UNITS:
        ensure_org_unit(CreateOrgUnit(code, name, parent, kind), OrgUnitOfWork(org_engine), SYSTEM)
    org_engine.dispose()

    console.print(f"demo: {len(UNITS)} org units")
    _seed_services(console, services)


def _seed_services(console, services) -> None:
    """A service may seed its own demo data as `<svc>/demo.py` exposing `seed(console)`; each
    runs after the org units above exist, in service order, and must be safe to repeat."""
    import importlib

    for svc in [s for s in govconfig.SERVICES if s in services]:
        try:
            module = importlib.import_module(f"{svc}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{svc}.demo":
                raise
            continue
        module.seed(console)


def org_snapshot() -> dict:
    """org's whole directory, for a service's demo to catch its org directory up before the
    workers run (what the `sync_org_directory` RPC does in a running system)."""
    from org import handlers
    from org.adapters.uow import OrgUnitOfWork

    engine = make_engine(govconfig.load("org").database_url, pool_size=1)
    try:
        return handlers.snapshot(OrgUnitOfWork(engine))
    finally:
        engine.dispose()
