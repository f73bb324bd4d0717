"""Backends: moto in-process (default) and moto's server on loopback, both on the virtual clock."""
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
