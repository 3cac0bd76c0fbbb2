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
	@echo "make bench    benchmarks against the sandbox (BENCH_DATABASE_URL adds PostgreSQL)"
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

# Benchmarks against the sandbox (figures, not tests); results also land in bench/results/.
# BENCH_DATABASE_URL=postgres://... repeats the database-bound ones on PostgreSQL.
bench: $(STAMP)
	$(BIN)/python bench/kickoff.py
	$(BIN)/python bench/write_path.py
	$(BIN)/python bench/cluster_import.py
	$(BIN)/python bench/many_artists.py
	$(BIN)/python bench/sandbox_concurrency.py
	@if [ -n "$(BENCH_DATABASE_URL)" ]; then \
	  DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/kickoff.py; \
	  DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/write_path.py; \
	  DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/cluster_import.py; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
