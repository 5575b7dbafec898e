"""Process entry points: `govops-worker <svc>` and `govops-grpc <svc>`.

The worker is a nameko process (eventlet, monkey-patched before anything else is imported —
even before the service descriptors are read, since importlib.metadata imports threading and
socket); the gRPC server is plain grpcio in its own process, because grpc's C core blocks the
eventlet hub. Each loads only its own part of the service's descriptor (govkit.service), so a
gRPC process never imports the worker module.
"""

from __future__ import annotations

import sys


def _descriptor():
    from . import service

    if len(sys.argv) != 2 or sys.argv[1] not in service.names():
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(service.names())}}}")
    return service.get(sys.argv[1])


def worker_main() -> None:
    import eventlet

    eventlet.monkey_patch()

    from nameko.cli.run import run
    from prometheus_client import REGISTRY, start_http_server

    from . import config, logs
    from .deadletter import DeadLetterGauge
    from .migrate import event_subscriptions

    descriptor = _descriptor()
    settings = config.load(descriptor.name, "worker")
    logs.configure(descriptor.name, "worker", settings.log_level)
    start_http_server(settings.metrics_port, addr="0.0.0.0")
    worker = descriptor.load("worker")
    # govops_dead_letters{queue}: what lies on this service's dead-letter queues (govkit.deadletter)
    REGISTRY.register(DeadLetterGauge(settings.amqp_uri, [q for _, _, q in event_subscriptions(descriptor.name)]))
    logs.get_logger(__name__).info("worker_starting", metrics_port=settings.metrics_port)
    try:
        run([worker], settings.nameko_config())
    except config.ConfigError as err:  # e.g. ticket's webhook secret file missing: say which variable
        logs.get_logger(__name__).error("config_error", error=str(err))
        sys.exit(f"govops-worker {descriptor.name}: {err}")


def grpc_main() -> None:
    descriptor = _descriptor()
    from prometheus_client import start_http_server

    from . import config, logs
    from .auth import TokenVerifier
    from .client import org_public_keys
    from .grpc_server import serve_forever

    settings = config.load(descriptor.name, "grpc")
    logs.configure(descriptor.name, "grpc", settings.log_level)
    try:
        app = descriptor.load("grpc")(settings)
        # org verifies with its own signing keys
        verifier = descriptor.load("grpc_verifier")(settings) if descriptor.grpc_verifier else None
    except config.ConfigError as err:  # e.g. org without its signing key: say which variable
        logs.get_logger(__name__).error("config_error", error=str(err))
        sys.exit(f"govops-grpc {descriptor.name}: {err}")
    if verifier is None:
        # The public key file is optional: keys it lacks are fetched from org (GetPublicKeys).
        verifier = TokenVerifier.from_file(settings.public_key_file, issuer=settings.token_issuer,
                                           audience=settings.token_audience,
                                           key_source=lambda: org_public_keys(config.load("org").grpc_target))
    start_http_server(settings.metrics_port, addr="0.0.0.0")
    serve_forever(app, verifier, settings.grpc_port, max_workers=settings.grpc_max_workers)
