# Jishi: `make run` and `make test` are all a newcomer needs (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DB := $(PY) -m app.devdb run
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
CATALOGS := $(wildcard app/locale/*/LC_MESSAGES/messages.po)
PYTEST_WORKERS ?= 2

.PHONY: run test test-unit test-integration test-e2e bench lint format install assets messages chromium clean help

help:
	@echo "make run    - set everything up and serve http://127.0.0.1:8000 with demo data"
	@echo "make test   - set everything up and run unit, integration and browser tests"
	@echo "make bench  - load-test the production server (writes bench/results/*.json)"
	@echo "make lint   - ruff check and format check"

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=..."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP) assets messages

# Compile gettext catalogs (.po -> .mo).
messages: $(STAMP)
	@$(PY) -m babel.messages.frontend compile -d app/locale -D messages --statistics 2>&1 | grep -v "^$$" || true

# Content-hashed, precompressed (gzip + brotli) static files and their manifest, served by ServeStatic.
# Older hashed files are kept (no --clear): a server still running with the previous manifest keeps working.
assets: $(STAMP)
	@rm -rf .build/static.new && $(PY) -m servestatic.cli --all --clear --no-zstd -q static .build/static.new
	@mkdir -p .build/static && cp -a .build/static.new/. .build/static/ && rm -rf .build/static.new

# Re-extract translatable strings into both catalogs after changing templates or code.
extract: $(STAMP)
	$(PY) -m babel.messages.frontend extract -F babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 --no-location --sort-output -o app/locale/messages.pot .
	$(PY) -m babel.messages.frontend update -i app/locale/messages.pot -d app/locale -D messages --no-fuzzy-matching
	$(PY) scripts/fill_catalogs.py

run: install
	@$(DB) -- $(PY) -m app.manage run

chromium:
	@$(PY) -m e2e.browser ensure

test: install chromium
	@$(DB) --fast -- bash -c '$(PY) -m app.manage migrate >/dev/null && \
	  $(PY) -m pytest -q tests -n $(PYTEST_WORKERS) && \
	  $(PY) -m pytest -q e2e -p no:asyncio'

test-unit: install
	$(PY) -m pytest tests/unit

test-integration: install
	@$(DB) --fast -- $(PY) -m pytest tests/integration

test-e2e: install chromium
	@$(DB) --fast -- $(PY) -m pytest e2e -p no:asyncio

bench: install
	@$(DB) -- $(PY) -m bench.run
	@$(DB) -- $(PY) -m bench.dashboard

lint: $(STAMP)
	$(VENV)/bin/ruff check app tests e2e bench piccolo_conf.py
	$(VENV)/bin/ruff format --check app tests e2e bench piccolo_conf.py

format: $(STAMP)
	$(VENV)/bin/ruff check --fix app tests e2e bench piccolo_conf.py
	$(VENV)/bin/ruff format app tests e2e bench piccolo_conf.py

clean:
	rm -rf .build $(VENV)
