# dancu — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
DEMO_PROVINCE ?= 01
DEMO_PEOPLE ?= 50000
DEMO_SEED ?= 1
# The demo's 'today' for synth: ages and dates of birth are drawn back from it, so a fixed date gives every reader
# the same people as the examples of docs/api.md and docs/integrators.md (tests/registry/test_api_docs.py).
DEMO_AS_OF ?= 2026-11-23
# Days of simulated activity behind the demo's scoreboard (dancu simulate: ~50 s for a year of 50,000 people).
DEMO_DAYS ?= 365
HOST ?= 127.0.0.1
PORT ?= 8000
GATEWAY_PORT ?= 8001
DEMO_RP_PORT ?= 8002
DEMO_SUBSCRIBER_PORT ?= 8003
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/dancu

export UV_PYTHON_DOWNLOADS := never

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}'

.PHONY: uv
uv: ## Install uv for this Python if it is missing
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv

$(BIN)/dancu: pyproject.toml uv.lock | uv
	$(UV) sync --frozen --extra spark
	@touch $@

.PHONY: install
install: $(BIN)/dancu ## Create .venv with every dependency from uv.lock

.PHONY: demo
demo: install ## Migrate, load units, build 50,000 people in Hà Nội, demo officials and bank; serve :8000, the gateway on :8001, the demo relying party on :8002, the demo social-insurance fund (life events by webhook) on :8003; with NATS_URL set, also the relay to NATS JetStream
	DANCU_DEMO=1 $(BIN)/dancu migrate --no-input -v0
	DANCU_DEMO=1 $(BIN)/dancu load_geo
	DANCU_DEMO=1 $(BIN)/dancu synth --people $(DEMO_PEOPLE) --province $(DEMO_PROVINCE) --seed $(DEMO_SEED) --as-of $(DEMO_AS_OF)
	DANCU_DEMO=1 $(BIN)/dancu load_catalogue -v0
	DANCU_DEMO=1 $(BIN)/dancu demo_gateway
	DANCU_DEMO=1 $(BIN)/dancu cards pki publish
	DANCU_DEMO=1 $(BIN)/dancu insurance demo
	DANCU_DEMO=1 $(BIN)/dancu demo_citizens --url http://$(HOST):$(PORT) --rp-url http://$(HOST):$(DEMO_RP_PORT)
	DANCU_DEMO=1 $(BIN)/dancu demo_officials
	DANCU_DEMO=1 $(BIN)/dancu linkage demo
	DANCU_DEMO=1 $(BIN)/dancu demo_subscriber --setup --url http://$(HOST):$(DEMO_SUBSCRIBER_PORT)/hooks $${NATS_URL:+--nats}
	DANCU_DEMO=1 $(BIN)/dancu simulate --days $(DEMO_DAYS) --seed $(DEMO_SEED) && DANCU_DEMO=1 $(BIN)/dancu insights follow
	DANCU_DEMO=1 $(BIN)/dancu collectstatic --no-input -v0
	@DANCU_DEMO=1 $(BIN)/dancu demo_banner --url http://$(HOST):$(PORT)/ --gateway http://$(HOST):$(GATEWAY_PORT) \
		--rp http://$(HOST):$(DEMO_RP_PORT)/
	@echo "Demo social-insurance fund (births and deaths by signed webhook): http://$(HOST):$(DEMO_SUBSCRIBER_PORT)/"
	@rm -rf var/metrics && mkdir -p var/metrics
	@# Stop (Ctrl-C, SIGTERM, or one process ending): SIGTERM once to each process started here, wait for them all
	@# (each exits within a few seconds: docs/operator.md, "Stopping and starting"), exit 0. The trap is cleared
	@# first, so that it does not run again on its own signal. The PIDs are kept as they start (the relay's too, not
	@# the subshell's around it). Started from a script with SIGINT ignored (a background job), the shell cannot trap
	@# SIGINT: stop it with SIGTERM then.
	@pids=; trap 'trap - INT TERM EXIT; kill $$pids 2>/dev/null; wait; exit 0' INT TERM EXIT; \
	DANCU_DEMO=1 $(BIN)/dancu project --follow -v0 & pids="$$pids $$!"; \
	DANCU_DEMO=1 $(BIN)/dancu follow --follow -v0 & pids="$$pids $$!"; \
	if [ -n "$$NATS_URL" ]; then DANCU_DEMO=1 $(BIN)/dancu relay -v0 & pids="$$pids $$!"; fi; \
	DANCU_DEMO=1 $(BIN)/dancu demo_rp --host $(HOST) --port $(DEMO_RP_PORT) -v0 & pids="$$pids $$!"; \
	DANCU_DEMO=1 $(BIN)/dancu demo_subscriber --host $(HOST) --port $(DEMO_SUBSCRIBER_PORT) -v0 & pids="$$pids $$!"; \
	DANCU_DEMO=1 $(BIN)/dancu subscriptions -v0 deliver --follow & pids="$$pids $$!"; \
	DANCU_GATEWAY_ISSUER=http://$(HOST):$(GATEWAY_PORT) DANCU_GATEWAY_WORKERS=2 PROMETHEUS_MULTIPROC_DIR=var/metrics \
		$(BIN)/dancu-serve --interface asgi \
		--factory --host $(HOST) --port $(GATEWAY_PORT) --workers 2 --workers-kill-timeout 8 --log-level warning \
		dancu.gateway.app:app_factory & pids="$$pids $$!"; \
	DANCU_DEMO=1 $(BIN)/dancu-serve --interface wsgi --host $(HOST) --port $(PORT) --workers 2 --blocking-threads 4 \
		--workers-kill-timeout 8 --log-level warning --static-path-route /static --static-path-mount var/static dancu.wsgi:application & pids="$$pids $$!"; \
	wait

