# Two commands matter: `make run` and `make test`. Each builds or refreshes the
# local virtualenv first, so a fresh clone needs nothing else. `make check` is the fast
# loop while working on the bot: types, and every test but those that start processes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint bench clean test-types test-core test-bot test-bot-learning test-bot-processes test-index check-bot

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

# The suite in parts run side by side (make -j5), with mypy beside them. Most of the suite
# is CPU work (building and loading search indexes), so a part gets more workers than one
# only where it mostly waits or where it would otherwise be the last to finish:
# - test-core: the core's tests, which build their own small indexes; two workers, a test
#   file each (its module fixtures are then built once), as it is the longest part;
# - test-bot: the bot's tests that start no process, on two workers (with the Dockerfile's
#   replay after them, it would otherwise be the last part to finish), then that replay;
# - test-bot-learning: the learning tests that start processes (each teaching or import
#   rebuilds an index in a child process: CPU, not waiting), on two workers test by test;
# - test-bot-processes: the other bot tests that start processes, mostly waiting on the
#   bot, its search worker and the fake Bot API; four workers, a test file each.
# Every part shares one index of the packaged SOP, built (or found up to date) once before
# them and kept between runs; the tests rebuild it when the SOP or parser changes.
BOT_TESTS := tests/bot tests/test_readme.py tests/test_fakebotapi.py
DOCKER_TESTS := tests/test_dockerfile.py
CORE_TESTS := tests $(addprefix --ignore=,$(BOT_TESTS) $(DOCKER_TESTS))
TEST_INDEX := $(abspath $(VENV))/test-index.db
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider
WITH_INDEX := SOPBOT_INDEX=$(TEST_INDEX)

test: $(STAMP)
	@$(MAKE) --no-print-directory -j5 --output-sync=target \
		test-types test-core test-bot test-bot-learning test-bot-processes

test-types:
	$(BIN)/mypy

test-core: test-index
	$(WITH_INDEX) $(PYTEST) -n 2 --dist loadfile $(CORE_TESTS)

test-bot: test-index
	$(WITH_INDEX) $(PYTEST) -n 2 --dist loadfile -m "not process" $(BOT_TESTS); status=$$?; \
		$(PYTEST) $(DOCKER_TESTS) && exit $$status

test-bot-learning: test-index
	$(WITH_INDEX) $(PYTEST) -n 2 --dist load -m process tests/bot/learning

test-bot-processes: test-index
	$(WITH_INDEX) $(PYTEST) -n 4 --dist loadfile -m process $(BOT_TESTS) \
		--ignore=tests/bot/learning

# The suite starts some hundred Python processes (the bot, its workers, the CLI): each
# reads the project's bytecode compiled here once, even where PYTHONDONTWRITEBYTECODE
# would have every one of them compile the sources again.
test-index:
	@$(BIN)/python -m compileall -q knowledge bot tests benchmarks
	@$(BIN)/python -c "import sys, pathlib, knowledge; \
		knowledge.KnowledgeBase.open(index_path=pathlib.Path(sys.argv[1]))" $(TEST_INDEX)

# The fast loop: mypy beside every test that starts no process, those spread over two
# workers (a test file stays on one, so its module fixtures are built once).
check: $(STAMP)
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-types check-bot

check-bot: test-index
	$(WITH_INDEX) $(PYTEST) -n 2 --dist loadfile -m "not process and not slow" \
		$(BOT_TESTS) tests/test_quiz.py tests/test_lexicon_files.py

lint: $(STAMP)
	$(BIN)/ruff check knowledge bot tests benchmarks
	$(BIN)/ruff format --check knowledge bot tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ask.py

clean:
	rm -rf $(VENV) .pytest_cache
