# One-command setup: every target that runs code depends on `install`, which creates .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REPORTS ?= reports

.PHONY: install test test-unit test-scenarios test-localstack localstack-up localstack-down lint bench fuzz soak clean

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

# Unit tests run two xdist workers plus the runner tests' forked workers on two cores, with watchdogs of 0.2-0.5 s
# of wall time: threads pinned to one core (harness/affinity.py) could not be moved by the kernel to a free core.
# tests/harness/test_affinity.py turns pinning on for its own tests; the scenario library runs pinned.
UNIT := HARNESS_PIN_CORE=0 $(BIN)/python -m pytest tests -q -n 2 -m "not localstack and not slow"

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

# LocalStack runs in real time (about 30x slower than moto on virtual time), so its job runs a fixed sample of the
# library: one scenario per system and fault class, each also compared moto vs LocalStack. The whole library on
# LocalStack: `make test-localstack LOCALSTACK_SCENARIOS=scenarios`.
LOCALSTACK_SCENARIOS ?= scenarios/earnings/access_denied_dead_lettered_once.yaml \
	scenarios/earnings/throttled_write_retried_with_backoff.yaml \
	scenarios/messages/rollback_fails_reconciler_repairs.yaml scenarios/messages/send_fails_rolls_back.yaml \
	scenarios/replies/reply_sender_crashes_stalled_lock_reset.yaml scenarios/replies/twilio_503_reply_retried.yaml \
	scenarios/twin/connector_remote_400_fails_fast.yaml scenarios/twin/connector_remote_503_backoff_then_delivered.yaml \
	scenarios/twin/hot_table_outage_persister_retried_by_lambda.yaml

# LocalStack up, the LocalStack sample of scenarios and the differential run, LocalStack down (even on failure).
test-localstack: install localstack-up
	$(BIN)/python -m pytest tests -q -m localstack; status=$$?; \
	  $(BIN)/python -m harness run $(LOCALSTACK_SCENARIOS) --backend localstack --report-dir $(REPORTS)/localstack || status=1; \
	  $(BIN)/python -m harness diff $(LOCALSTACK_SCENARIOS) --backends moto,localstack || status=1; \
	  bash scripts/localstack.sh down; exit $$status

lint: install
	$(BIN)/ruff check harness tests handlers

bench: install
	$(BIN)/python bench/run.py

# The property tests (every @given test, hypothesis marks them) at the long `fuzz` budget, plus the slow ones.
fuzz: install
	$(BIN)/python -m pytest tests -q -n 2 -m "(hypothesis or slow) and not soak and not localstack" --hypothesis-profile=fuzz

# Whole-library soak runs: serial vs parallel reports, and the incident round trip on every scenario.
soak: install
	$(BIN)/python -m pytest tests -q -n 2 -m "soak and not localstack"

clean:
	rm -rf $(VENV) $(REPORTS) .pytest_cache .coverage htmlcov
