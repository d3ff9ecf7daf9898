# Two commands: `make run` (install, migrate, serve) and `make test` (install test tools, lint, pytest).
# `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# Targets build on each other in order (install before db before run): never in parallel.
.NOTPARALLEL:

# Front-end versions: pinned here and nowhere else.
GOVUK_FRONTEND_VERSION := 6.3.0
AXE_CORE_VERSION := 4.11.0

SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_SYSTEM_PACKAGES := chromium chromium-driver postgresql

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PIP := $(VENV)/bin/python -m pip --disable-pip-version-check --no-input
PYTEST_ARGS ?=
LOADTEST_ARGS ?=

# Stamps live inside the venv (so `rm -rf .venv` forgets them) and are named after a hash of
# pyproject.toml's contents: an edit to the dependencies reinstalls; a checkout or touch that only
# changes its mtime does not. (Hence no make prerequisite on pyproject.toml itself.)
PYPROJECT_HASH := $(shell sha256sum pyproject.toml | cut -c1-16)
INSTALL_STAMP := $(VENV)/.stamp-install-$(PYPROJECT_HASH)
DEV_STAMP := $(VENV)/.stamp-dev-$(PYPROJECT_HASH)

.PHONY: help install db run serve worker test-install test lint audit bench fuzz loadtest clean translations \
        system-deps test-system-deps assets test-assets

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: system-deps $(INSTALL_STAMP) assets ## System libraries, .venv with the app, GOV.UK Frontend assets

db: install ## Apply the database migrations; load the illustrative paper-form register and paper counts into an empty one
	$(VENV)/bin/forms-engine db upgrade
	$(VENV)/bin/forms-engine register import --if-empty form_definitions/register/paper-form-register.json
	$(VENV)/bin/forms-engine paper-counts import --if-empty form_definitions/register/paper-counts.csv

run: install db ## Serve the app on 127.0.0.1, port $PORT or 5000
	$(VENV)/bin/forms-engine run --host 127.0.0.1 --port $${PORT:-5000}

serve: install db ## Serve with gunicorn as in production (forms-engine serve: production mode unless FORMS_ENGINE_ENV=development)
	$(VENV)/bin/forms-engine serve

worker: install db ## Deliver submissions (emails, webhooks) until stopped: run beside `make run`
	$(VENV)/bin/forms-engine worker

test-install: install test-system-deps $(DEV_STAMP) test-assets ## Also Chromium, PostgreSQL, dev tools, axe-core

test: test-install ## Lint, then run the tests (pass options in PYTEST_ARGS)
	@$(MAKE) --no-print-directory lint
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP) ## ruff and mypy
	$(VENV)/bin/ruff check forms_engine tests
	$(VENV)/bin/ruff format --check forms_engine
	$(VENV)/bin/mypy forms_engine

# Not run by `make test`: pip-audit needs per-version vulnerability data from the package index's
# JSON API (or OSV), which this machine cannot reach; --strict makes it fail, never pass, without
# them. See docs/security.md. An ignored vulnerability gets `--ignore-vuln ID` here, with a reason.
audit: $(DEV_STAMP) ## Check the installed packages for known vulnerabilities (pip-audit)
	$(VENV)/bin/pip-audit --strict --skip-editable --progress-spinner off

bench: test-install db ## Run the benchmarks
	$(VENV)/bin/python benchmarks/bench.py
	$(VENV)/bin/python benchmarks/export_bench.py

fuzz: $(DEV_STAMP) ## The fuzzing tests with random examples (CI derives them from the test names)
	env -u CI $(VENV)/bin/python -m pytest tests/fuzz $(PYTEST_ARGS)

loadtest: test-install ## Scale-out load and fault test, under 15 min (options in LOADTEST_ARGS)
	$(VENV)/bin/python benchmarks/loadtest.py $(LOADTEST_ARGS)

translations: $(INSTALL_STAMP) ## Add new engine text to forms_engine/translations/*/messages.po (then translate it)
	@mkdir -p build
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k N_ -k translate:1 --no-wrap --add-location=file \
		--sort-by-file -o build/messages.pot .
	$(VENV)/bin/pybabel update -i build/messages.pot -d forms_engine/translations --no-wrap \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date

clean: ## Remove .venv, stamps and downloaded assets
	rm -rf $(VENV) static/govuk static/.govuk-version static/.test-vendor

system-deps:
	@scripts/system-deps.sh $(SYSTEM_PACKAGES)

test-system-deps:
	@scripts/system-deps.sh $(TEST_SYSTEM_PACKAGES)

assets:
	@scripts/fetch-govuk-frontend.sh $(GOVUK_FRONTEND_VERSION) static/govuk

test-assets:
	@scripts/fetch-axe-core.sh $(AXE_CORE_VERSION) static/.test-vendor

$(INSTALL_STAMP):
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -e .
	@rm -f $(VENV)/.stamp-install-* && touch $@

$(DEV_STAMP): $(INSTALL_STAMP)
	$(PIP) install --quiet -e '.[dev]'
	@rm -f $(VENV)/.stamp-dev-* && touch $@
