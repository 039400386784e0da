# Developer entry points. `make run` serves the app with demo data; `make test` runs the whole suite.
# Both install into .venv/ at the repo root: created if missing, reinstalled only when a requirements
# file is newer than the stamp .venv/.installed.

PY ?= python3
PORT ?= 8000
# Two pytest-xdist workers (this machine has two vCPUs), each module on one worker (its shared world is
# built once); PYTEST_ARGS=… replaces this, e.g. to run one file in one process.
PYTEST_ARGS ?= -n 2 --dist loadscope

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REQUIREMENTS := requirements.txt requirements-dev.txt

.DEFAULT_GOAL := help
.PHONY: help install venv run test lint fmt clean bench screenshots

help:
	@echo "make run    serve http://127.0.0.1:$(PORT)/ with demo data (web + Celery worker + beat)"
	@echo "make test   ruff, import layers, migrations check, pytest (PYTEST_ARGS=... passes options to pytest)"
	@echo "make lint   ruff check + format check + import layers;  make fmt   apply ruff fixes and formatting"
	@echo "make screenshots  refresh the README's pictures (docs/screenshots/) with the browser tests"
	@echo "make bench  measure the stack on PostgreSQL + Redis + Celery + gunicorn (bench/README.md)"
	@echo "make clean  remove var/ and .venv/"

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(REQUIREMENTS) | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

install venv: $(STAMP)

# Everything the app writes at run time (SQLite DB, filesystem broker, media, collected static) lives here.
var:
	mkdir -p var

# The demo app is removable (ARCHITECTURE.md): without it `make run` serves the app with no demo data.
run: $(STAMP) | var
	$(BIN)/python manage.py migrate --noinput --verbosity 0
	if $(BIN)/python manage.py help --commands | grep -x seed_demo >/dev/null; then \
		$(BIN)/python manage.py seed_demo --if-empty --no-logins; \
	else echo "the demo app is not installed: serving without demo data"; fi
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	PORT=$(PORT) bin/run

test: $(STAMP) | var
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var $(VENV)

# The README's pictures, taken in Chromium by the browser tests over the demo district (tests/browser/).
screenshots: $(STAMP) | var
	SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/browser/test_every_page.py -k readme_screenshots -q

# Not part of `make test`: measures the whole stack (PostgreSQL database gridmgmt_bench, Redis DB 15,
# gunicorn, a Celery worker, wrk); see bench/README.md. BENCH_CASES=1000000 for the full-size run.
bench: $(STAMP) | var
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install -y wrk"; exit 1; }
	$(BIN)/python bench/run.py
	$(BIN)/python bench/base_data.py
	dropdb --if-exists -h 127.0.0.1 -U postgres gridmgmt_io_bench
	createdb -h 127.0.0.1 -U postgres gridmgmt_io_bench
	$(BIN)/python bench/base_data_import.py --database-url postgres://postgres@127.0.0.1:5432/gridmgmt_io_bench
	$(BIN)/python bench/patrols.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/public_site.py
