# The two commands of the README:
#   make run    set up, build a demo database on first use, and open the console
#   make test   set up and run the whole test suite
# Both bootstrap .venv with the Python found as $(PYTHON) (3.11 or newer).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
LOGIN  ?= olga
STAMP  := $(VENV)/.installed
PYTEST_WORKERS ?= auto

.PHONY: run test lint bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dispatcher needs Python 3.11 or newer, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo database lives where the console looks by default (the user data dir), unless
# DISPATCHER_DATABASE_URL says otherwise; it is built once and then reused.
# No database yet: build the demo. One from an older version: upgrade it (demo refuses a
# database that has data).
run: $(STAMP)
	@$(BIN)/dispatcher admin db current >/dev/null 2>&1 \
		|| $(BIN)/dispatcher admin demo \
		|| $(BIN)/dispatcher admin db upgrade
	$(BIN)/dispatcher --as $(LOGIN)

# The parallel suite, then the end-to-end tests on their own (they hold timing promises).
test: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e"
	$(BIN)/pytest -m e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy dispatcher tests
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/bench_store.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
