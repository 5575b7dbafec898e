"""Demo seed for notify: catch the org directory replica and the staff's contact addresses up
from org's snapshot (what the worker's `sync_org_directory` RPC does in a running system), so the
demo's tickets reach their engineers' mailboxes at once. Safe to repeat."""

from __future__ import annotations

from govkit import config as govconfig
from govkit.db import make_engine
from govkit.demo import org_snapshot

from . import handlers
from .adapters.store import NotifyUnitOfWork


def seed(console) -> None:
    engine = make_engine(govconfig.load("notify").database_url, pool_size=1)
    try:
        staff = handlers.load_snapshot(NotifyUnitOfWork(engine), org_snapshot())
    finally:
        engine.dispose()
    console.print(f"notify: org directory and contacts of {staff} staff loaded")
