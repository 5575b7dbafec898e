"""outsource's wiring: what the kit's runners, `govops-migrate`, the `govops` CLI and the demo seed
use (registered in pyproject.toml under `govops.services`). Imports nothing of the service itself."""

from govkit.service import ServiceDescriptor

SERVICE = ServiceDescriptor(
    name="outsource",
    port_index=4,
    worker="outsource.worker:Service",
    grpc="outsource.grpc_api:build",
    migrations="outsource:migrations",
    cli="outsource.cli:app",
    demo_seed="outsource.demo:seed",
)
