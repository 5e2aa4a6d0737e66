# The two commands of the README:
#   make run    set up, build a demo database on first use, and open the console
#   make test   set up and run the whole test suite
# Both bootstrap .venv with the Python found as $(PYTHON) (3.11 or newer). `make run`
# installs what the console needs and nothing more; `make test` and `make lint` add the
# development tools.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
LOGIN  ?= olga
RUNTIME := $(VENV)/.installed-runtime
DEV     := $(VENV)/.installed-dev
PYTEST_WORKERS ?= auto

.PHONY: run test lint bench setup check-wheel clean

setup: $(DEV)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dispatcher needs Python 3.11 or newer, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	@echo "installing dispatcher and its runtime dependencies into $(VENV)"
	$(BIN)/python -m pip install --progress-bar on -e .
	touch $(RUNTIME)

$(DEV): pyproject.toml $(RUNTIME)
	@echo "installing the development tools into $(VENV)"
	$(BIN)/python -m pip install --progress-bar on -e '.[dev]'
	touch $(DEV)

# The demo database lives where the console looks by default (the user data dir), unless
# DISPATCHER_DATABASE_URL says otherwise; it is built once and then reused.
# No database yet: build the demo. One from an older version: upgrade it (demo refuses a
# database that has data).
# The modules' bytecode is written once here (an installed wheel has it from pip): with
# PYTHONDONTWRITEBYTECODE set, an editable install would compile every module at each start.
run: $(RUNTIME)
	@$(BIN)/python -m compileall -q dispatcher
	@$(BIN)/dispatcher admin db current >/dev/null 2>&1 \
		|| $(BIN)/dispatcher admin demo \
		|| $(BIN)/dispatcher admin db upgrade
	$(BIN)/dispatcher --as $(LOGIN)

# The parallel suite, then the end-to-end tests on their own (they hold timing promises).
test: $(DEV)
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e"
	$(BIN)/pytest -m e2e

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy dispatcher tests
	$(BIN)/lint-imports

# The console's figures beside their floors and targets (bench/bench_console.py), at 100k
# and 1M tickets; the databases are kept in $(BENCH_DIR) and reused. harlequin, the peer
# app it is compared with, goes into a venv of its own (never the project's); the bench
# says so and goes on when it cannot be installed.
BENCH_DIR ?= /tmp/dispatcher-bench
BENCH_SIZES ?= 100000,1000000
HARLEQUIN_VENV ?= /tmp/harlequin-venv

bench: $(DEV)
	-test -x $(HARLEQUIN_VENV)/bin/harlequin || \
		($(PYTHON) -m venv $(HARLEQUIN_VENV) && $(HARLEQUIN_VENV)/bin/pip install -q harlequin)
	$(BIN)/python bench/bench_store.py
	$(BIN)/python bench/bench_console.py --sizes $(BENCH_SIZES) --workdir $(BENCH_DIR) \
		--harlequin $(HARLEQUIN_VENV)/bin/harlequin

# The package as a user installs it: a wheel built from this tree, installed into a fresh
# venv, creating and filling a database with nothing but what the wheel holds.
check-wheel: $(DEV)
	bash .ci/check-wheel

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
