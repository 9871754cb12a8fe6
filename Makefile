# Every target bootstraps .venv from uv.lock first (installing uv with pip if it is missing), so a
# fresh clone on a machine with only Python 3.11 needs nothing else. The sync compiles bytecode: with
# PYTHONDONTWRITEBYTECODE set (as on some CI machines) no process caches it, and every Airflow
# task, dbt run and test process would recompile Airflow, dbt and GX on import (21 s against 8 s).
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced-from-lock

.PHONY: help bootstrap demo test lint airflow bench report clean

# `make` alone lists the targets, from the `##` comment on each target's line.
.DEFAULT_GOAL := help

help:  ## list the targets
	@grep -E '^[a-z][a-z-]*:[^#]*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):[^#]*## /\1\t/' | awk -F '\t' '{ printf "  make %-10s %s\n", $$1, $$2 }'

$(STAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

bootstrap: $(STAMP)  ## create .venv from uv.lock (every target does this first)

demo: bootstrap  ## the nightly pipeline end to end in Airflow against the local sandbox
	$(BIN)/python -m sandbox.demo demo

test: bootstrap lint  ## lint, then the whole test suite
	$(BIN)/python -m pytest

lint: bootstrap  ## ruff check, ruff format --check, sqlfluff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt/models dbt/macros dbt/tests

airflow: bootstrap  ## airflow standalone (UI on :8080) with the project's DAGs, against the sandbox
	$(BIN)/python -m sandbox.demo airflow

bench: bootstrap  ## measure the pipeline; writes data/bench/report.md (the Cosmos comparison: python -m benchmarks.run)
	$(BIN)/python -m benchmarks.run --skip-dbt-strategies

report: bootstrap  ## build one report (REPORT=<name>, default: the monthly ROI report) from the demo warehouse
	$(BIN)/python -m reports build $(if $(REPORT),--report $(REPORT))

clean:  ## remove data/, .airflow/ and dbt's build output (the demo's warehouse and logs with them)
	rm -rf data .airflow dbt/target dbt/logs
