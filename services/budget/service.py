"""budget's wiring: what the kit's runners, `govops-migrate`, the `govops` CLI and the demo seed
use (registered in pyproject.toml under `govops.services`). Imports nothing of the service itself."""

from govkit.service import ServiceDescriptor

SERVICE = ServiceDescriptor(
    name="budget",
    port_index=3,
    worker="budget.worker:Service",
    grpc="budget.grpc_api:build",
    migrations="budget:migrations",
    cli="budget.cli:app",
    demo_seed="budget.demo:seed",
    demo_exports={"budget_deliver": "budget.demo:deliver"},
)
