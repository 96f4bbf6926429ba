# Amparo: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs every check.
SHELL := /bin/bash
PY := $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export AMPARO_DATA_DIR ?= $(CURDIR)/var
PG_URL ?= postgres://postgres@127.0.0.1:5432/amparo
PYTEST_WORKERS ?= 2

.PHONY: install run demo test test-sqlite test-postgres test-production lint typecheck chromium tools debian-tools services messages bench clean

$(BIN)/.installed: requirements.lock pyproject.toml
	@# Debian ships venv apart from Python itself.
	@$(PY) -c 'import ensurepip, venv' 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/amparo keys init --if-missing
	$(BIN)/amparo migrate --noinput -v 0
	$(BIN)/amparo demo --if-empty
	@# The job queue (alarms, alerts, reminders, statistics) runs beside the server and stops with it.
	@$(BIN)/amparo run_huey --workers 2 --worker-type thread > "$(AMPARO_DATA_DIR)/worker.log" 2>&1 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/amparo serve 127.0.0.1:8000

# Browser tests drive Debian's Chromium; Playwright may not download browsers here.
chromium: tools

# Tools nobody here wrote, checking our work: Chromium (browser tests), exiftool and ffmpeg (media
# metadata), age (backups), nginx (the production test), OpenSSL (evidence bundle signatures),
# gettext (catalogues); PostgreSQL and Redis (the second database, the production job queue);
# npm for axe-core (accessibility). A fresh Debian machine gets them all on the first `make test`.
DEBIAN_TOOLS := chromium:chromium chromedriver:chromium-driver ffmpeg:ffmpeg exiftool:libimage-exiftool-perl \
	age:age nginx:nginx openssl:openssl msgfmt:gettext npm:npm psql:postgresql-client pg_ctlcluster:postgresql \
	redis-server:redis-server
debian-tools:
	@missing=""; for pair in $(DEBIAN_TOOLS); do \
		command -v $${pair%%:*} >/dev/null || test -x /usr/sbin/$${pair%%:*} || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" -ne 0 ]; then echo "Missing Debian packages:$$missing (run as root, or: sudo apt-get install$$missing)"; exit 1; fi; \
		echo "Installing Debian packages for the tests:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

tools: debian-tools node_modules/.installed

node_modules/.installed: package.json package-lock.json | debian-tools
	npm ci --no-audit --no-fund -q
	@touch $@

# PostgreSQL and Redis for the tests, started when they are down (.ci/services says how).
services: debian-tools
	@.ci/services

lint: install debian-tools
	$(BIN)/ruff check .
	$(BIN)/mypy amparo
	$(BIN)/python manage.py makemigrations --check --dry-run -v 1
	$(BIN)/python manage.py compilemessages_check

typecheck: install
	$(BIN)/mypy amparo

# The SQLite run includes the browser tests and the production test (which uses PostgreSQL and Redis itself).
test-sqlite: install tools services
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q

test-postgres: install tools services
	AMPARO_DATABASE_URL=$(PG_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "not browser"

# Only the production set-up: nginx, gunicorn on PostgreSQL, the consumer on Redis (under 2 minutes).
test-production: install tools services
	$(BIN)/pytest -p no:xdist -q -m production

test: lint test-sqlite test-postgres

messages: install
	cd amparo && for app in */; do \
		if [ -d "$$app/locale" ]; then (cd $$app && ../../$(BIN)/django-admin makemessages -l es --no-obsolete --no-location -v 0 && ../../$(BIN)/django-admin compilemessages -v 0); fi; \
	done

bench: install
	$(BIN)/python bench/records.py
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) var .pytest_cache
