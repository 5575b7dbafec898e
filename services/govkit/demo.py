"""The demo seed: a small government with Chinese names. Each service seeds its own demo data
(its descriptor's `demo_seed`); org's creates the government below and its O&M organisation.
Safe to run again."""

from __future__ import annotations

from . import service as registry

# The demo government every service's demo refers to (org's demo seed creates it):
# code, name, parent, kind.
UNITS = [
    ("gov", "某市人民政府", None, "government"),
    ("om-centre", "市电子政务运维中心", "gov", "om_centre"),
    ("fgw", "市发展和改革委员会", "gov", "department"),
    ("czj", "市财政局", "gov", "department"),
    ("gaj", "市公安局", "gov", "department"),
    ("wjw", "市卫生健康委员会", "gov", "department"),
]


def seed(console, services: tuple[str, ...] | None = None) -> None:
    """Seed the chosen services' demo data (default: all), in port order, so org's runs first: the
    others' demos expect its government, groups and staff."""
    for descriptor in registry.registry().values():
        if services is not None and descriptor.name not in services:
            continue
        demo_seed = descriptor.load("demo_seed")
        if demo_seed:
            demo_seed(console)


def export(name: str):
    """A helper one service's demo offers the others' (`ServiceDescriptor.demo_exports`)."""
    for descriptor in registry.registry().values():
        if name in descriptor.demo_exports:
            return registry.resolve(descriptor.demo_exports[name])
    raise LookupError(f"no registered service exports the demo helper {name!r}")


def org_snapshot() -> dict:
    """org's whole directory, for a service's demo to catch its org directory up before the
    workers run (what the `sync_org_directory` RPC does in a running system)."""
    return export("org_snapshot")()
