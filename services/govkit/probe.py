"""Health probes for containers: `govops-probe grpc <port>` / `govops-probe http <port>`."""

from __future__ import annotations

import sys
import urllib.request


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("grpc", "http"):
        sys.exit("usage: govops-probe grpc|http <port>")
    kind, port = sys.argv[1], int(sys.argv[2])
    try:
        if kind == "http":
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3) as resp:
                ok = resp.status == 200
        else:
            import grpc
            from grpc_health.v1 import health_pb2, health_pb2_grpc

            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=3)
                ok = reply.status == health_pb2.HealthCheckResponse.SERVING
    except Exception as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        sys.exit(1)
    sys.exit(0 if ok else 1)
