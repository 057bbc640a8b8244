# Two commands matter: `make run` and `make test`. Each builds or refreshes the
# local virtualenv first, so a fresh clone needs nothing else. `make check` is the fast
# loop while working on the bot: types, and every test but those that start processes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint bench clean test-types test-bot test-core check-bot

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ] || grep -qs '^TELEGRAM_BOT_TOKEN=.\+' .env; then \
		$(BIN)/sopbot run; \
	else \
		echo "No TELEGRAM_BOT_TOKEN set: starting the terminal chat instead (see README)."; \
		$(BIN)/sopbot chat; \
	fi

# The suite in two halves run side by side (each builds its search index once), with mypy
# beside them: the bot's tests, and the core's with the rest.
BOT_TESTS := tests/bot tests/test_readme.py tests/test_fakebotapi.py
CORE_TESTS := tests $(addprefix --ignore=,$(BOT_TESTS))
# `make check` keeps its search index between runs (the tests rebuild it when the SOP changes).
CHECK_INDEX := $(abspath $(VENV))/check-index.db

test: $(STAMP)
	@$(MAKE) --no-print-directory -j3 --output-sync=target test-types test-bot test-core

test-types:
	$(BIN)/mypy

test-bot:
	$(BIN)/python -m pytest -q -p no:cacheprovider $(BOT_TESTS)

test-core:
	$(BIN)/python -m pytest -q -p no:cacheprovider $(CORE_TESTS)

check: $(STAMP)
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-types check-bot

check-bot:
	SOPBOT_INDEX=$(CHECK_INDEX) $(BIN)/python -m pytest -q -m "not process and not slow" \
		$(BOT_TESTS) tests/test_quiz.py tests/test_lexicon_files.py

lint: $(STAMP)
	$(BIN)/ruff check knowledge bot tests benchmarks
	$(BIN)/ruff format --check knowledge bot tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ask.py

clean:
	rm -rf $(VENV) .pytest_cache
