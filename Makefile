# One-command setup: every target that runs code depends on `install`, which creates .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REPORTS ?= reports

.PHONY: install test test-unit test-scenarios lint bench fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

test-scenarios: install
	$(BIN)/python -m harness run scenarios --report-dir $(REPORTS)

test-unit: install
	$(BIN)/python -m pytest tests -q -n 2

test: install
	$(BIN)/python -m pytest tests -q -n 2
	$(BIN)/python -m harness run scenarios --report-dir $(REPORTS)

lint: install
	$(BIN)/ruff check harness tests handlers

bench: install
	$(BIN)/python bench/run.py

fuzz: install
	$(BIN)/python -m pytest tests -q -m slow

clean:
	rm -rf $(VENV) $(REPORTS) .pytest_cache .coverage htmlcov
