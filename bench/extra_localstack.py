"""Bench rows: the same run on moto (virtual time) and on LocalStack (real time), side by side."""
from __future__ import annotations

from pathlib import Path

from harness import InputError, Simulation
from harness.aws.localstack import health, localstack_endpoint
from harness.clock import real_perf_counter

BASIC = Path(__file__).resolve().parent.parent / "tests" / "harness" / "fixtures" / "basic" / "template.yaml"


def _run(backend: str) -> float:
    start = real_perf_counter()
    with Simulation(BASIC, seed=1, backend=backend) as sim:
        sqs = sim.client("sqs")
        url = sim.queue_url("WorkQueue")
        sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=3)
        sim.invoke("NoRetry", {"n": 1}, type="Event")
        sim.invoke("Writer", {"name": "w", "steps": 5})
        sim.advance(3.5)
        bodies = set()
        for _ in range(10):  # SQS may return fewer messages than asked for
            bodies |= {m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                              VisibilityTimeout=60).get("Messages", [])}
        assert "delayed" in bodies, bodies
        sim.run_until_idle()
    return real_perf_counter() - start


def rows() -> list[tuple[str, str, str]]:
    """Two rows when LocalStack is running, one explaining how to get them otherwise."""
    try:
        health(localstack_endpoint())
    except InputError as exc:
        return [("moto vs LocalStack (same run)", "skipped", str(exc).split(":", 1)[0] + ": make localstack-up")]
    moto, localstack = _run("moto"), _run("localstack")
    label = "run with a 3 s SQS delay, an async failure to the DLQ and 5 sends"
    return [(f"{label}: moto, virtual time", f"{moto:.2f} s", "1x"),
            (f"{label}: LocalStack (SQS) + moto, real time", f"{localstack:.2f} s", f"{localstack / moto:.0f}x moto")]
