# Jingzhun: `make run` (embedded demo) and `make test` are all a newcomer needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Source roots of the packages (kept in step with [tool.setuptools.packages.find] in pyproject.toml).
SRC_ROOTS := libs/jzkit services/registry services/identification services/funds services/audit gateway cli
PTH    := $(VENV)/lib/python3.11/site-packages/jingzhun-src.pth
JZ     := $(PY) -m jingzhun

.PHONY: run test test-unit lint stack stack-down bench soak migrate seed clean venv

venv: $(STAMP) $(PTH)

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.lock
	@touch $(STAMP)

# A .pth file puts the source roots on sys.path: edits and new modules work without reinstalling.
$(PTH): $(STAMP) Makefile
	@printf '%s\n' $(addprefix $(CURDIR)/,$(SRC_ROOTS)) > $(PTH)

run: venv  ## embedded mode: one process, SQLite under ./var, demo data, http://127.0.0.1:8000
	$(JZ) run

test: venv  ## the whole suite; stack tests need PostgreSQL and RabbitMQ (JZ_REQUIRE_SERVICES=1 fails if absent)
	$(PY) -m pytest -q

test-unit: venv
	$(PY) -m pytest -q -m "not stack"

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy libs/jzkit/jzkit services/registry/registry services/identification/identification services/funds/funds services/audit/audit gateway/gateway cli/jingzhun

stack: venv  ## separate processes against PostgreSQL and RabbitMQ on localhost; logs in var/log/
	$(JZ) stack

stack-down: venv  ## stops a running `make stack` (from another terminal)
	$(PY) -m jingzhun.stack down

migrate: venv
	$(JZ) migrate

seed: venv
	$(JZ) seed

bench: venv  ## benchmarks on PostgreSQL + RabbitMQ; ratios against baselines in the same run
	$(PY) -m bench

soak: venv  ## bounded soak of the whole stack: 10 minutes at a fixed rate; SOAK_ARGS="--seconds 60 --rate 40"
	$(PY) -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf var/*.db var/*.db-* .pytest_cache .mypy_cache .ruff_cache
