# Yichuang 益创 — the two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export UV_PROJECT_ENVIRONMENT := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(shell command -v $(PYTHON))
# Debian packages the tests and PDFs need: a real browser, CJK fonts, pdftotext.
TEST_DEBS := chromium chromium-driver fonts-noto-cjk poppler-utils libpango-1.0-0 libpangoft2-1.0-0 redis-server
RUN_DEBS := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0

.PHONY: run serve bench bench-data test audit backup restore install install-dev system-deps-run system-deps-test migrate seed lint format messages clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

install: $(UV) system-deps-run
	$(UV) sync --frozen --no-dev

install-dev: $(UV) system-deps-test
	$(UV) sync --frozen

# Installs missing Debian packages (as root, or through sudo when there is one).
define apt_install
	@missing=""; for pkg in $(1); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

system-deps-run:
	$(call apt_install,$(RUN_DEBS))

system-deps-test:
	$(call apt_install,$(TEST_DEBS))

migrate: install
	mkdir -p var
	DEBUG=true $(PY) manage.py migrate --noinput

seed: migrate
	DEBUG=true $(PY) manage.py seed_demo

# Serves the demo; a task worker runs beside the web server so that no second terminal is needed.
run: seed
	@DEBUG=true $(PY) manage.py demo_logins
	@echo "Yichuang: http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@trap 'kill $$worker 2>/dev/null' EXIT; \
	DEBUG=true $(PY) manage.py db_worker --interval 1 >var/worker.log 2>&1 & worker=$$!; \
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

# The production way on one machine (docs/deploy.md): gunicorn workers + a task worker, PostgreSQL,
# Redis, whitenoise. DATABASE_URL defaults to the local PostgreSQL database `yichuang`.
serve: install
	PORT=$(PORT) HOST=$(HOST) bin/serve

# Benchmarks on city-scale data (bench/README.md); writes bench/RESULTS.md.
bench: install-dev
	$(PY) bench/run.py $(BENCH_ARGS)

# City-scale benchmark data in BENCH_DATABASE_URL (minutes).
bench-data: install-dev
	DEBUG=true DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/yichuang_city} \
	  $(PY) bin/createdb-if-missing
	DEBUG=true DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/yichuang_city} \
	  $(PY) manage.py migrate --noinput
	DEBUG=true DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/yichuang_city} \
	  $(PY) manage.py seed_demo --scale city

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# Known vulnerabilities in the locked dependencies (uv.lock, all groups), with pip-audit. Strict: a
# package that could not be checked fails too; CI passes AUDIT_ARGS=--allow-unreachable (.ci/run).
audit: install-dev
	bin/audit $(AUDIT_ARGS)

# A database dump and the uploaded files, checked on restore (docs/backup.md).
backup: install
	bin/backup $(BACKUP_ARGS)

restore: install
	bin/restore $(RESTORE_ARGS)

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install-dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

messages: install-dev
	DEBUG=true $(PY) manage.py makemessages -l zh_Hans --no-obsolete --no-location --ignore='.venv/*' --ignore='.tools/*' --ignore='var/*'
	DEBUG=true $(PY) manage.py compilemessages --ignore='.venv/*' --ignore='.tools/*'

clean:
	rm -rf .venv $(TOOLS) var/static var/test-media var/test-private
