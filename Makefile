# TheSet importer. `make demo` and `make test` work on a fresh machine from a clean clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per requirements list: a deployment's, the sandbox's (demo, serve) and the
# developers' (tests, lint, benchmarks); each reinstalls only when its lists change.
RUN_STAMP := $(VENV)/.installed-sandbox
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=
# Parallel test workers (pytest-xdist). Most of the suite's time is spent waiting on real
# servers and task clusters, so more workers than the 2 cores still pays; work stealing
# keeps the slow cluster tests from all landing on one worker at the end.
PYTEST_WORKERS ?= 4
# A marker expression narrowing both runs of `make test` (CI's scale-out lane: cluster).
PYTEST_MARKS ?=
marks = $(1)$(if $(PYTEST_MARKS), and ($(PYTEST_MARKS)))

.PHONY: help install demo test migrate sandbox serve lint format bench audit clean

help:
	@echo "make demo     set up and run the demo import against the offline sandbox"
	@echo "make test     run the whole test suite (DATABASE_URL selects the database)"
	@echo "make serve    web server + task cluster + sandbox upstream (Ctrl-C stops all)"
	@echo "make sandbox  serve the sandbox upstream on 127.0.0.1:8765"
	@echo "make bench    benchmarks against the sandbox, on SQLite and on PostgreSQL + Redis, then a table"
	@echo "make lint     ruff lint + format check + the layering contract (import-linter)"
	@echo "make audit    known vulnerabilities in the pinned requirements (pip-audit; needs PyPI)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt requirements-sandbox.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-sandbox.txt
	touch $(RUN_STAMP)

$(DEV_STAMP): requirements.txt requirements-sandbox.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(RUN_STAMP) $(DEV_STAMP)

install: $(DEV_STAMP)

migrate: $(RUN_STAMP)
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py demo

serve: migrate
	$(BIN)/python manage.py serve

# Load tests (marker `load`) run after the rest, alone: what they time is the server's,
# not the neighbouring test workers'. Exit status 5 is "no test selected".
test: $(DEV_STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal \
	  -m "$(call marks,not load)" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	RELIABILITY_REPORT=load $(BIN)/python -m pytest \
	  -m "$(call marks,load)" $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Known vulnerabilities (PyPI's advisory data, through pip-audit) in both requirement lists:
# a deployment's (requirements.txt) and the developers' (requirements-dev.txt, which
# includes the sandbox's), with every package they pull in (pip-audit resolves them in
# a scratch environment; about half a minute). Exits non-zero when a vulnerability is
# found; a package the service does not know is listed as skipped.
audit: $(DEV_STAMP)
	$(BIN)/pip-audit --progress-spinner off -r requirements.txt -r requirements-dev.txt

sandbox: $(RUN_STAMP)
	$(BIN)/python manage.py sandbox_upstream

# Benchmarks against the sandbox (figures, not tests): each prints its figures, saves
# them under bench/results/, and the last step prints the table of the whole session.
# The second lane runs on PostgreSQL + Redis; `make bench BENCH_DATABASE_URL=` skips it.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/theset_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14
BENCH_LANE = $(BIN)/python bench/kickoff.py && $(BIN)/python bench/write_path.py \
	&& $(BIN)/python bench/cpu.py \
	&& $(BIN)/python bench/cluster_import.py && $(BIN)/python bench/lineups.py \
	&& $(BIN)/python bench/many_artists.py --workers 2 && $(BIN)/python bench/many_artists.py \
	&& $(BIN)/python bench/fleet.py && $(BIN)/python bench/pages.py && $(BIN)/python bench/songs.py \
	&& $(BIN)/python bench/streams.py
bench: $(DEV_STAMP)
	@export BENCH_SESSION=$$(date -u +%Y%m%dT%H%M%S) && \
	echo "== SQLite, rate limits shared through a file ==" && \
	env -u DATABASE_URL -u REDIS_URL sh -c '$(BENCH_LANE)' && \
	if [ -n "$(BENCH_DATABASE_URL)" ]; then \
	  echo "== PostgreSQL + Redis ==" && \
	  DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) sh -c '$(BENCH_LANE)'; \
	fi && \
	$(BIN)/python bench/sandbox_concurrency.py && $(BIN)/python bench/sandbox_build.py && \
	$(BIN)/python bench/summary.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
