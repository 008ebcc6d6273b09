# The newcomer's commands: `make demo` and `make test`. Three environments, all exactly as uv.lock says:
# .venv (the tooling: UI, daemon, tests, benchmark, sample data), .venvs/analytics and .venvs/ml (one per
# code location, holding only what that location declares). Data lives in $WAREHOUSE_DIR.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ORDERS ?= 1000000
# Every path the code needs comes from the environment, never from where a package is installed
# (a location installed without --editable lives in site-packages): the warehouse, and the dbt project.
WAREHOUSE_DIR ?= warehouse
override WAREHOUSE_DIR := $(abspath $(WAREHOUSE_DIR))
export WAREHOUSE_DIR
export DBT_PROJECT_DIR := $(CURDIR)/analytics_dbt
# The tooling venv's programs come first, as if it were activated.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# make demo and make ui share one Dagster instance per warehouse ($DAGSTER_HOME when set, else
# $WAREHOUSE_DIR/dagster_home: warehouse_paths.dagster_home), so the demo's runs show in the UI.

.PHONY: setup data demo test lint ui serve bench reliability clean

# Re-sync whenever a dependency file changes; uv is bootstrapped into the venv, then keeps itself locked.
LOCK_INPUTS := uv.lock pyproject.toml analytics_location/pyproject.toml ml_location/pyproject.toml \
	warehouse_paths/pyproject.toml
$(VENV)/.synced: $(LOCK_INPUTS)
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet --disable-pip-version-check uv; }
	$(BIN)/uv sync --locked
	@touch $@

# One environment per code location, from the same lock: only the member's own dependencies.
LOCATIONS := analytics ml
.venvs/%/.synced: $(VENV)/.synced
	UV_PROJECT_ENVIRONMENT=.venvs/$* $(BIN)/uv sync --locked --no-dev --package $*-location
	@touch $@
LOCATION_VENVS := $(foreach loc,$(LOCATIONS),.venvs/$(loc)/.synced)

# dagster-dbt loads the dbt project from its manifest, which `dbt parse` writes (it is not committed).
MANIFEST := analytics_dbt/target/manifest.json
DBT_SOURCES := $(shell find analytics_dbt/models analytics_dbt/macros analytics_dbt/tests -type f) \
	analytics_dbt/dbt_project.yml analytics_dbt/profiles.yml
$(MANIFEST): $(VENV)/.synced $(DBT_SOURCES)
	cd analytics_dbt && ../$(BIN)/dbt parse --quiet

setup: $(VENV)/.synced $(LOCATION_VENVS) $(MANIFEST)

## make data: sample raw files in $WAREHOUSE_DIR/raw, unless raw files are already there (yours, say).
data: setup
	$(BIN)/python -m datagen --if-empty

## make load-raw: with WAREHOUSE_BACKEND=postgres, the landing files of $WAREHOUSE_DIR/raw into schema raw of the
## server of ANALYTICS_PG_URL, each table swapped in whole; then `dbt build` builds there (README: PostgreSQL).
.PHONY: load-raw
load-raw: setup
	$(BIN)/python -m analytics_location.raw_load

## make demo: set up, make sample data if there is none, run the main job (raw -> dbt -> ML, through
## Dagster), print the results and where they are. One line per stage; each stage's full output goes to a
## log file in DEMO_LOGS (demo/stage.py runs the set-up stage with the system Python: no venv exists yet).
DEMO_LOGS ?= $(WAREHOUSE_DIR)/logs/demo
demo: export DEMO_LOGS := $(DEMO_LOGS)
demo:
	@echo "make demo: one line per stage, full logs in $(DEMO_LOGS)/"
	@$(PYTHON) demo/stage.py set-up $(DEMO_LOGS)/setup.log -- $(MAKE) --no-print-directory setup
	@$(BIN)/python -m demo

## make system-deps: the programs the tests need that come from Debian rather than PyPI, installed when missing
## (apt-get as root, sudo otherwise): Chromium for the browser test (/usr/bin/chromium; Playwright downloads no
## browser here) and PostgreSQL's server programs (initdb, pg_ctl) for the throwaway servers of the tests.
.PHONY: system-deps
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
MISSING_DEBS := $(if $(wildcard /usr/bin/chromium),,chromium) \
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql)
system-deps:
	@$(if $(strip $(MISSING_DEBS)),echo "make system-deps: installing $(strip $(MISSING_DEBS)) from Debian" && $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(strip $(MISSING_DEBS)) >/dev/null,true)

## make test: set up, then run every test (each on its own temporary warehouse), in TEST_WORKERS processes
## (pytest-xdist; each test file whole in one of them, so its module fixtures are built once).
TEST_WORKERS ?= 2
test: setup system-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

## make test-fast: unit and integration tests, without the slow whole-pipeline runs, the UI server, the
## PostgreSQL warehouse, the reliability suite, the fuzzer or the benchmark; in TEST_WORKERS processes, as make test.
.PHONY: test-fast
test-fast: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "(unit or integration) and not slow"

