# One image for every GovOps process; the command picks the process:
#   govops-worker <svc> | govops-grpc <svc> | govops-migrate <svc> | govops-portal | govops-probe ... | govops
# No HEALTHCHECK here on purpose: docker-compose.yml and the Kubernetes manifests define probes
# per process, and an image-level check would be wrong for the one-shot migrate command.

# Both Python stages must use the same interpreter: the venv built in the first is copied into the last.
ARG PYTHON_IMAGE=python:3.11-slim
# The web portal's app is built with Node (Vite 8 needs Node >= 20.19); only its dist/ is shipped.
ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS web
WORKDIR /web
COPY services/portal/web/package.json services/portal/web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY services/portal/web ./
RUN npm run build && test -f dist/index.html

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src

# /opt/tools: the dev extra (pinned grpcio-tools) for code generation, never shipped.
# /opt/govops: the runtime venv, copied as is to the final stage.
RUN python -m venv /opt/tools && python -m venv /opt/govops

# Dependencies first, from pyproject.toml alone (an empty services/ holds no package), so this
# layer is rebuilt only when the pinned dependencies change, not on every source edit.
COPY pyproject.toml constraints.txt ./
RUN mkdir services \
 && /opt/tools/bin/pip install -c constraints.txt ".[dev]" \
 && /opt/govops/bin/pip install -c constraints.txt .

COPY proto ./proto
COPY services ./services

# Generate the gRPC/protobuf modules into services/govops/ with the very module `make proto`
# runs (protoc from the pinned grpcio-tools, plus the package __init__ files), without make.
RUN PYTHONPATH=services PYTHONDONTWRITEBYTECODE=1 /opt/tools/bin/python -m govkit.protogen \
 && test -n "$(find services/govops -name '*_pb2_grpc.py' -print -quit)"

# Install the real sources (dependencies are already in the venv), then drop pip: the
# runtime image installs nothing.
RUN /opt/govops/bin/pip install --no-deps --force-reinstall . \
 && /opt/govops/bin/python -m pip uninstall -y pip


FROM ${PYTHON_IMAGE} AS runtime
# pip compiled the .pyc files at install time; the root filesystem is read-only at run time.
ENV PATH=/opt/govops/bin:$PATH \
    GOVOPS_PORTAL_WEB_DIR=/opt/govops/web \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

# The CJK TrueType font the PDF reports embed (govkit.pdf finds it at its Debian path; set
# GOVOPS_CJK_FONT for another). Debian's package, so image scanners see it and its licence.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --gid 10001 govops \
 && useradd --uid 10001 --gid 10001 --no-log-init --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin govops \
 && mkdir -p /etc/govops/keys

COPY --from=build /opt/govops /opt/govops
COPY --from=web /web/dist /opt/govops/web

# Numeric uid so Kubernetes' runAsNonRoot can verify it without resolving names.
USER 10001:10001
WORKDIR /tmp

# Exec form: the Python process is PID 1 and receives SIGTERM itself (it drains on SIGTERM).
CMD ["govops", "--help"]
