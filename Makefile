# Two commands for a newcomer: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
COMPILED := matchers/compiled.json
# the development server's database and secret live under var/ (git ignores it)
RUN_ENV := WATCHLIST_ENV=development WATCHLIST_SECRET_KEY_FILE=var/secret_key \
	WATCHLIST_DATABASE_URL=$${WATCHLIST_DATABASE_URL:-sqlite:///var/watchlist.db}

.PHONY: setup compile run demo test test-pg lint format eval bench clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,eval]'
	touch $(STAMP)

setup: $(STAMP) $(COMPILED)

# the matcher compiled with mypyc (setup.py): `pip install` compiles it, this compiles it again after an edit
# (until then the package runs its sources: matchers/__init__.py); WATCHLIST_PURE_PYTHON=1 leaves it Python
$(COMPILED): setup.py $(filter-out matchers/__init__.py,$(wildcard matchers/*.py)) | $(STAMP)
	$(BIN)/python setup.py --quiet build_ext --inplace

compile: $(COMPILED)

# the server, and the scheduler beside it (its log in var/scheduler.log, stopped with the server): it raises
# the alerts of screenings' hits, seals the audit log, matches incoming lists
run: setup
	mkdir -p var
	$(BIN)/watchlist secret var/secret_key
	$(RUN_ENV) $(BIN)/watchlist db upgrade
	$(RUN_ENV) $(BIN)/watchlist demo
	$(RUN_ENV) $(BIN)/watchlist scheduler >> var/scheduler.log 2>&1 & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/watchlist serve --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/pytest

# the same suite against the PostgreSQL on 127.0.0.1:5432 (database `test`)
test-pg: setup
	WATCHLIST_TEST_DATABASE_URL=$${WATCHLIST_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

eval: setup
	$(BIN)/python -m bench.evaluate_matching

bench: setup
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache build matchers/*.so $(COMPILED)
