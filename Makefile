# One set of commands for people and CI.
#   make demo   the whole pipeline against the bundled reference ERP (virtualenv made on first use)
#   make test   install what the tests need (Python and Debian packages, services), lint,
#               type-check (mypy --strict), run the tests
#   make bench  every benchmark (about an hour); figures and the machine's facts go to
#               docs/benchmarks.md

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_ARGS ?=
PYTEST_ARGS ?=

.PHONY: demo demo-quick test services lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/erpcap demo $(DEMO_ARGS)

demo-quick: $(VENV)/.installed
	$(BIN)/erpcap demo --quick $(DEMO_ARGS)

services:
	bash scripts/setup-services.sh

test: $(VENV)/.installed-test services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MYPY=$(BIN)/mypy bash scripts/typecheck.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MYPY=$(BIN)/mypy bash scripts/typecheck.sh

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test services
	$(BIN)/python benchmarks/bench_reference_erp.py --write-docs
	$(BIN)/python benchmarks/bench_analysis.py --write-docs
	$(BIN)/python benchmarks/bench_sql_tags.py --write-docs
	$(BIN)/python benchmarks/bench_collectors.py --write-docs
	$(BIN)/python benchmarks/bench_sql.py --write-docs
	$(BIN)/python benchmarks/bench_whatif.py --write-docs
	$(BIN)/python benchmarks/bench_open_model.py --write-docs
	$(BIN)/python benchmarks/bench_recording.py --write-docs

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
