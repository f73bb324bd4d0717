"""The shared executor: job order, seeds, fault overrides, forked workers that agree with a serial run."""
import os
from pathlib import Path

import pytest

from harness.runner import Job, kept_workers, run_jobs

HERE = Path(__file__).resolve().parent
FAILING = HERE.parent / "scenario" / "examples" / "failing_example.yaml"


@pytest.fixture
def orders(tmp_path, write_order):
    """Two scenario files of the shop fixture system."""
    return [write_order(tmp_path / f"{name}.yaml", name) for name in ("first", "second")]


def comparable(result) -> dict:
    """A result as a report shows it, without what a run measures rather than reproduces: the wall time."""
    data = result.to_dict()
    data.pop("wall_seconds")
    return data


def test_results_come_back_in_job_order_with_each_jobs_seed(orders):
    jobs = [Job(orders[i % 2], seed=seed, tag=seed) for i, seed in enumerate((3, 1, 2))]
    results = run_jobs(jobs, workers=1)
    assert [r.seed for r in results] == [3, 1, 2]
    assert [r.name for r in results] == ["first", "second", "first"]
    assert all(r.passed for r in results), results[0].report()


def test_forked_workers_give_the_same_reports_and_trace_hashes_as_a_serial_run(orders):
    jobs = [Job(path, seed=seed) for seed in range(3) for path in orders]
    serial = run_jobs(jobs, workers=1)
    forked = run_jobs(jobs, workers=2)
    assert [comparable(r) for r in forked] == [comparable(r) for r in serial]
    assert len({r.trace_hash for r in serial}) == 3  # the seeds really gave different runs


def test_on_result_sees_every_job_with_its_tag(orders):
    seen = []
    run_jobs([Job(orders[0], tag="a"), Job(orders[1], tag="b")], workers=2,
             on_result=lambda job, result: seen.append((job.tag, result.name)))
    assert sorted(seen) == [("a", "first"), ("b", "second")]


def test_faults_replace_the_scenarios_own_fault_list():
    as_written, without_faults = run_jobs([Job(FAILING), Job(FAILING, faults=[])], workers=1)
    assert as_written.status == "failed"
    assert without_faults.status == "failed"  # its `fault: outbox-missing` expectation no longer holds ...
    assert [o.where for o in without_faults.outcomes if not o.passed] == ["expect[0]"]  # ... and only that


def test_a_file_that_does_not_load_gives_an_error_result_naming_the_problem(tmp_path, orders):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsteps: 3\n", encoding="utf-8")
    results = run_jobs([Job(bad), Job(orders[0])], workers=2)
    assert results[0].status == "error" and "bad.yaml" in results[0].error
    assert results[1].passed


def _dying_scenario(tmp_path: Path) -> Path:
    """A scenario whose handler kills the process running it."""
    code = tmp_path / "dies"
    code.mkdir()
    # os.kill is contained by the sandbox (Runtime.ExitError); a C call into libc still kills the worker process.
    (code / "app.py").write_text("import ctypes, os, signal\n\ndef handler(event, context):\n"
                                 "    ctypes.CDLL(None).kill(os.getpid(), signal.SIGKILL)\n", encoding="utf-8")
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Handler: app.handler, CodeUri: dies/}\n", encoding="utf-8")
    dying = tmp_path / "dying.yaml"
    dying.write_text(f"name: dies\nsystem: {tmp_path / 'template.yaml'}\nsteps: [{{invoke: {{function: Fn}}}}]\n",
                     encoding="utf-8")
    return dying


def test_a_worker_that_dies_is_reported_and_replaced(tmp_path, orders):
    dying = _dying_scenario(tmp_path)
    pid = os.getpid()
    results = run_jobs([Job(dying), Job(orders[0]), Job(orders[1])], workers=2)
    assert results[0].status == "error" and "worker process" in results[0].error
    assert results[1].passed and results[2].passed
    assert os.getpid() == pid


def test_jobs_queued_behind_a_dying_workers_job_run_on_another_worker(tmp_path, orders):
    dying = _dying_scenario(tmp_path)
    results = run_jobs([Job(dying), *(Job(orders[i % 2], seed=i) for i in range(5))], workers=2)
    assert results[0].status == "error" and "worker process" in results[0].error
    assert [r.seed for r in results[1:]] == list(range(5)) and all(r.passed for r in results[1:])


def test_jobs_queued_behind_a_poisoning_run_are_run_by_a_clean_worker(tmp_path, orders):
    hostile = Path(__file__).parents[2] / "hostile" / "app" / "template.yaml"
    leak = tmp_path / "leak.yaml"
    leak.write_text(f"name: leak\nsystem: {hostile}\nsteps: [{{invoke: {{function: LeakBlockingThread}}}}]\n",
                    encoding="utf-8")
    results = run_jobs([Job(leak), *(Job(orders[i % 2], seed=i) for i in range(4))], workers=2)
    assert results[0].status in ("failed", "error") and "stuck-in-c" in (results[0].error or str(results[0].to_dict()))
    assert [r.seed for r in results[1:]] == list(range(4)) and all(r.passed for r in results[1:])


def _forks(monkeypatch) -> list[int]:
    """Each worker process forked from now on (its core)."""
    from harness.runner import pool
    forked: list[int] = []
    real = pool._fork

    def fork(*args, core=0, **kwargs):
        forked.append(core)
        return real(*args, core=core, **kwargs)
    monkeypatch.setattr(pool, "_fork", fork)
    return forked


def test_batches_inside_kept_workers_share_the_worker_processes_and_agree_with_a_serial_run(orders, monkeypatch):
    jobs = [Job(orders[i % 2], seed=i) for i in range(4)]
    serial = [comparable(r) for r in run_jobs(jobs, workers=1)]
    forked = _forks(monkeypatch)
    with kept_workers():
        first = run_jobs(jobs, workers=2)
        second = run_jobs(jobs, workers=2)
    assert [comparable(r) for r in first] == serial and [comparable(r) for r in second] == serial
    assert forked == [0, 1]
    run_jobs(jobs, workers=2)  # after the block: a batch forks its own
    assert forked == [0, 1, 0, 1]


def test_a_batch_ended_early_inside_kept_workers_leaves_the_next_batch_whole(orders, monkeypatch):
    class Enough(Exception):
        pass

    def stop_at_first(job, result):
        raise Enough
    jobs = [Job(orders[i % 2], seed=i, tag=lambda i=i: i) for i in range(6)]  # a tag pickle refuses stays here
    with kept_workers():
        with pytest.raises(Enough):
            run_jobs(jobs, workers=2, on_result=stop_at_first)
        seen = []
        results = run_jobs(jobs, workers=2, on_result=lambda job, result: seen.append(job.tag))
    assert [r.seed for r in results] == list(range(6)) and all(r.passed for r in results)
    assert sorted(tag() for tag in seen) == list(range(6))
