# The two commands: `make run` (demo on http://127.0.0.1:8000) and `make test`
# (ruff, lint-imports for the stack of apps, makemigrations --check, pytest).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test venv lint format migrate seed clean bench load faults

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput

seed: migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo --with-report

run: seed
	@echo "CTG sur http://127.0.0.1:8000 (Ctrl+C pour arrêter)"
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:8000

# One pytest worker per core (pytest-xdist, a test database per worker), the slowest tests
# listed at the end. `make test PYTEST_ARGS="-n0 tests/test_x.py"` runs in one process.
PYTEST_ARGS ?= -n auto --dist worksteal --durations=15 --durations-min=5

test: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Performance at national scale: DATABASE_URL when set (a PostgreSQL database is created if
# missing), otherwise bench/bench.sqlite3 (never the demo db.sqlite3). Production-like settings:
# DEBUG off, cached templates. Several sizes, each in its own database (ctg_bench, ctg_bench_x10):
# make bench BENCH_ARGS="--scale 1,10" (see bench/scales.py).
BENCH_ENV = DEBUG=0 SECRET_KEY=bench-only ALLOWED_HOSTS=testserver \
	DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/bench/bench.sqlite3} \
	MEDIA_ROOT=$(CURDIR)/bench/media CELERY_TASK_ALWAYS_EAGER=1 LOG_LEVEL=WARNING

bench: venv
	$(BENCH_ENV) $(PY) -c "from bench.scales import ensure_database; ensure_database()"
	$(BENCH_ENV) $(PY) manage.py migrate --noinput -v0
	$(BENCH_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(BENCH_ENV) $(PY) manage.py bench $(BENCH_ARGS)

# Load test, by hand (not in CI): gunicorn + PostgreSQL ctg_load, client on 127.0.0.1 only
# (same machine). LOAD_THINK: seconds between a user's requests (1-3 for a stress test).
LOAD_USERS ?= 200
LOAD_DURATION ?= 60s
LOAD_THINK ?= 5-15
load: venv
	LOAD_USERS=$(LOAD_USERS) LOAD_DURATION=$(LOAD_DURATION) LOAD_THINK=$(LOAD_THINK) bash load/run.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles .test-media

# Faults against the machine's real PostgreSQL (database ctg_faults), a private
# redis-server and real Celery workers; restarts PostgreSQL once. Run by hand.
faults: venv
	$(PY) -m faults
