# TheSet importer. `make demo` and `make test` work on a fresh machine from a clean clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help install demo test migrate sandbox serve lint format bench clean

help:
	@echo "make demo     set up and run the demo import against the offline sandbox"
	@echo "make test     run the whole test suite (DATABASE_URL selects the database)"
	@echo "make serve    web server + task cluster + sandbox upstream (Ctrl-C stops all)"
	@echo "make sandbox  serve the sandbox upstream on 127.0.0.1:8765"
	@echo "make bench    benchmarks against the sandbox, on SQLite and on PostgreSQL + Redis, then a table"
	@echo "make lint     ruff lint + format check"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when requirements.txt changes.
$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py demo

serve: migrate
	$(BIN)/python manage.py serve

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

sandbox: $(STAMP)
	$(BIN)/python manage.py sandbox_upstream

# Benchmarks against the sandbox (figures, not tests): each prints its figures, saves
# them under bench/results/, and the last step prints the table of the whole session.
# The second lane runs on PostgreSQL + Redis; `make bench BENCH_DATABASE_URL=` skips it.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/theset_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14
BENCH_LANE = $(BIN)/python bench/kickoff.py && $(BIN)/python bench/write_path.py \
	&& $(BIN)/python bench/cluster_import.py \
	&& $(BIN)/python bench/many_artists.py --workers 2 && $(BIN)/python bench/many_artists.py
bench: $(STAMP)
	@export BENCH_SESSION=$$(date -u +%Y%m%dT%H%M%S) && \
	echo "== SQLite, rate limits shared through a file ==" && \
	env -u DATABASE_URL -u REDIS_URL sh -c '$(BENCH_LANE)' && \
	if [ -n "$(BENCH_DATABASE_URL)" ]; then \
	  echo "== PostgreSQL + Redis ==" && \
	  DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) sh -c '$(BENCH_LANE)'; \
	fi && \
	$(BIN)/python bench/sandbox_concurrency.py && \
	$(BIN)/python bench/summary.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
