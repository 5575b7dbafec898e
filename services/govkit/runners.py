"""Process entry points: `govops-worker <svc>` and `govops-grpc <svc>`.

The worker is a nameko process (eventlet, monkey-patched before anything else is imported);
the gRPC server is plain grpcio in its own process, because grpc's C core blocks the eventlet hub.
"""

from __future__ import annotations

import importlib
import sys


def _service_arg() -> str:
    from .config import SERVICES

    if len(sys.argv) != 2 or sys.argv[1] not in SERVICES:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(SERVICES)}}}")
    return sys.argv[1]


def worker_main() -> None:
    service = _service_arg()
    import eventlet

    eventlet.monkey_patch()

    from nameko.cli.run import run
    from prometheus_client import start_http_server

    from . import config, logs

    settings = config.load(service, "worker")
    logs.configure(service, "worker", settings.log_level)
    start_http_server(settings.metrics_port, addr="0.0.0.0")
    module = importlib.import_module(f"{service}.worker")
    logs.get_logger(__name__).info("worker_starting", metrics_port=settings.metrics_port)
    run([module.Service], settings.nameko_config())


def grpc_main() -> None:
    service = _service_arg()
    from prometheus_client import start_http_server

    from . import config, logs
    from .auth import TokenVerifier
    from .client import org_public_keys
    from .grpc_server import serve_forever

    settings = config.load(service, "grpc")
    logs.configure(service, "grpc", settings.log_level)
    start_http_server(settings.metrics_port, addr="0.0.0.0")
    module = importlib.import_module(f"{service}.grpc_api")
    app = module.build(settings)
    if hasattr(module, "verifier"):  # org verifies with its own signing keys
        verifier = module.verifier(settings)
    else:
        verifier = TokenVerifier.from_file(settings.public_key_file, issuer=settings.token_issuer,
                                           audience=settings.token_audience,
                                           key_source=lambda: org_public_keys(config.load("org").grpc_target))
    serve_forever(app, verifier, settings.grpc_port, max_workers=settings.grpc_max_workers)
