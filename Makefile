# ReleaseHub. `make run` starts everything on the embedded defaults; `make test` runs the suite.
PORT ?= 8000
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)

.PHONY: run test install migrate demo lock lint format clean

$(VENV)/.installed: requirements.lock scripts/bootstrap
	./scripts/bootstrap

install: $(VENV)/.installed

var:
	mkdir -p var/broker/queue var/broker/control

migrate: install var
	python manage.py migrate --noinput

demo: migrate
	python manage.py seed_demo

## Start web (gunicorn), Celery worker and beat on http://127.0.0.1:$(PORT). Ctrl-C stops all.
run: demo
	@echo "ReleaseHub on http://127.0.0.1:$(PORT)/"
	honcho --procfile Procfile start --port $(PORT)

## The whole suite, ruff included. DATABASE_URL / REDIS_URL select real services.
test: install var
	pytest $(PYTEST_ARGS)

lint: install
	ruff check . && ruff format --check .

format: install
	ruff check --fix . && ruff format .

## Re-pin requirements.lock from requirements.in (needs network access to PyPI).
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile requirements.in --universal --python-version 3.12 --generate-hashes -o requirements.lock

clean:
	rm -rf var .venv
