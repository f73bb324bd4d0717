"""A batch of runs keeps time patched from its start to its end (each simulation only pushes its clock instead of
freezegun scanning every module per run). Runs in a batch report exactly what runs alone report; between runs
time is real and datetimes pickle and copy as plain ones; after the batch nothing is patched."""
import copy
import datetime
import pickle
import time
from pathlib import Path

import freezegun.api
import pytest

from harness.clock import TimePatch, VirtualClock, real_sleep, resident_time
from harness.runner import Job, run_jobs
from harness.runner.job import execute

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
SAMPLE = [SCENARIOS / "messages" / "send_fails_rolls_back.yaml",  # gateway, rollback
          SCENARIOS / "twin" / "cold_to_archive_warm_container_cutoff_moves_days_later.yaml",  # datetimes, days
          SCENARIOS / "replies" / "reply_sender_crashes_stalled_lock_reset.yaml"]  # stalled lock, minutes
START = "2030-01-01T00:00:00Z"


def _facts(result):
    return result.status, result.trace_hash, result.report()


def test_runs_in_a_batch_report_what_the_same_runs_alone_report():
    jobs = [Job(path, seed=seed) for path in SAMPLE for seed in (1, 2)]
    alone = [execute(job) for job in jobs]
    assert not freezegun.api.freeze_factories
    batch = run_jobs(jobs, workers=1)
    assert [_facts(r) for r in batch] == [_facts(r) for r in alone]
    assert all(r.passed for r in batch)


def test_between_runs_time_is_real_and_datetimes_pickle_and_copy_as_plain_ones():
    plain = datetime.datetime(2031, 5, 6, 7, 8, 9)
    with resident_time():
        assert datetime.datetime is not freezegun.api.real_datetime  # the modules stay patched...
        assert abs(time.time() - freezegun.api.real_time()) < 60  # ...but read the real time
        now = datetime.datetime.now(datetime.UTC).timestamp()
        assert abs(now - freezegun.api.real_time()) < 60
        assert type(pickle.loads(pickle.dumps(plain))) is freezegun.api.real_datetime
        assert type(copy.deepcopy(plain)) is freezegun.api.real_datetime
    assert datetime.datetime is freezegun.api.real_datetime and time.time is freezegun.api.real_time


def test_inside_a_batch_a_simulation_reads_its_virtual_clock_and_copies_datetimes_as_unbatched_runs_do():
    plain = datetime.datetime(2031, 5, 6, 7, 8, 9)
    with resident_time():
        patch = TimePatch(VirtualClock(START), real_sleep, lambda: 0.0)
        patch.start()
        try:
            assert time.time() == VirtualClock(START).now()
            batched = type(copy.deepcopy(plain))
        finally:
            patch.stop()
        assert abs(time.time() - freezegun.api.real_time()) < 60
    patch = TimePatch(VirtualClock(START), real_sleep, lambda: 0.0)
    patch.start()
    try:
        assert batched is type(copy.deepcopy(plain))  # freezegun's FakeDatetime, batch or not
    finally:
        patch.stop()


def test_a_patch_that_never_started_does_not_pop_the_batchs():
    with resident_time():
        depth = len(freezegun.api.freeze_factories)
        with pytest.raises(IndexError):
            TimePatch(VirtualClock(START), real_sleep, lambda: 0.0).stop()
        assert len(freezegun.api.freeze_factories) == depth
    assert not freezegun.api.freeze_factories


def test_a_batch_inside_a_batch_or_inside_a_freeze_changes_nothing():
    with resident_time():
        depth = len(freezegun.api.freeze_factories)
        with resident_time():
            assert len(freezegun.api.freeze_factories) == depth
        assert len(freezegun.api.freeze_factories) == depth
    with freezegun.freeze_time("2040-01-01"), resident_time():
        assert datetime.datetime.now().year == 2040
    assert not freezegun.api.freeze_factories


def test_a_run_left_half_started_inside_a_batch_leaves_nothing_patched_after_it():
    with resident_time():
        freezegun.freeze_time("2040-01-01").start()  # a start interrupted before its stop could be paired
    assert not freezegun.api.freeze_factories and datetime.datetime is freezegun.api.real_datetime
    assert time.time is freezegun.api.real_time
