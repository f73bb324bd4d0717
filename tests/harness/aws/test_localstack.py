"""The LocalStack backend: endpoint rules, clear errors, per-service routing, real time (live tests need
`make localstack-up` and run in `make test-localstack`, marker `localstack`)."""
import socket

import pytest

from harness import InputError, Simulation
from harness.aws.backend import create_backend
from harness.aws.localstack import LocalStackBackend, localstack_endpoint
from harness.clock import BudgetExceeded, RealTimeClock


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("environ, expected", [
    ({}, "http://localhost:4566"),
    ({"LOCALSTACK_HOST": "127.0.0.1:4599"}, "http://127.0.0.1:4599"),
    ({"LOCALSTACK_HOST": "127.0.0.1"}, "http://127.0.0.1:4566"),
    ({"LOCALSTACK_HOST": "127.0.0.1:4599", "USE_SSL": "1"}, "https://127.0.0.1:4599"),
    ({"AWS_ENDPOINT_URL": "http://127.0.0.1:9999", "LOCALSTACK_HOST": "h:1"}, "http://127.0.0.1:9999"),
])
def test_endpoint_follows_localstack_client_rules(environ, expected):
    assert localstack_endpoint(environ) == expected


def test_localstack_not_running_gives_one_clear_line_with_how_to_start_it(basic_template, monkeypatch):
    port = _closed_port()
    monkeypatch.setenv("LOCALSTACK_HOST", f"127.0.0.1:{port}")
    with pytest.raises(InputError) as error:
        Simulation(basic_template, backend="localstack").start()
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"LocalStack is not running at http://127.0.0.1:{port}")
    assert "make localstack-up" in message and "docker compose up -d localstack" in message


def test_non_loopback_localstack_is_refused(basic_template, monkeypatch):
    monkeypatch.setenv("LOCALSTACK_HOST", "10.0.0.5:4566")
    with pytest.raises(Exception, match="not loopback"):
        Simulation(basic_template, backend="localstack").start()


def test_backend_mappings_choose_services_for_localstack():
    assert create_backend({"sqs": "localstack", "eventbridge": "localstack", "dynamodb": "moto"}).requested == (
        "events", "sqs")
    assert create_backend("localstack:sqs,s3").requested == ("sqs", "s3")
    assert create_backend({"dynamodb": "moto"}).name == "moto"
    with pytest.raises(InputError, match="dynamodb cannot run on LocalStack here"):
        create_backend("localstack:sqs,dynamodb")
    with pytest.raises(InputError, match="must be 'localstack' or 'moto'"):
        create_backend({"sqs": "elasticmq"})


def test_real_time_clock_refuses_to_wait_past_its_budget_without_waiting():
    clock = RealTimeClock(max_real_seconds=5)
    with pytest.raises(BudgetExceeded, match="needs at least 600 s of real time, over the max_real_seconds budget of 5 s"):
        clock.advance_to(clock.start + 600)


@pytest.mark.localstack
def test_sqs_runs_on_localstack_and_dynamodb_on_moto_in_one_simulation(basic_template):
    with Simulation(basic_template, seed=1, backend="localstack") as sim:
        assert isinstance(sim.backend, LocalStackBackend) and sim.real_time
        assert "moto in-process for every other service" in sim.warnings[-1]
        assert ":4566/" in sim.queue_url("Dlq")
        sim.invoke("NoRetry", {"n": 1}, type="Event")
        sim.run_until_idle()
        messages = []
        for _ in range(10):  # a short poll may come back empty while the message is there
            messages = sim.client("sqs").receive_message(QueueUrl=sim.queue_url("Dlq"),
                                                         MessageAttributeNames=["All"]).get("Messages", [])
            if messages:
                break
        assert messages[0]["MessageAttributes"]["ErrorCode"]["StringValue"] == "200"
        assert "basic-Table" in sim.client("dynamodb").list_tables()["TableNames"]
        created = sim.queue_url("WorkQueue")
    with Simulation(basic_template, seed=1, backend="localstack") as sim:  # state was cleaned up
        depth = sim.client("sqs").get_queue_attributes(QueueUrl=created, AttributeNames=["All"])
        assert depth["Attributes"]["ApproximateNumberOfMessages"] == "0"


@pytest.mark.localstack
def test_queue_delay_on_localstack_is_honoured_in_real_time(basic_template):
    with Simulation(basic_template, seed=1, backend="localstack:sqs", max_real_seconds=30) as sim:
        sqs = sim.client("sqs")
        url = sim.queue_url("WorkQueue")
        sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=2)
        sent = sim.now
        assert "Messages" not in sqs.receive_message(QueueUrl=url)
        sim.advance(2)
        received = []
        while not received and sim.now - sent < 6:  # a short poll may miss a visible message: ask again
            received = sqs.receive_message(QueueUrl=url).get("Messages", [])
            if not received:
                sim.advance(0.25)
        assert [m["Body"] for m in received] == ["later"]
        assert 2 <= sim.now - sent < 6  # real seconds: the delay was honoured, not skipped
