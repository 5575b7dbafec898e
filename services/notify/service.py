"""notify's wiring: what the kit's runners, `govops-migrate`, the `govops` CLI and the demo seed
use (registered in pyproject.toml under `govops.services`). Imports nothing of the service itself."""

from govkit.service import ServiceDescriptor

SERVICE = ServiceDescriptor(
    name="notify",
    # 6 is left to the portal, should it register as a service
    port_index=7,
    worker="notify.worker:Service",
    grpc="notify.grpc_api:build",
    migrations="notify:migrations",
    cli="notify.cli:app",
    demo_seed="notify.demo:seed",
)
