"""ticket's wiring: what the kit's runners, `govops-migrate`, the `govops` CLI and the demo seed
use (registered in pyproject.toml under `govops.services`). Imports nothing of the service itself."""

from govkit.service import ServiceDescriptor

SERVICE = ServiceDescriptor(
    name="ticket",
    port_index=2,
    worker="ticket.worker:Service",
    grpc="ticket.grpc_api:build",
    migrations="ticket:migrations",
    cli="ticket.cli:app",
    demo_seed="ticket.demo:seed",
)
