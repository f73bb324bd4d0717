# One-command setup: every target that runs code depends on `install`, which creates .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REPORTS ?= reports

.PHONY: install test test-unit test-scenarios test-localstack localstack-up localstack-down lint bench fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

test-scenarios: install
	$(BIN)/python -m harness run scenarios -n auto --report-dir $(REPORTS)
	$(BIN)/python -m harness requirements --results $(REPORTS)/results.json --summary
	$(BIN)/python -m harness explore scenarios --report-dir $(REPORTS)/explore

UNIT := $(BIN)/python -m pytest tests -q -n 2 -m "not localstack and not slow"

test-unit: install
	$(UNIT)

test: install
	$(UNIT)
	$(BIN)/python -m harness run scenarios -n auto --report-dir $(REPORTS)
	$(BIN)/python -m harness requirements --results $(REPORTS)/results.json --summary
	$(BIN)/python -m harness explore scenarios --report-dir $(REPORTS)/explore

localstack-up:
	bash scripts/localstack.sh up

localstack-down:
	bash scripts/localstack.sh down

# LocalStack up, the LocalStack-capable scenarios and the differential run, LocalStack down (even on failure).
test-localstack: install localstack-up
	$(BIN)/python -m pytest tests -q -m localstack; status=$$?; \
	  $(BIN)/python -m harness run scenarios --backend localstack --report-dir $(REPORTS)/localstack || status=1; \
	  $(BIN)/python -m harness diff scenarios --backends moto,localstack || status=1; \
	  bash scripts/localstack.sh down; exit $$status

lint: install
	$(BIN)/ruff check harness tests handlers

bench: install
	$(BIN)/python bench/run.py

# The property tests (every @given test, hypothesis marks them) at the long `fuzz` budget, plus the slow ones.
fuzz: install
	$(BIN)/python -m pytest tests -q -n 2 -m "(hypothesis or slow) and not localstack" --hypothesis-profile=fuzz

clean:
	rm -rf $(VENV) $(REPORTS) .pytest_cache .coverage htmlcov
