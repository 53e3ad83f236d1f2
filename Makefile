# ReleaseHub. `make run` starts everything on the embedded defaults; `make test` runs the suite.
PORT ?= 8000
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)

.PHONY: run test test-clock install migrate demo lock lint format clean loadtest

$(VENV)/.installed: requirements.lock requirements-dev.lock scripts/bootstrap
	./scripts/bootstrap

install: $(VENV)/.installed

var:
	mkdir -p var/broker/queue var/broker/control

migrate: install var
	python manage.py migrate --noinput

demo: migrate
	python manage.py seed_demo

## Start web (gunicorn), the Celery workers (`worker`: timed actions, `mailer`: deliveries) and
## beat on http://127.0.0.1:$(PORT). Ctrl-C stops all. honcho gives each process its own PORT;
## WEB_PORT tells them all the web's (links in e-mails).
run: demo
	@echo "ReleaseHub on http://127.0.0.1:$(PORT)/"
	WEB_PORT=$(PORT) honcho --procfile Procfile start --port $(PORT)

## The whole suite, ruff included. DATABASE_URL / REDIS_URL select real services.
test: install var
	pytest $(PYTEST_ARGS)

## The tests marked `clock` again at the instants where a week of the release clock turns
## (IST): just before and after the Monday 18:00 freeze, Tuesday night after T-24h, Wednesday
## 09:45 between Go/No-Go and the window, and a Saturday. Each run is independent of the hour.
CLOCK_INSTANTS ?= 2026-11-23T17:59:00+05:30 2026-11-23T18:01:00+05:30 \
	2026-11-24T23:59:00+05:30 2026-11-25T09:45:00+05:30 2026-11-28T03:00:00+05:30
test-clock: install var
	@set -e; for now in $(CLOCK_INSTANTS); do \
		echo "--- tests marked clock at $$now"; \
		RELEASEHUB_TEST_NOW=$$now pytest -m clock -q -p no:cacheprovider $(PYTEST_ARGS); \
	done

## The release-day load test (docs/performance.md): a throwaway database (releasehub_load, dropped
## and created) on PostgreSQL, Redis, gunicorn and a worker from the Procfile, then the locust
## scenarios. LOAD_SECONDS=60 LOAD_SCENARIOS="live mixed crowd" LOAD_DATABASE_URL LOAD_REDIS_URL.
loadtest: install
	python loadtest/run.py

lint: install
	ruff check . && ruff format --check .

format: install
	ruff check --fix . && ruff format .

## Re-pin both locks (needs network access to PyPI): the runtime first, then development on
## top of it, so both pin the runtime packages at the same versions.
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile requirements.in --universal --python-version 3.12 --generate-hashes -o requirements.lock
	$(BIN)/uv pip compile requirements-dev.in --universal --python-version 3.12 --generate-hashes -o requirements-dev.lock

clean:
	rm -rf var .venv
