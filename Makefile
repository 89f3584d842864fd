# sertiflow: `make run` sets up and runs the demo office; `make test` runs every check.
# Both create the virtualenv in .venv and install what they need on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
LOCK   := requirements.lock
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)

# WeasyPrint needs Pango; HarfBuzz's subsetter halves PDF writing time. The web app's
# end-to-end tests drive Debian's Chromium (Playwright cannot download a browser here); its
# benchmark drives the pages with wrk.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 chromium chromium-driver wrk

.PHONY: run test lint typecheck pytest bench clean system-deps lock mutation messages serve

system-deps:
	@if command -v dpkg >/dev/null 2>&1; then \
	  missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages: $$missing"; \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
	    elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq $$missing; \
	    else echo "install these Debian packages first: $$missing" >&2; exit 1; fi; \
	  fi; \
	fi

# The exact versions the tests passed with (requirements.lock), then sertiflow itself.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r $(LOCK)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/pybabel compile --use-fuzzy -d web/locale -D messages  # the web pages' catalogs
	rm -f $(VENV)/.installed-*
	touch $@

# Re-resolve pyproject.toml's ranges into requirements.lock (then run make test, and commit it).
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check -e ".[dev]"
	.lock-venv/bin/pip freeze --exclude-editable > $(LOCK)
	rm -rf .lock-venv

# The demo office in var/sertiflow.db, served with its embedded worker (emails in var/mail):
# the address and the demo logins are printed; Ctrl+C stops it.
run: system-deps $(STAMP)
	$(BIN)/pybabel compile -d web/locale -D messages
	$(BIN)/sertiflow init
	$(BIN)/sertiflow demo --if-empty
	$(BIN)/sertiflow serve

lint: $(STAMP)
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --check --no-cache .

typecheck: $(STAMP)
	$(BIN)/mypy

# Two pytest-xdist workers (pyproject.toml's addopts); PYTEST_ARGS="-n 0" runs the tests in one
# process, PYTEST_ARGS="tests/unit" runs a part of them.
pytest: system-deps $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: system-deps $(STAMP)
	$(BIN)/python -m bench.bench_transitions
	$(BIN)/python -m bench.bench_backlog
	$(BIN)/python -m bench.bench_memory
	$(BIN)/python -m bench.bench_import  # about 2 minutes: 10 and 50 MB registries, 300,000 bad rows
	$(BIN)/python -m bench.bench_workers  # needs Redis on 127.0.0.1:6379 (uses database 13)
	$(BIN)/python -m bench.bench_packets  # about 7 minutes
	$(BIN)/python -m bench.bench_web  # about 6 minutes; needs PostgreSQL on 127.0.0.1:5432

# Mutation testing (mutmut) of the modules in pyproject.toml's [tool.sertiflow.mutation], each
# with the tests that cover it; prints the score per module and in total. Takes a while: pick
# modules with MUTATE="workflow/calendar.py documents/signing.py", workers with MUTATION_JOBS=1.
mutation: system-deps $(STAMP)
	$(BIN)/python -m tests.mutation $(MUTATE)

# The web pages' strings: extract them from templates/web/ and merge them into each language's
# catalog (web/locale/*/LC_MESSAGES/messages.po; translate the new ones), then compile.
messages: $(STAMP)
	$(BIN)/pybabel extract -F web/babel.cfg -o web/locale/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i web/locale/messages.pot -d web/locale -D messages --no-fuzzy-matching
	$(BIN)/pybabel compile -d web/locale -D messages

# The web app on whatever office var/sertiflow.db holds (make run loads the demo first).
serve: $(STAMP)
	$(BIN)/pybabel compile -d web/locale -D messages
	$(BIN)/sertiflow serve

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
