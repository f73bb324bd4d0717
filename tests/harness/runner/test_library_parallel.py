"""The whole scenario library gives the same reports and trace hashes on forked workers as serially."""
from pathlib import Path

import pytest

from harness.runner import Job, run_jobs
from harness.scenario.discover import discover
from tests.harness.runner.test_run_jobs import comparable

LIBRARY = Path(__file__).resolve().parents[3] / "scenarios"


@pytest.mark.slow
@pytest.mark.soak
def test_every_library_scenario_reports_the_same_serially_and_on_all_cores():
    jobs = [Job(path) for path in discover([str(LIBRARY)])]
    serial, forked = run_jobs(jobs, workers=1), run_jobs(jobs, workers=None)
    assert [(r.file, r.status, r.trace_hash) for r in forked] == [(r.file, r.status, r.trace_hash) for r in serial]
    assert [comparable(r) for r in forked] == [comparable(r) for r in serial]
