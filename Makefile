# shoumi: `make run` serves the embedded single-machine setup on 127.0.0.1:8000;
# `make test` runs lint, type checks and the whole test suite.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

export SHOUMI_DATA_DIR ?= $(CURDIR)/var
# Links printed on the terminal (the first-run enrolment link) use this address.
export SHOUMI_BASE_URL ?= http://$(HOST):$(PORT)
# The master key lives outside the data directory, so that a copy of the
# data (or of ./var) does not carry the key that decrypts it.
export SHOUMI_KEY_FILE ?= $(HOME)/.config/shoumi/master.key

RUN_ENV := DJANGO_SETTINGS_MODULE=shoumi.config.settings.local

.PHONY: run install install-test test test-sqlite test-postgres lint messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(RUN_ENV) $(BIN)/shoumi keys init
	$(RUN_ENV) $(BIN)/shoumi migrate --noinput
	$(RUN_ENV) $(BIN)/shoumi bootstrap
	@echo "shoumi 正在 http://$(HOST):$(PORT)/ 运行（按 Ctrl+C 停止）"
	$(RUN_ENV) $(BIN)/shoumi runserver --noreload $(HOST):$(PORT)

lint: install-test
	$(BIN)/ruff check src tests
	$(BIN)/mypy

# The suite makes its own temporary data directory and key file
# (shoumi.config.settings.test), so the ones exported above for `make run`
# are not passed on to pytest: they would point the tests at ./var and at a
# key file that a fresh machine does not have.
TEST_ENV := env -u SHOUMI_DATA_DIR -u SHOUMI_KEY_FILE

test-sqlite: install-test
	$(TEST_ENV) $(BIN)/pytest

# Runs when SHOUMI_TEST_POSTGRES_URL names a server (.ci/run starts one);
# the pure-Python packages are not re-run here because they touch no database.
test-postgres: install-test
	@if [ -n "$$SHOUMI_TEST_POSTGRES_URL" ]; then \
		DATABASE_URL="$$SHOUMI_TEST_POSTGRES_URL" $(TEST_ENV) $(BIN)/pytest --database-pass; \
	elif [ "$$SHOUMI_REQUIRE_POSTGRES" = "1" ]; then \
		echo "SHOUMI_REQUIRE_POSTGRES=1 but SHOUMI_TEST_POSTGRES_URL is not set." >&2; exit 1; \
	else \
		echo "PostgreSQL pass skipped: set SHOUMI_TEST_POSTGRES_URL (see .ci/run)."; \
	fi

test: lint test-sqlite test-postgres

messages: install-test
	$(BIN)/python -m shoumi.config.i18n compile

bench: install-test
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
