"""Service descriptors: how the kit finds a service's parts without importing the service.

Each service declares one `ServiceDescriptor` in `services/<svc>/service.py` and registers it in
pyproject.toml under the `govops.services` entry-point group:

    [project.entry-points."govops.services"]
    ticket = "ticket.service:SERVICE"

The runners, `govops-migrate`, the `govops` CLI, the demo seed and the test stack read these
descriptors; nothing in the kit names a service's modules. The parts are "module:attribute"
references, imported only when a process needs that part: a gRPC process never imports the
nameko worker (grpcio's C core and a monkey-patched eventlet hub cannot share a process), and
reading the descriptors imports nothing but the `<svc>.service` modules themselves, so those must
import nothing but this module.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points

GROUP = "govops.services"


@dataclass(frozen=True)
class ServiceDescriptor:
    """One service's wiring, declared once. References are "module:attribute" strings."""

    name: str
    """The directory, Python package, nameko name, proto package segment and log `service` field."""
    port_index: int
    """Place in the fixed local port plan (gRPC 50050+i, worker metrics 9100+i, gRPC metrics
    9200+i) and in every "all services" order: migrate, demo seed, CLI groups, banner."""
    worker: str
    """The nameko service class (`govops-worker`; `govops-migrate` reads its event handlers)."""
    grpc: str
    """`build(settings) -> GrpcApp` (`govops-grpc`)."""
    migrations: str
    """Alembic `script_location`, as "package:directory"."""
    grpc_verifier: str | None = None
    """`verifier(settings) -> TokenVerifier`, when the service does not verify with org's public
    keys (org itself, which holds the signing keys)."""
    after_migrate: str | None = None
    """`after_migrate(settings)`, run by `govops-migrate` after the upgrade to keep reference data
    current (e.g. org's built-in roles); must be idempotent."""
    cli: str | None = None
    """A `typer.Typer`, added to `govops` as the group `cli_name`."""
    cli_name: str | None = None
    """The CLI group's name; the service name when not given."""
    demo_seed: str | None = None
    """`seed(console)` for `govops dev seed`; runs in port order and must be safe to repeat."""
    demo_exports: dict[str, str] = field(default_factory=dict)
    """Named helpers this service offers other services' demo seeds (`govkit.demo.export`),
    e.g. org's directory snapshot, so a demo never imports another service."""

    @property
    def group_name(self) -> str:
        return self.cli_name or self.name

    def load(self, part: str):
        """Import and return the object a part refers to (`load("worker")`); None if not declared."""
        ref = getattr(self, part)
        return None if ref is None else resolve(ref)


def resolve(ref: str):
    """"package.module:attribute" → the attribute."""
    module, _, attr = ref.partition(":")
    if not attr:
        raise ValueError(f"{ref!r}: expected 'module:attribute'")
    return getattr(importlib.import_module(module), attr)


@functools.cache
def registry() -> dict[str, ServiceDescriptor]:
    """Every registered service, in port order."""
    found: dict[str, ServiceDescriptor] = {}
    for ep in entry_points(group=GROUP):
        descriptor = ep.load()
        if not isinstance(descriptor, ServiceDescriptor) or descriptor.name != ep.name:
            raise RuntimeError(f"entry point {ep.name} = {ep.value} in {GROUP!r} is not the "
                               f"ServiceDescriptor of a service named {ep.name!r}")
        if ep.name in found:
            raise RuntimeError(f"service {ep.name!r} registered twice in {GROUP!r}")
        found[ep.name] = descriptor
    if not found:
        raise RuntimeError(f"no services registered under the {GROUP!r} entry points; is the project "
                           f"installed? (`make proto` reinstalls it when pyproject.toml changes)")
    indexes = [d.port_index for d in found.values()]
    if len(set(indexes)) != len(indexes):
        raise RuntimeError(f"services share a port index: {sorted(found.values(), key=lambda d: d.port_index)}")
    return dict(sorted(found.items(), key=lambda item: item[1].port_index))


def names() -> tuple[str, ...]:
    """The registered service names, in port order."""
    return tuple(registry())


def get(name: str) -> ServiceDescriptor:
    try:
        return registry()[name]
    except KeyError:
        raise ValueError(f"unknown service {name!r}; expected one of {', '.join(names())}") from None
