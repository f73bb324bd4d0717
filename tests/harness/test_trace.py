"""The trace: virtual times, a stable hash, JSON export."""
import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

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


def test_hash_does_not_depend_on_where_the_project_or_its_venv_is_checked_out():
    import sys
    from pathlib import Path

    import harness
    from harness.trace import Trace

    project = str(Path(harness.__file__).resolve().parent.parent)

    def traced(prefix_venv, prefix_project):
        trace = Trace()
        trace.record("log", line=f'File "{prefix_project}/handlers/app.py", line 3 in "{prefix_venv}/lib/x.py"')
        return trace.hash()

    here = traced(sys.prefix, project)
    assert here == traced("<venv>", "<project>")
    assert here != traced(sys.prefix, "/somewhere/else")  # other text still counts


def test_hash_leaves_out_the_line_numbers_of_harness_frames_in_logged_tracebacks():
    import json
    from pathlib import Path

    import harness
    from harness.trace import Trace

    project = str(Path(harness.__file__).resolve().parent.parent)

    def traced(harness_line, handler_line=7, function="handle"):
        traceback = (f'Traceback (most recent call last):\n  File "{project}/handlers/app.py", line {handler_line}, '
                     f'in run\n    table.put_item(Item=item)\n  File "{project}/harness/aws/router.py", '
                     f'line {harness_line}, in {function}\n    raise error\nClientError: boom')
        trace = Trace()
        trace.record("log", line=json.dumps({"level": "ERROR", "exception": traceback}))  # as a JSON log line
        return trace.hash()

    assert traced(126) == traced(199)  # an edit above the router's line moves it: the run is the same
    assert traced(126) != traced(126, handler_line=8)  # handler code's lines still count
    assert traced(126) != traced(126, function="answer")  # so do the harness frame's function and text


def test_hash_leaves_out_the_line_numbers_of_harness_frames_in_powertools_structured_stack_traces():
    import json
    from pathlib import Path

    import harness
    from harness.trace import Trace

    project = str(Path(harness.__file__).resolve().parent.parent)

    def traced(harness_line, handler_line=7, function="_before_send"):
        frames = [{"file": f"{project}/handlers/app.py", "line": handler_line, "function": "run",
                   "statement": "table.put_item(Item=item)"},
                  {"file": f"{project}/harness/aws/router.py", "line": harness_line, "function": function,
                   "statement": "return router.handle(request)"}]
        line = json.dumps({"level": "ERROR", "stack_trace": {"type": "ClientError", "frames": frames}},
                          separators=(",", ":"))  # Powertools' compact JSON log line
        trace = Trace()
        trace.record("log", line=line)
        return trace.hash()

    assert traced(126) == traced(199)
    assert traced(126) != traced(126, handler_line=8)
    assert traced(126) != traced(126, function="answer")


def test_loopback_ports_are_named_where_they_are_recorded_not_at_hash_time():
    from harness.trace import Trace

    def traced(url):
        trace = Trace()
        trace.record("log", line=f'{{"message": "Posting event", "url": "{url}"}}')
        return trace

    # One mechanism: a port the harness opened is named when recorded (Trace.stable_name); the hash takes the
    # recorded text as it is, so two ports the harness did not name stay two different texts.
    assert traced("http://127.0.0.1:44059/").hash() != traced("http://127.0.0.1:38397/").hash()
    assert traced("http://127.0.0.1:44059/").hash() != traced("http://127.0.0.1:44059/other").hash()


def test_a_backend_on_an_ephemeral_loopback_port_is_named_in_the_trace(basic_template):
    runs = []
    for _ in range(2):
        with Simulation(basic_template, seed=1, backend="moto-server") as sim:
            endpoint = sim.backend.endpoint
            sim.trace.record("log", message=f"calling {endpoint}/")
            runs.append((endpoint, sim.trace.events[-1].data["message"], sim.trace.hash()))
    assert runs[0][1] == runs[1][1] == "calling http://127.0.0.1:<moto-server-port>/"
    assert runs[0][2] == runs[1][2]


