# GovOps — the README's two commands call `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
BUF := node_modules/.bin/buf
PROTOS := $(shell find proto -name '*.proto')
# The web portal's app (Vue 3 + Element Plus, built by Vite into dist/, served by govops-portal).
WEB := services/portal/web
WEB_NODE_STAMP := $(WEB)/node_modules/.installed
WEB_STAMP := $(WEB)/dist/.built
WEB_SOURCES := $(shell find $(WEB)/src -type f 2>/dev/null) $(WEB)/index.html $(WEB)/api-docs.html \
	$(WEB)/vite.config.js

.PHONY: packages servers setup run test proto migrate seed keys lint proto-lint proto-image bench web

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Node tooling only (the pinned buf CLI, package-lock.json); the web portal has its own package.json.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

$(WEB_NODE_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $(WEB_NODE_STAMP)

# Built assets are not committed; rebuilt only when the app's sources or its lock file change.
$(WEB_STAMP): $(WEB_NODE_STAMP) $(WEB_SOURCES)
	cd $(WEB) && npm run build
	touch $(WEB_STAMP)

web: $(WEB_STAMP)

# Generated code is not committed: it is rebuilt from the .proto files by the pinned grpcio-tools.
proto: $(STAMP)
	$(BIN)/python -m govkit.protogen

keys: $(STAMP)
	$(BIN)/govops dev keys

servers:
	./scripts/ensure-servers.sh

migrate: $(STAMP) proto servers
	$(BIN)/govops-migrate all

packages:
	./scripts/ensure-packages.sh

setup: packages $(STAMP) $(NODE_STAMP) web proto keys migrate

seed: setup
	$(BIN)/govops dev seed

# Sets everything up, seeds the demo, starts all eleven processes (the ten of the five services and
# the portal's portal-web); Ctrl-C stops them all.
run: seed
	$(BIN)/govops dev banner
	$(BIN)/honcho -f Procfile start

# The web app's unit tests (vitest); unit, integration, e2e (browser tests included) and deploy
# tests; then the nameko worker tests in their own eventlet-patched process (grpcio and eventlet
# cannot share one).
test: setup lint
	cd $(WEB) && npm test
	$(BIN)/python tests/worker/run.py
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python -m bench

# buf STANDARD style plus a leading comment on every service, rpc, message, field and enum (buf.yaml).
proto-lint: $(NODE_STAMP)
	$(BUF) lint

# Renews the committed image of the API that `buf breaking` compares against
# (tests/deploy/test_proto_breaking.py). Run it only for a deliberate break, or to take in added
# API after a release; comments are left out so editing one does not churn the image.
proto-image: $(NODE_STAMP)
	$(BUF) build --exclude-source-info -o proto/api-image.binpb

# ruff lints (it does not reformat: `ruff format` is not applied to the tree); mypy types services/
# and the typed test fakes; buf lints the protos. Levels: docs/kit.md, "Types and lint".
lint: $(STAMP) proto proto-lint
	$(BIN)/ruff check services tests bench scripts
	$(BIN)/mypy
