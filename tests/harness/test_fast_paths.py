"""The harness's fast paths leave every trace as it was: tasks handing the baton straight to the next step instead of
through the driver, batons on pipes instead of locks, the template cache, freezegun's module-scan cache and the AWS call paths. A sample of the library (one scenario
per system, and the time-heavy ones) is checked here; `python bench/trace_hashes.py --baseline main` checks the
whole library against another commit."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.scenario import load_scenario, run_scenario
from harness.scheduler import Scheduler

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = [
    "scenarios/messages/send_fails_rolls_back.yaml",
    "scenarios/replies/twilio_503_reply_retried.yaml",
    "scenarios/replies/reply_sender_crashes_stalled_lock_reset.yaml",
    "scenarios/earnings/throttled_write_retried_with_backoff.yaml",
    "scenarios/twin/connector_remote_503_backoff_then_delivered.yaml",
]


def _hashes() -> dict[str, tuple[str, str]]:
    results = [run_scenario(load_scenario(ROOT / path)) for path in SAMPLE]
    return {path: (r.status, r.trace_hash) for path, r in zip(SAMPLE, results, strict=True)}


@pytest.fixture(scope="module")
def warm() -> dict[str, tuple[str, str]]:
    """The sample's hashes in this process once every template is cached and every module scanned."""
    first, second = _hashes(), _hashes()
    assert second == first
    assert {status for status, _ in second.values()} == {"passed"}
    return second


def test_library_sample_gives_the_same_traces_when_every_step_goes_through_the_driver(warm, monkeypatch):
    monkeypatch.setattr(Scheduler, "pass_baton_directly", False)
    assert _hashes() == warm


def test_library_sample_gives_the_same_traces_when_every_baton_is_a_lock(warm, monkeypatch):
    from harness import baton, scheduler
    monkeypatch.setattr(baton, "PIPES", False)
    monkeypatch.setattr(scheduler, "_IDLE", [])  # the pooled workers (pipe batons) stay parked aside
    assert _hashes() == warm
    assert scheduler._IDLE and all(isinstance(worker.go, baton.LockBaton) for worker in scheduler._IDLE)


def test_library_sample_gives_the_same_traces_with_the_aws_call_paths_off(warm, monkeypatch):
    """botocore's own validation, JSON bodies and answers, boto3's own DynamoDB copy and conversions (sixth wave)."""
    from harness.aws import dynamodb_params, json_requests, json_responses, param_checks
    paths = (param_checks, json_requests, json_responses, dynamodb_params)
    for path in paths:
        path.uninstall()
        monkeypatch.setattr(path, "install", lambda: None)  # each simulation's start installs them again
    try:
        assert _hashes() == warm
        assert not any(path.installed() for path in paths)
    finally:
        monkeypatch.undo()
        for path in paths:
            path.install()


def test_library_sample_gives_the_same_traces_in_a_fresh_interpreter_as_in_a_warm_one(warm, tmp_path):
    """A fresh `harness run` process reads every template and scans every module afresh."""
    done = subprocess.run([sys.executable, "-m", "harness", "run", *SAMPLE, "--report-dir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert (tmp_path / "results.json").is_file(), done.stderr[-2000:]
    fresh = {row["file"]: (row["status"], row["trace_hash"])
             for row in json.loads((tmp_path / "results.json").read_text())["results"]}
    assert fresh == warm
