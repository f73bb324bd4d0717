"""Runs forked from a deployed snapshot give exactly what a fresh run of the same scenario, seed and faults gives."""
import random
import sys
from pathlib import Path

import pytest

from harness.runner import Job, prefault, run_jobs
from harness.runner.draws import DrawLog
from harness.runner.job import execute
from harness.runner.snapshot import CannotSnapshot, Snapshot, Snapshots

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = ROOT / "scenarios"

# A few scenarios per system: AWS errors, lost responses, timeouts, async retries to a failure queue, Function URLs
# between two clouds, throttling, clock skew, setup data (items, objects), a warm container's stale cutoff.
SAMPLE = [
    "messages/send_fails_rolls_back.yaml",
    "messages/lost_send_response_retried_one_message.yaml",
    "messages/post_function_times_out_mid_send_reconciled.yaml",
    "twin/processor_user_logic_raises_two_async_retries_then_failure_queue.yaml",
    "twin/two_clouds_post_delivered_twice_stored_once.yaml",
    "twin/hot_to_cold_warm_container_cutoff_moves_days_later.yaml",
    "twin/hot_reader_returns_records_in_range_with_time.yaml",
    "earnings/throttled_write_retried_with_backoff.yaml",
    "earnings/processed_at_normalised_to_utc_despite_clock_skew.yaml",
    "earnings/duplicate_delivery_one_audit_entry.yaml",
]


def comparable(result) -> dict:
    """A result as every report shows it, without what a run may not reproduce: the wall time and the events'
    `extra` (measured in the process, kept out of the trace hash: the memory a function used)."""
    data = result.to_dict()
    data.pop("wall_seconds")
    data["events"] = [{k: v for k, v in event.items() if k != "extra"} for event in data["events"]]
    return data


@pytest.mark.parametrize("name", SAMPLE)
def test_a_run_forked_from_the_snapshot_is_the_fresh_run_for_each_seed(name):
    path = SCENARIOS / name
    jobs = [Job(path), Job(path, seed=7)]
    snapshot = Snapshot(path)
    try:
        forked = [snapshot.run(job) for job in jobs]
    finally:
        snapshot.close()
    fresh = [execute(job) for job in jobs]
    assert [comparable(r) for r in forked] == [comparable(r) for r in fresh]
    assert forked[0].trace_hash != forked[1].trace_hash or forked[0].stats == forked[1].stats
    assert fresh[0].status == "passed", fresh[0].report()


# One scenario per snapshottable system: later runs copy the pages the first one wrote.
COPIED = ["messages/send_fails_rolls_back.yaml", "twin/writer_token_wrong_forbidden.yaml",
          "earnings/duplicate_delivery_one_audit_entry.yaml"]


@pytest.mark.parametrize("name", COPIED)
def test_runs_that_copy_the_pages_the_first_run_wrote_report_what_fresh_runs_report(name):
    path = SCENARIOS / name
    jobs = [Job(path, seed=seed) for seed in (None, 7, 3)]
    snapshot = Snapshot(path)
    try:
        assert snapshot.pages_written is None
        forked = [snapshot.run(jobs[0])]
        learnt = snapshot.pages_written
        forked += [snapshot.run(job) for job in jobs[1:]]
    finally:
        snapshot.close()
    assert learnt is not None and learnt == snapshot.pages_written  # learnt once, from the first run
    if sys.platform.startswith("linux"):
        assert sum(end - start for start, end in learnt) > 100 * 4096  # thousands of pages: reference counts
    assert [comparable(r) for r in forked] == [comparable(execute(job)) for job in jobs]


def test_runs_forked_without_copying_pages_report_the_same(monkeypatch):
    path = SCENARIOS / "messages" / "lost_send_response_retried_one_message.yaml"
    jobs = [Job(path, seed=seed) for seed in (1, 2)]
    results = {}
    for enabled in (True, False):
        monkeypatch.setattr(prefault, "ENABLED", enabled)
        snapshot = Snapshot(path)
        try:
            results[enabled] = [comparable(snapshot.run(job)) for job in jobs]
        finally:
            snapshot.close()
    assert results[True] == results[False]


def test_each_run_gets_its_own_fault_plan_from_the_same_snapshot():
    path = SCENARIOS / "messages" / "send_fails_rolls_back.yaml"
    jobs = [Job(path, faults=[]), Job(path), Job(path, seed=3, faults=[
        {"match": {"service": "sqs", "operation": "SendMessage"}, "effect": {"type": "network_error"}, "times": 1}])]
    snapshot = Snapshot(path)
    try:
        forked = [snapshot.run(job) for job in jobs]
    finally:
        snapshot.close()
    assert [comparable(r) for r in forked] == [comparable(execute(job)) for job in jobs]
    assert forked[0].status == "failed" and forked[1].status == "passed"  # without its fault the rollback never runs


