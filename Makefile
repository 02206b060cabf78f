# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make run    install, migrate, import seeds/, build the index, serve on 127.0.0.1:8000
#   make test   install, then the whole test suite (and the database-facing files again on PostgreSQL)
#   make run-postgres   as make run, on a local PostgreSQL 15 cluster under the data directory
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# PostgreSQL (config.pgcluster): the cluster of `make run-postgres`, and the
# test files run a second time with Django's database on a throwaway server.
DATA_DIR := $(or $(ARCHIVE_DATA_DIR),var)
PG_DIR ?= $(or $(ARCHIVE_PG_DIR),$(DATA_DIR)/postgres)
PG_BIN := /usr/lib/postgresql/15/bin
PG_TESTS := tests/test_importing.py tests/test_importing_metadata.py tests/test_views.py \
	tests/test_views_metadata.py tests/test_admin.py tests/test_admin_metadata.py tests/test_queue.py \
	tests/test_stable_addresses.py tests/test_models.py tests/test_feed.py tests/test_index_sync.py \
	tests/test_search_views.py tests/test_citations.py tests/test_query_feed.py tests/test_importing_connection.py \
	tests/test_search.py tests/test_postgres_request_faults.py tests/test_research.py

.PHONY: run test demo demo-data serve bench reliability browser-deps postgres-deps run-postgres migrate seed clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py import_essays seeds/
	$(PY) manage.py check_index --fix

run: seed
	$(PY) manage.py runserver $(HOST):$(PORT)

# A demo archive to try the site at a realistic size: DEMO_COUNT generated essays
# (bench.generate, with their metadata.csv) imported beside the seeds, then served.
DEMO_COUNT ?= 300
DEMO_DIR ?= var/demo-essays

demo-data: seed
	$(PY) -m bench.generate $(DEMO_DIR) --count $(DEMO_COUNT) --seed 19 --avg-chars 1200
	$(PY) manage.py import_essays $(DEMO_DIR)
	$(PY) manage.py check_index --fix

demo: demo-data
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m pytest
	$(PY) -m pytest --postgres $(PG_TESTS)

# The same site on PostgreSQL: a cluster in $(PG_DIR) (started as the
# postgres user when run as root), on a unix socket there; search stays Whoosh.
run-postgres: $(STAMP) postgres-deps
	url=$$($(PY) -m config.pgcluster up $(PG_DIR)) && export ARCHIVE_DATABASE_URL="$$url" && \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py import_essays seeds/ && \
	$(PY) manage.py check_index --fix && \
	$(PY) manage.py runserver $(HOST):$(PORT)

# Debian's PostgreSQL 15 server (root), for run-postgres and the tests.
postgres-deps:
	@test -x $(PG_BIN)/postgres || command -v pg_ctl >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15)

# Production-style serving: gunicorn, one worker per core, settings from config.production.
serve: migrate
	DJANGO_SETTINGS_MODULE=config.production $(PY) manage.py collectstatic --noinput -v0
	DJANGO_SETTINGS_MODULE=config.production $(VENV)/bin/gunicorn -c config/gunicorn.py config.wsgi

bench: $(STAMP)
	$(PY) -m bench.run

# Reliability tests (real gunicorn, faults, fuzzing), then docs/RELIABILITY.md from their figures.
reliability: $(STAMP)
	mkdir -p test-artifacts
	status=0; $(PY) -m pytest -m reliability --junitxml=test-artifacts/reliability-junit.xml || status=$$?; \
	$(PY) -m tests.reliability_report; exit $$status

# Debian's Chromium and its driver, for the end-to-end tests (root).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

clean:
	rm -rf $(VENV) var
