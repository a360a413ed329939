# Mitreden: `make run` serves the demo, `make test` runs the whole suite.
# Both install what they need first; running them again only redoes what changed.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := webapp

PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
VENDOR := static/vendor/htmx.min.js

.PHONY: run serve worker test bench screenshots install static translations check-prereqs check-browser migrate demo clean

# The development server and, beside it, the job worker that delivers mail (as .eml files in
# instance/outbox/) and runs the periodic jobs; Ctrl+C stops both.
run: install static translations migrate demo
	@echo "Mitreden runs on http://$(HOST):$(PORT)/ with its job worker (Ctrl+C stops both)"
	@$(BIN)/flask jobs worker --workers 1 & worker=$$!; \
	  trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null; trap - EXIT' EXIT INT TERM; \
	  $(BIN)/flask run --host "$(HOST)" --port "$(PORT)"

# The production server: gunicorn, production mode, settings in webapp/gunicorn_conf.py:
# WEB_CONCURRENCY workers (default 2 with REDIS_URL, 1 without; more than one without REDIS_URL
# is refused, as each would count rate limits on its own).
# It needs a real SECRET_KEY; demo logins are refused and there is no debug. webapp/serving.py adds
# our worker (localized 414/431 answers), gunicorn's limits and the proxies to trust (TRUSTED_PROXIES).
serve: install static translations migrate
	@[ -n "$$SECRET_KEY" ] || { echo "make serve runs in production mode and needs SECRET_KEY (32+ random characters), e.g. SECRET_KEY=\$$(python3 -c 'import secrets; print(secrets.token_hex(32))') make serve"; exit 1; }
	@[ -n "$$PUBLIC_BASE_URL" ] || { echo "make serve runs in production mode and needs PUBLIC_BASE_URL, the address readers use (every mailed link starts with it), e.g. PUBLIC_BASE_URL=https://beteiligung.example.org make serve"; exit 1; }
	MITREDEN_ENV=production $(BIN)/gunicorn --config webapp/gunicorn_conf.py \
	  --bind "$(HOST):$(PORT)" \
	  --access-logfile - $$(MITREDEN_ENV=production $(BIN)/python -m webapp.serving) "webapp:create_app()"

# The production job worker (mail delivery, periodic jobs), beside `make serve`: see README, "The worker".
# Run exactly one with periodic jobs; more with WORKER_ARGS=--no-periodic (REDIS_URL when on other machines).
worker: install
	@[ -n "$$SECRET_KEY" ] && [ -n "$$PUBLIC_BASE_URL" ] || { echo "make worker runs in production mode and needs the same SECRET_KEY and PUBLIC_BASE_URL (and DATABASE_URL, REDIS_URL, SMTP_*) as make serve"; exit 1; }
	MITREDEN_ENV=production $(BIN)/flask jobs worker $(WORKER_ARGS)

# The suite on TEST_WORKERS processes (pytest-xdist; each its own database, browsers and server),
# 2 for the 2-core machines CI runs on; TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 2
test: install static translations check-browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

bench: install static translations
	$(BIN)/python tests/benchmarks/chapter.py
	$(BIN)/python tests/benchmarks/scale.py
	$(BIN)/python tests/benchmarks/participant.py
	@command -v wrk >/dev/null || { echo "The load figures need wrk: apt-get install wrk"; exit 1; }
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "The figures through nginx need it: apt-get install nginx-light"; exit 1; }
	$(BIN)/python tests/benchmarks/load.py

screenshots: install static translations check-browser
	$(BIN)/python a11y/screenshots.py

install: check-prereqs $(VENV)/.installed node_modules/.installed

static: $(VENDOR)

translations: $(MO_FILES)

migrate: install
	$(BIN)/alembic upgrade head

demo: install
	$(BIN)/flask demo load --if-empty

check-prereqs:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	  || { echo "Missing prerequisite: Python 3.11 or newer as '$(PYTHON)' (Debian: apt-get install python3 python3-venv)"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null \
	  || { echo "Missing prerequisite: Python's venv module (Debian: apt-get install python3-venv)"; exit 1; }
	@command -v npm >/dev/null \
	  || { echo "Missing prerequisite: npm, to fetch htmx from the npm registry (Debian: apt-get install npm)"; exit 1; }

check-browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	  || { echo "Missing prerequisite for the browser tests: apt-get install chromium chromium-driver"; exit 1; }
	@command -v java >/dev/null \
	  || { echo "Missing prerequisite for HTML validation: apt-get install default-jre-headless"; exit 1; }
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] \
	  || { echo "Missing prerequisite for the test of the README's nginx configuration: apt-get install nginx-light"; exit 1; }

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

$(VENDOR): node_modules/.installed
	@mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy --statistics -i $< -o $@

clean:
	rm -rf $(VENV) node_modules static/vendor $(MO_FILES)