.PHONY: browser
browser: ## Install Debian's Chromium for the browser tests (and poppler-utils for the PDF test) if missing; no download
	@command -v chromium >/dev/null 2>&1 || { \
		apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || \
		{ apt-get update -qq && apt-get install -y --no-install-recommends chromium >/dev/null; }; }
	@command -v chromium >/dev/null 2>&1 || { echo "Chromium is needed for the browser tests: apt-get install chromium"; exit 1; }
	@# pdftotext (poppler-utils) reads the result PDFs back in their layout test; without it that test is skipped.
	@command -v pdftotext >/dev/null 2>&1 || apt-get install -y --no-install-recommends poppler-utils >/dev/null 2>&1 || \
		{ apt-get update -qq && apt-get install -y --no-install-recommends poppler-utils >/dev/null 2>&1; } || \
		echo "poppler-utils not installed: the PDF layout test will be skipped"

.PHONY: nats
nats: ## Install Debian's nats-server if it is missing (the NATS tests start their own; no download)
	@command -v nats-server >/dev/null 2>&1 || test -x /usr/sbin/nats-server || { \
		apt-get install -y --no-install-recommends nats-server >/dev/null 2>&1 || \
		{ apt-get update -qq && apt-get install -y --no-install-recommends nats-server >/dev/null; }; }
	@command -v nats-server >/dev/null 2>&1 || test -x /usr/sbin/nats-server || \
		{ echo "nats-server is needed for the NATS tests: apt-get install nats-server"; exit 1; }

.PHONY: test
test: install browser nats ## Run the test suite on SQLite (NATS tests mandatory)
	DANCU_REQUIRE_NATS=1 $(BIN)/pytest -q

.PHONY: test-postgres
test-postgres: install browser nats ## Run the test suite on PostgreSQL ($$PG_TEST_URL), Redis and NATS tests mandatory
	DATABASE_URL=$(PG_TEST_URL) DANCU_REQUIRE_POSTGRES=1 DANCU_REQUIRE_REDIS=1 DANCU_REQUIRE_NATS=1 $(BIN)/pytest -q

.PHONY: lint
lint: install ## ruff (lint and format check), mypy, the layer contracts (import-linter), migrations up to date
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	DANCU_VAR_DIR=$$(mktemp -d) $(BIN)/dancu makemigrations --check --dry-run -v1

.PHONY: format
format: install ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: bench
bench: install ## Run the benchmarks (see bench/README.md; results go to bench/RESULTS.md by hand)
	$(BIN)/python bench/run.py

.PHONY: messages
messages: install ## Refresh the Vietnamese catalogue of every app (locale/vi; the gateway stays English) and compile them (needs gettext)
	cd src/dancu && DANCU_VAR_DIR=$$(mktemp -d) ../../$(BIN)/dancu makemessages -l vi --ignore "migrations/*" --ignore "*/static/*" --ignore "gateway/*"
	cd src/dancu && DANCU_VAR_DIR=$$(mktemp -d) ../../$(BIN)/dancu compilemessages -l vi

.PHONY: vendor
vendor: ## Refresh front-end assets from npm into static/vendor (needs Node; the built files are committed)
	cd frontend && npm ci --no-audit --no-fund && npm run vendor

.PHONY: clean
clean: ## Remove the demo database and generated files (var/)
	rm -rf var
