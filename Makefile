# Two commands on a fresh machine: `make demo` and `make test`. Each builds .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := demo

.PHONY: demo test test-dates faketime lint typecheck browser unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" bash docs/demo.sh $(DEMO)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check campaign posts scheduler tests bench
	$(BIN)/ruff format --check campaign posts scheduler tests bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Two pytest-xdist workers (TEST_WORKERS=1 for one process). The slow tests that time real
# daemons and signals share one worker, one at a time (tests/fixtures/timing_group.py).
TEST_WORKERS ?= 2
unit: $(VENV)/.installed-dev
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

test: lint typecheck browser unit

# The browser tests drive Debian's Chromium. Installed here when missing and we may (root with
# apt-get, as on CI); elsewhere the tests fail saying how to install it.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# The tests marked `dates` (tests/conftest.py: DATE_SENSITIVE) on four awkward days, under
# libfaketime (Debian's faketime; installed here like chromium): the day America/New_York leaves
# daylight saving time (from 30 s before the clocks go back), 29 February 2028, the last 30 s of
# this year, and one year from today. The clock starts there and ticks; the monotonic clock is
# left real (faking it hangs Python's timed waits). time-machine still freezes time inside tests.
test-dates: $(VENV)/.installed-dev faketime
	@set -e; year_ahead=$$(date -u -d '+1 year' '+%Y-%m-%d %H:%M:%S'); \
	for when in "2027-11-07 05:59:30" "2028-02-29 12:00:00" "$$(date -u +%Y)-12-31 23:59:30" "$$year_ahead"; do \
		echo "== the tests marked dates, from $$when UTC"; \
		PATH="$(CURDIR)/$(BIN):$$PATH" FAKETIME_DONT_FAKE_MONOTONIC=1 \
			faketime "$$when UTC" $(BIN)/python -m pytest -m "dates and not slow" -q -p no:cacheprovider; \
	done

faketime:
	@if ! command -v faketime >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's faketime for make test-dates"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; \
	fi
	@command -v faketime >/dev/null || { \
		echo "make test-dates needs libfaketime: sudo apt-get install faketime"; exit 2; }

bench: $(VENV)/.installed-dev
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
