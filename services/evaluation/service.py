"""evaluation's wiring: what the kit's runners, `govops-migrate`, the `govops` CLI and the demo seed
use (registered in pyproject.toml under `govops.services`). Imports nothing of the service itself."""

from govkit.service import ServiceDescriptor

SERVICE = ServiceDescriptor(
    name="evaluation",
    port_index=5,
    worker="evaluation.worker:Service",
    grpc="evaluation.grpc_api:build",
    migrations="evaluation:migrations",
    cli="evaluation.cli:app",
    cli_name="eval",
    demo_seed="evaluation.demo:seed",
)
