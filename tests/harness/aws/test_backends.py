"""Backends: moto in-process (default) and moto's server on loopback, both on the virtual clock."""
import contextlib
from pathlib import Path

import pytest

from harness import InputError, Simulation


@pytest.mark.parametrize("backend", ["moto", "moto-server"])
def test_async_retries_and_dlq_behave_the_same_on_both_moto_backends(basic_template, backend):
    with Simulation(basic_template, seed=2, backend=backend) as sim:
        sim.invoke("AlwaysFails", {"n": 1}, type="Event")
        sim.run_until_idle()
        messages = sim.client("sqs").receive_message(QueueUrl=sim.queue_url("Dlq"))["Messages"]
        writer = sim.invoke("Writer", {"name": "w", "steps": 2})
        assert [r.started for r in sim.invocations[:3]] == [0.0, 60.0, 180.0]
        assert len(messages) == 1 and writer.ok
        if backend == "moto-server":
            assert sim.queue_url("Dlq").startswith("http://127.0.0.1:")


def test_each_simulation_starts_with_clean_state(basic_template):
    with Simulation(basic_template) as sim:
        sim.invoke("Writer", {"name": "x", "steps": 1})
    with Simulation(basic_template) as sim:
        depth = sim.client("sqs").get_queue_attributes(QueueUrl=sim.queue_url("WorkQueue"),
                                                       AttributeNames=["ApproximateNumberOfMessages"])
        assert depth["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_unknown_backend_name_is_a_clear_error(basic_template):
    with pytest.raises(InputError, match="unknown backend 'mot' \\(did you mean 'moto'\\?\\)"):
        Simulation(basic_template, backend="mot")


def test_moto_queue_delay_follows_the_virtual_clock(sim):
    sqs = sim.client("sqs")
    url = sim.queue_url("WorkQueue")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=15)
    sim.advance(14)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sim.advance(1.5)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "later"


def registered_callbacks() -> list:
    from moto.core.models import responses_mock
    return [(r.method, getattr(r.url, "pattern", r.url), r.callback, r.call_count) for r in responses_mock.registered()]


def test_moto_backend_registers_the_callbacks_moto_registers_built_once(monkeypatch):
    from moto import mock_aws

    from harness.aws import backend
    plain = mock_aws()
    plain.start(reset=True)
    expected = registered_callbacks()
    plain.stop()
    monkeypatch.setattr(backend, "_CALLBACKS", {})
    objects = []
    for _ in range(2):
        moto = backend.MotoBackend()
        moto.start(seed=1)
        from moto.core.models import responses_mock
        objects.append([id(r) for r in responses_mock.registered()])
        assert registered_callbacks() == expected  # same methods, patterns, callbacks; no calls carried over
        import requests
        assert requests.get("https://s3.amazonaws.com/", timeout=5).status_code == 200  # answered by moto
        assert sum(r.call_count for r in responses_mock.registered()) == 1
        moto.stop()
    assert objects[0] == objects[1]


def _moto_own_start_and_stop(monkeypatch) -> None:
    from harness.aws import backend
    monkeypatch.setattr(backend, "kept_accounts", lambda on=True: contextlib.nullcontext())
    monkeypatch.setattr(backend, "registered_once", lambda on=True: contextlib.nullcontext())


TRACED = ["scenarios/messages/send_fails_rolls_back.yaml",
          "scenarios/twin/dispatcher_routes_event_to_device_processor_and_stores_it.yaml",
          "scenarios/replies/email_message_queued_json_success.yaml"]


def test_library_runs_trace_the_same_when_moto_starts_and_stops_its_own_way(monkeypatch):
    from harness.scenario import load_scenario, run_scenario
    root = Path(__file__).resolve().parents[3]

    def hashes() -> list:
        return [(r.status, r.trace_hash) for r in (run_scenario(load_scenario(root / p)) for p in TRACED)]
    fast = hashes()
    _moto_own_start_and_stop(monkeypatch)
    assert hashes() == fast
    assert {status for status, _ in fast} == {"passed"}


@pytest.mark.parametrize("own_way", [False, True])
def test_a_stopped_simulation_leaves_no_state_and_the_next_gets_new_backends(basic_template, monkeypatch, own_way):
    from moto.s3.models import s3_backends
    from moto.sqs.models import sqs_backends

    from harness.template import ACCOUNT_ID
    if own_way:
        _moto_own_start_and_stop(monkeypatch)
    with Simulation(basic_template) as sim:
        sim.client("s3").create_bucket(Bucket="kept-or-not")
        sim.client("s3").put_object(Bucket="kept-or-not", Key="k", Body=b"x")
        first = sqs_backends[ACCOUNT_ID]["us-east-1"]
        queues = sorted(first.queues)
    assert "kept-or-not" not in s3_backends.bucket_accounts  # S3's own reset ran (it closes its files)
    assert not any(region for account in sqs_backends.values() for region in account.values())
    with Simulation(basic_template) as sim:
        second = sqs_backends[ACCOUNT_ID]["us-east-1"]
        assert second is not first and sorted(second.queues) == queues  # the same template deployed afresh
        assert "kept-or-not" not in s3_backends[ACCOUNT_ID]["aws"].buckets
        regions = sqs_backends[ACCOUNT_ID].regions
    from moto.core.base_backend import AccountSpecificBackend
    assert regions == AccountSpecificBackend("sqs", ACCOUNT_ID, type(first), True, None).regions
