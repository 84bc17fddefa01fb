# The two commands of the README: `make demo` (the main job, against the virtual lab) and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVICES ?= devices.toml

.PHONY: demo test lint typecheck probe unit bench lab-up lab-down clean

$(STAMP): pyproject.toml scripts/bootstrap.sh
	@bash scripts/bootstrap.sh

demo: $(STAMP)
	@$(BIN)/harness demo --devices $(DEVICES)

test: lint typecheck probe unit

lint: $(STAMP)
	$(BIN)/ruff check harness tests bench $(wildcard scenarios conftest.py)

typecheck: $(STAMP)
	$(BIN)/mypy

probe:
	npm --prefix probe ci --no-audit --no-fund
	npm --prefix probe test

# Byte code cached (as `harness demo` does, harness/_bytecode.py) even where PYTHONDONTWRITEBYTECODE is set: the
# suite starts pytest, the CLI and labs in subprocesses, each of which would compile the harness again.
unit: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -q -n 2 tests

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# The nightly job of a lab host (docs/nightly.md): the catalogue, the history under reports/nightly,
# the comparison with the previous runs; exits 1 only on new failures.
nightly: $(STAMP)
	$(BIN)/harness nightly --devices $(DEVICES)

lab-up: $(STAMP)
	$(BIN)/harness lab up --detach --devices $(DEVICES)

lab-down: $(STAMP)
	$(BIN)/harness lab down --devices $(DEVICES)

clean:
	rm -rf .lab .mypy_cache .ruff_cache .pytest_cache