@pytest.fixture
def dying(tmp_path):
    """A scenario whose handler kills its own process (a C call the sandbox cannot contain) when ListQueues
    fails, and answers normally otherwise."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(
        "import ctypes, os, signal\nimport boto3\nfrom botocore.exceptions import ClientError\n\n"
        "sqs = boto3.client('sqs')\n\n\ndef handler(event, context):\n    try:\n        sqs.list_queues()\n"
        "    except ClientError:\n        ctypes.CDLL(None).kill(os.getpid(), signal.SIGKILL)\n    return 'alive'\n",
        encoding="utf-8")
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Handler: app.handler, CodeUri: code/, Runtime: python3.11}\n", encoding="utf-8")
    path = tmp_path / "dying.yaml"
    path.write_text(f"name: dies when ListQueues fails\nsystem: {tmp_path / 'template.yaml'}\nseed: 5\n"
                    "steps: [{invoke: {function: Fn, id: call}}]\n"
                    "expect: [{result: {step: call, payload: alive}}]\n", encoding="utf-8")
    return path


KILL = [{"match": {"service": "sqs", "operation": "ListQueues"}, "effect": {"type": "aws_error", "code": "AccessDenied"}}]


def test_a_run_that_kills_its_process_reports_seed_and_replay_and_the_next_run_is_unharmed(dying):
    snapshot = Snapshot(dying)
    try:
        died = snapshot.run(Job(dying, seed=9, faults=KILL))
        learnt_from_the_dead_run = snapshot.pages_written
        after = [snapshot.run(Job(dying, seed=9)), snapshot.run(Job(dying, seed=2))]
    finally:
        snapshot.close()
    assert learnt_from_the_dead_run is None and snapshot.pages_written is not None  # the next run taught them
    assert died.status == "error" and "killed by signal 9" in died.error
    assert "seed: 9" in died.report() and f"replay: python -m harness replay {dying} --seed 9" in died.report()
    assert [comparable(r) for r in after] == [comparable(execute(Job(dying, seed=s))) for s in (9, 2)]
    assert all(r.passed for r in after)


def test_a_deploy_that_keeps_a_seeded_value_is_not_snapshotted_and_says_where():
    with pytest.raises(CannotSnapshot, match="secretsmanager"):
        Snapshot(SCENARIOS / "replies" / "email_message_queued_json_success.yaml")


def test_scenarios_that_cannot_be_snapshotted_run_the_ordinary_way_with_a_debug_line(monkeypatch, capsys):
    monkeypatch.setenv("HARNESS_DEBUG", "1")
    path = SCENARIOS / "replies" / "email_message_queued_json_success.yaml"
    job = Job(path, seed=4)
    runner = Snapshots({(str(path.resolve()), "moto")})
    try:
        result = runner.run(job)
    finally:
        runner.close()
    assert comparable(result) == comparable(execute(job))
    assert "runs are not forked from a snapshot" in capsys.readouterr().err


def test_run_jobs_forks_repeated_scenarios_from_snapshots_with_the_same_results(dying):
    path = SCENARIOS / "twin" / "writer_token_wrong_forbidden.yaml"
    jobs = [Job(path, seed=seed) for seed in range(3)] + [Job(dying, faults=KILL), Job(dying), Job(dying, seed=1)]
    forked = run_jobs(jobs, workers=2, snapshots=True)
    plain = run_jobs(jobs, workers=2, snapshots=False)
    assert [comparable(r) for r in forked] == [comparable(r) for r in plain]
    assert forked[3].status == "error" and all(r.passed for i, r in enumerate(forked) if i != 3)


def test_replaying_the_outermost_draws_gives_the_state_another_seed_would_have_reached():
    rng = random.Random(1)
    with DrawLog(rng) as log:
        rng.seed(1)
        values = [rng.choice("abcdefghij" * 7), rng.getrandbits(70), rng.sample(range(100), 3)]
        shuffled = [1, 2, 3, 4]
        rng.shuffle(shuffled)
    assert [d.method for d in log.draws] == ["choice", "getrandbits", "sample", "shuffle"]  # not their inner calls
    assert log.callers() == {f"{__name__}.{test_replaying_the_outermost_draws_gives_the_state_another_seed_would_have_reached.__name__}"}
    other, expected = random.Random(2), random.Random(2)
    log.replay(other)
    expected.choice("abcdefghij" * 7), expected.getrandbits(70), expected.sample(range(100), 3), expected.shuffle([1, 2, 3, 4])
    assert other.getstate() == expected.getstate() and values


@pytest.mark.slow
@pytest.mark.soak
def test_every_library_scenario_forked_from_its_snapshot_reports_what_a_fresh_run_reports():
    from harness.scenario.discover import discover
    jobs = [Job(path, seed=seed) for path in discover([str(SCENARIOS)]) for seed in (None, 1)]
    forked, fresh = run_jobs(jobs, snapshots=True), run_jobs(jobs, snapshots=False)
    assert [(r.file, r.seed, r.status, r.trace_hash) for r in forked] == \
        [(r.file, r.seed, r.status, r.trace_hash) for r in fresh]
    assert [comparable(r) for r in forked] == [comparable(r) for r in fresh]
