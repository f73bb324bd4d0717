"""The trace: virtual times, a stable hash, JSON export."""
import json

from harness import Simulation


def _run(template, seed):
    with Simulation(template, seed=seed) as sim:
        sim.invoke("AlwaysFails", {"n": 1}, type="Event")
        sim.invoke("Writer", {"name": "w", "steps": 2}, type="Event")
        sim.run_until_idle()
        return sim.trace


def test_same_seed_gives_the_same_hash_and_json(basic_template):
    first, second = _run(basic_template, 11), _run(basic_template, 11)
    assert first.hash() == second.hash()
    assert first.to_json() == second.to_json()


def test_json_export_has_every_event_with_its_virtual_time(basic_template):
    trace = _run(basic_template, 11)
    document = json.loads(trace.to_json())
    assert document["hash"] == trace.hash()
    assert len(document["events"]) == len(trace)
    retry = [e for e in document["events"] if e["kind"] == "async_retry"]
    assert [e["t"] for e in retry] == [0.0, 60.0]
    assert {e["kind"] for e in document["events"]} >= {"invoke_start", "invoke_end", "aws", "log", "destination"}


def test_format_prints_one_line_per_event(basic_template):
    trace = _run(basic_template, 1)
    lines = trace.format().splitlines()
    assert len(lines) == len(trace)
    assert any("async_failed" in line and "RetriesExhausted" in line for line in lines)
