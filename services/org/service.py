"""org's wiring: what the kit's runners, `govops-migrate`, the `govops` CLI and the demo seed
use (registered in pyproject.toml under `govops.services`). Imports nothing of the service itself."""

from govkit.service import ServiceDescriptor

SERVICE = ServiceDescriptor(
    name="org",
    port_index=1,
    worker="org.worker:Service",
    grpc="org.grpc_api:build",
    migrations="org:migrations",
    grpc_verifier="org.grpc_api:verifier",
    after_migrate="org.setup:after_migrate",
    cli="org.cli:app",
    demo_seed="org.demo:seed",
    demo_exports={"org_snapshot": "org.demo:snapshot", "org_demo_directory": "org.demo:directory"},
)
