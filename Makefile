# Commitments Tracker — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	touch $@

messages: $(VENV)/.installed ## Compile the translation catalogs (.po → .mo; pure Python, no gettext needed)
	$(MANAGE) compile_translations

# The accessibility and HTML checkers the tests run (axe-core in the browser, the Nu Html Checker on Java 17),
# pinned, from npm into .tools/ (git-ignored). Without npm the tests that need them are skipped, saying why.
AXE_CORE_VERSION := 4.14.1
VNU_JAR_VERSION := 26.9.27
TOOLS := .tools/node_modules

$(TOOLS)/.installed-$(AXE_CORE_VERSION)-$(VNU_JAR_VERSION):
	@if command -v npm >/dev/null; then \
	  npm install --prefix .tools --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
	    axe-core@$(AXE_CORE_VERSION) vnu-jar@$(VNU_JAR_VERSION) && touch $@ \
	  || echo "npm install failed: the axe-core and Nu Html Checker tests will be skipped"; \
	else echo "npm not found: the axe-core and Nu Html Checker tests will be skipped"; fi

tools: $(TOOLS)/.installed-$(AXE_CORE_VERSION)-$(VNU_JAR_VERSION) ## Install axe-core and the Nu Html Checker (npm, into .tools/)

install: $(VENV)/.installed messages ## Create the virtual environment, install the pinned dependencies, compile the translations

db: install ## Apply migrations and load the real data (only into an empty database)
	$(MANAGE) migrate --no-input
	$(MANAGE) import_commitments --if-empty fixtures/commitments-sources.yaml fixtures/assessments.yaml \
	  fixtures/translations-ru.yaml

run: db ## Set up everything and serve the site at http://127.0.0.1:8000 (admin at /admin/)
	$(MANAGE) create_demo_users
	@echo "Serving at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(MANAGE) runserver $(HOST):$(PORT)

serve: db ## Serve with gunicorn and WhiteNoise as production would (DEBUG off), at http://127.0.0.1:8000
	DEBUG=0 $(MANAGE) collectstatic --no-input -v0
	DEBUG=0 $(VENV)/bin/gunicorn -c gunicorn.conf.py tracker.wsgi

TEST_WORKERS ?= auto

test: install tools ## Run the test suite (SQLite; PostgreSQL when DATABASE_URL=postgres://… is set), one worker a core
	$(PY) -m pytest -n $(TEST_WORKERS)

bench: install ## Benchmark the pages on 1k/10k/100k demo databases (SQLite; PostgreSQL too if DATABASE_URL says so), in-process and served by gunicorn (BENCH_SERVED=0: not served)
	$(PY) bench/run.py

lint: install ## ruff and the migrations check
	$(VENV)/bin/ruff check .
	$(MANAGE) makemigrations --check --dry-run

clean: ## Remove the virtual environment and the local SQLite database
	rm -rf $(VENV) .tools db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles

.PHONY: help install messages tools db run serve test bench lint clean

loadtest: install ## Load-test gunicorn (DEBUG off) on a 10k demo database with Locust (LOADTEST_SECONDS, default 30)
	$(PY) loadtest/run.py

.PHONY: loadtest

openapi: install ## Regenerate docs/openapi.json, the API's OpenAPI document (a test fails when it drifts from the code)
	$(MANAGE) spectacular --format openapi-json --validate --fail-on-warn --file docs/openapi.json

.PHONY: openapi
