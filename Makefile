# sertiflow: `make run` sets up and runs the demo office; `make test` runs every check.
# Both create the virtualenv in .venv and install what they need on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(BIN)/sertiflow init
	$(BIN)/sertiflow demo --if-empty
	$(BIN)/sertiflow backlog

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench.bench_transitions
	$(BIN)/python -m bench.bench_backlog
	$(BIN)/python -m bench.bench_memory

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