def test_a_stable_name_replaces_text_that_differs_between_runs_in_what_is_recorded():
    from harness.trace import Trace
    hashes = []
    for port in (38417, 37381):
        trace = Trace()
        trace.stable_name(f"127.0.0.1:{port}", "127.0.0.1:<ingestion-port>")
        trace.record("log", message=f"posting to http://127.0.0.1:{port}/", n=1)
        assert trace.events[0].data == {"message": "posting to http://127.0.0.1:<ingestion-port>/", "n": 1}
        hashes.append(trace.hash())
    assert hashes[0] == hashes[1]


def test_stable_names_are_written_into_every_field_and_extra_whichever_name_a_text_holds():
    from harness.trace import Trace
    trace = Trace()
    trace.stable_name("127.0.0.1:38417", "127.0.0.1:<a-port>")
    trace.stable_name("127.0.0.1:37381", "127.0.0.1:<b-port>")
    trace.record("http", extra={"peer": "127.0.0.1:37381", "size": 3}, url="http://127.0.0.1:38417/x", n=1,
                 note="plain", both="127.0.0.1:37381 then 127.0.0.1:38417")
    trace.record("log", extra={"peer": "none"}, message="nothing volatile here", status=None)
    first, second = trace.events
    assert first.data == {"url": "http://127.0.0.1:<a-port>/x", "n": 1, "note": "plain",
                          "both": "127.0.0.1:<b-port> then 127.0.0.1:<a-port>"}
    assert first.extra == {"peer": "127.0.0.1:<b-port>", "size": 3}
    assert second.data == {"message": "nothing volatile here", "status": None} and second.extra == {"peer": "none"}


def test_trace_events_compare_by_time_kind_and_data_not_extra_and_survive_pickling():
    import pickle

    from harness.trace import Trace, TraceEvent

    trace = Trace()
    first = trace.record("aws", extra={"request_id": "a"}, operation="SendMessage", status=200)
    assert first == TraceEvent(0, 0.0, "aws", {"operation": "SendMessage", "status": 200}, {"request_id": "b"})
    assert first != TraceEvent(0, 0.0, "aws", {"operation": "SendMessage", "status": 500})
    assert first != TraceEvent(1, 0.0, "aws", {"operation": "SendMessage", "status": 200})
    copy = pickle.loads(pickle.dumps(first))
    assert (copy, copy.extra, copy.to_dict()) == (first, {"request_id": "a"}, first.to_dict())
    assert TraceEvent(2, 1.0, "log").data == {} and "kind='log'" in repr(TraceEvent(2, 1.0, "log"))


@given(st.dictionaries(st.sampled_from(["message", "url", "n", "function"]),
                       st.text(alphabet="ab:17.", max_size=12) | st.integers(), max_size=4),
       st.lists(st.text(alphabet="ab:17.", min_size=1, max_size=4), max_size=2))
@settings(max_examples=200)
def test_recorded_fields_have_every_stable_name_written_in_as_a_plain_replace_would(fields, volatiles):
    from harness.trace import Trace

    trace = Trace()
    for n, volatile in enumerate(volatiles):
        trace.stable_name(volatile, f"<port-{n}>")

    def written_in(value):
        if not isinstance(value, str):
            return value
        for n, volatile in enumerate(volatiles):
            value = value.replace(volatile, f"<port-{n}>")
        return value

    assert trace.record("log", **fields).data == {k: written_in(v) for k, v in fields.items()}


KINDS = ["aws", "log", "fault"]
# A trace's life while judged: events recorded, checks asking for events by kind (and data), and a check's own
# events taken back (RunContext.inspecting deletes the tail it added).
trace_actions = st.lists(st.one_of(
    st.tuples(st.just("record"), st.sampled_from(KINDS), st.integers(0, 2)),
    st.tuples(st.just("undo"), st.integers(0, 2), st.none()),
    st.tuples(st.just("ask"), st.lists(st.sampled_from(KINDS), max_size=3), st.one_of(st.none(), st.integers(0, 2)))),
    max_size=30)