## make docs: dbt's documentation site (models, columns, tests, lineage, and the ML team's assets as
## exposures) into analytics_dbt/target/, with the catalog read from $WAREHOUSE_DIR/analytics.duckdb.
## make docs-serve serves it on 127.0.0.1:DOCS_PORT.
DOCS_PORT ?= 8080
.PHONY: docs docs-serve
docs: setup
	cd analytics_dbt && ../$(BIN)/dbt docs generate --quiet
	@echo "dbt docs: analytics_dbt/target/index.html (exposures: the ML team's assets). Serve them with"
	@echo "  make docs-serve   (http://127.0.0.1:$(DOCS_PORT); or: cd analytics_dbt && dbt docs serve --port $(DOCS_PORT))"
docs-serve: docs
	cd analytics_dbt && ../$(BIN)/dbt docs serve --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

## make lint: ruff, then sqlfluff over the dbt models (analytics_dbt/.sqlfluff). The dbt templater compiles the
## project: against a throwaway warehouse and target folder, so lint never waits on (or writes) the real ones.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && cd analytics_dbt && \
	  WAREHOUSE_DIR=$$scratch DBT_TARGET_PATH=$$scratch/target DBT_LOG_PATH=$$scratch/logs ../$(BIN)/sqlfluff lint models

## make ui: one Dagster UI over both code locations, on 127.0.0.1 only (UI_HOST=0.0.0.0 to share it).
UI_HOST ?= 127.0.0.1
UI_PORT ?= 3000
## The terminal shows the address, then warnings and errors only; everything (the daemon's ticks, each run's
## event log) goes to UI_LOG (default: $WAREHOUSE_DIR/logs/ui.log), rewritten at each start. Ctrl-C or SIGTERM
## stops it all (serve/dev_ui.py).
ui: data
	@UI_HOST=$(UI_HOST) UI_PORT=$(UI_PORT) $(BIN)/python -m serve.dev_ui

## make serve: what a deployment runs, in the foreground (docs/deploy.md): a gRPC code server per location,
## each from its own environment, the webserver (UI_HOST:UI_PORT) and the daemon, with the instance on
## PostgreSQL: DAGSTER_PG_URL=postgresql://user:password@host:5432/database make serve. Ctrl-C stops it all.
serve: setup
	UI_HOST=$(UI_HOST) UI_PORT=$(UI_PORT) $(BIN)/python -m serve

## make bench ORDERS=N: the benchmark at one size (default 1,000,000 orders): table, bench/results.json,
## bench/chart.png. make bench SCALING=1: 1M, 10M and 50M orders, bench/scaling.json and bench/scaling.png.
## make bench ORDERS=N BATCH=M: the daily update (N lines of history in batch files, one new batch of M lines):
## table, and the `daily` object of bench/results.json (its other keys stay); with SCALING=1, at 1M, 10M and 50M
## lines of history: bench/daily_scaling.json and bench/daily_scaling.png. METADATA_COST=1 adds a Dagster-run
## dbt build timed at each ANALYTICS_DBT_METADATA level.
## make bench TPCH=1: make demo's analytics and ML stages at TPC-H scale factor 1's shape (6M lines, 150,000 customers,
## 200,000 products, seven years), seconds and peak memory each, and the models' metrics: `tpch_shape` in results.json.
## TPCH=real: the same on TPC-H's own SF1 data (tpchgen-cli, mapped onto the raw contract): `tpch` in results.json.
## BACKEND=postgres: ours on PostgreSQL too (a throwaway server, or ANALYTICS_PG_URL/ML_PG_URL), key `postgres`.
BATCH ?=
bench: setup
	$(BIN)/python -m bench $(if $(SCALING),--scaling,--orders $(ORDERS)) $(if $(BATCH),--batch $(BATCH)) $(if $(TPCH),--tpch-shape $(if $(filter real,$(TPCH)),--tpch-data tpchgen)) \
		$(if $(METADATA_COST),--metadata-cost) $(if $(BACKEND),--backend $(BACKEND))

## make reliability: the reliability suite at a bigger size than CI's; its figures go to
## docs/reliability-figures.json, which docs/reliability.md quotes.
RELIABILITY_CYCLES ?= 30
RELIABILITY_KILLS ?= 50
reliability: setup
	RELIABILITY_CYCLES=$(RELIABILITY_CYCLES) RELIABILITY_KILLS=$(RELIABILITY_KILLS) \
	RELIABILITY_REPORT=$(CURDIR)/docs/reliability-figures.json $(BIN)/python -m pytest tests/reliability -v

## make fuzz: the raw-contract fuzzer (tests/fuzz) at length: FUZZ_EXAMPLES random examples (default 500;
## `make test` runs 24). Failing examples are kept in .hypothesis/ and replayed first by the next run.
FUZZ_EXAMPLES ?= 500
fuzz: setup
	FUZZ_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz -v --hypothesis-show-statistics

## make pg-roles: on a PostgreSQL warehouse (WAREHOUSE_BACKEND=postgres), create or update the analytics and ML
## logins named in ANALYTICS_PG_URL and ML_PG_URL, their schemas and privileges, as PG_ADMIN_URL (a login
## allowed to create roles). Safe to run again.
.PHONY: pg-roles
pg-roles: setup
	$(BIN)/python -m pg_roles

clean:
	rm -rf analytics_dbt/target analytics_dbt/logs .pytest_cache .ruff_cache .venvs
