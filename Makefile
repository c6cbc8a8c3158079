# Development-zone economic monitoring: ingest → Kafka → Faust → PostgreSQL/TimescaleDB → query.
# `make run` starts the whole local stack; `make test` runs every test for real.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt pyproject.toml | sha1sum | cut -c1-12)
PROTOS := $(shell find proto -name '*.proto')
# TimescaleDB in WASM PostgreSQL for the Timescale tests (npm, from the lockfile)
PGLITE_DIR := deploy/local/pglite
PGLITE_STAMP := $(PGLITE_DIR)/node_modules/.installed

.DEFAULT_GOAL := help

help: ## Show the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 is required, found {sys.version}"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP) ## Install Python dependencies, system prerequisites (java, maven, PostgreSQL 15, node) and the TimescaleDB WASM build
	@bash deploy/local/prereqs.sh
	@$(MAKE) -s --no-print-directory $(PGLITE_STAMP)

$(PGLITE_STAMP): $(PGLITE_DIR)/package.json $(PGLITE_DIR)/package-lock.json
	cd $(PGLITE_DIR) && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

run: setup ## Start the whole local stack (Kafka, PostgreSQL, ingest, processor, query); Ctrl-C stops it
	$(PY) -m stack run

test: setup ## Run every test: unit, then integration against real Kafka and PostgreSQL
	$(PY) -m pytest tests

test-unit: setup ## Unit tests only (seconds)
	$(PY) -m pytest -m "not integration" tests

test-integration: setup ## Integration tests only
	$(PY) -m pytest -m integration tests

bench: setup ## Throughput and POST-to-row delay, HTTP to database, on a fresh local stack
	$(PY) -m tests.bench.pipeline_bench

sample: setup ## Post a realistic year of data for several zones to a running stack
	$(PY) -m stack.sample

check: $(STAMP) ## Lint as CI does: ruff check, ruff format --check and mypy on every service (.ci/run runs it first)
	$(VENV)/bin/ruff check services tests
	$(VENV)/bin/ruff format --check services tests
	$(VENV)/bin/mypy

lint: check ## The same as check

fmt: setup ## Format and fix imports
	$(VENV)/bin/ruff check --fix services tests
	$(VENV)/bin/ruff format services tests

proto: setup ## Regenerate the Python code of proto/ (committed; a test fails when stale)
	$(PY) -m grpc_tools.protoc -Iproto --python_out=services/indicators_core/gen --pyi_out=services/indicators_core/gen $(PROTOS)

clean: ## Remove the virtualenv and caches (keeps .data)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

.PHONY: help setup run test test-unit test-integration bench sample check lint fmt proto clean