@settings(max_examples=200, deadline=None)
@given(actions=trace_actions)
@example(actions=[("record", "aws", 0), ("record", "log", 0), ("ask", ["log"], None), ("undo", 1, None),
                  ("record", "fault", 0), ("ask", ["log"], None)])  # a tail taken back and as many events recorded
def test_events_by_kind_are_those_a_scan_of_the_whole_trace_finds(actions):
    from harness.trace import Trace
    trace = Trace()
    for action, a, b in actions:
        if action == "record":
            trace.record(a, n=b)
        elif action == "undo":
            del trace.events[max(0, len(trace.events) - a):]
        else:
            where = {} if b is None else {"n": b}
            scanned = [e for e in trace.events if (not a or e.kind in a)
                       and all(e.data.get(k) == v for k, v in where.items())]
            found = trace.of(*a, **where)
            assert [e.seq for e in found] == [e.seq for e in scanned]
            assert all(x is y for x, y in zip(found, scanned))
            found.clear()  # a caller's list is its own
            assert [e.seq for e in trace.of(*a, **where)] == [e.seq for e in scanned]


def _hash_the_long_way(trace):
    """The trace hash as it was written first: a new encoder and the roots worked out for every event."""
    import hashlib

    from harness import trace as trace_module
    digest = hashlib.sha256()
    for event in trace.events:
        text = json.dumps([round(event.t, 6), event.kind, event.data], sort_keys=True, default=str)
        if "/" in text:
            for root, name in trace_module._worked_out_roots(__import__("os").getcwd()):
                text = text.replace(root, name)
            if "harness/" in text:
                text = trace_module._HARNESS_FRAME_LINE.sub(r"\1?", text)
        digest.update(text.encode())
    return digest.hexdigest()[:16]


_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
              st.sampled_from(["/x/harness/aws/router.py\", line 3", "<project>/harness/a.py\", line 9"]),
              st.builds(__import__("pathlib").PurePosixPath, st.text(max_size=5)), st.binary(max_size=4)),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=4), children,
                                                                                 max_size=3)),
    max_leaves=8)


# `kind` and `extra` are Trace.record's own parameters, so no event field can carry those names
_field_names = st.text(max_size=6).filter(lambda name: name not in ("kind", "extra"))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["log", "aws", "invoke_start"]),
                          st.dictionaries(_field_names, _values, max_size=4)), max_size=6))
def test_the_hash_is_the_one_a_new_encoder_per_event_gives(events):
    import sys
    from pathlib import Path

    import harness
    from harness.trace import Trace
    trace = Trace()
    project = str(Path(harness.__file__).resolve().parent.parent)
    for kind, data in events:
        trace.record(kind, **data)
    trace.record("log", line=f'File "{project}/harness/x.py", line 4 in "{sys.prefix}/lib/y.py" {{"b": 1, "a": 2}}')
    assert trace.hash() == _hash_the_long_way(trace)


def test_the_working_folder_in_the_hash_follows_a_change_of_folder(tmp_path, monkeypatch):
    from harness.trace import Trace

    def traced(path):
        trace = Trace()
        trace.record("log", line=f"wrote {path}/out.json")
        return trace.hash()

    elsewhere = traced(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert traced(tmp_path) == traced("<cwd>") != elsewhere


def test_a_value_the_hash_cannot_encode_raises_what_json_raises_and_later_hashes_still_work():
    import pytest

    from harness.trace import Trace
    circular: list = []
    circular.append(circular)
    for bad in ({"loop": circular}, {"keys": {1: "a", "b": 2}}):
        trace = Trace()
        trace.record("log", **bad)
        with pytest.raises((ValueError, TypeError)) as raised:
            trace.hash()
        with pytest.raises(type(raised.value), match=str(raised.value)[:20]):
            json.dumps(bad, sort_keys=True, default=str)
    trace = Trace()
    trace.record("log", value=[1, {"b": 2.5, "a": float("nan")}])
    assert trace.hash() == _hash_the_long_way(trace)
