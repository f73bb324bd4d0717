"""Running scenarios: determinism (same seed, same trace hash), mid-run state, crashes reported as errors."""
import pytest

from harness.scenario import load_scenario, run_scenario

ORDER = """
name: order then work
seed: 21
steps:
  - invoke: {function: PlaceOrder, payload: {orderId: o1}, id: place}
  - invoke: {function: Worker, payload: {orderId: o1, fail: true}, type: Event}
  - run_until_idle
expect:
  - invocations: {function: Worker, count: 3, outcomes: {error: 3}}
"""


def test_same_seed_gives_the_same_trace_hash_twice_in_one_process(write_scenario):
    scenario = load_scenario(write_scenario(ORDER))
    first, second = run_scenario(scenario), run_scenario(scenario)
    assert first.passed, first.report()
    assert first.trace_hash == second.trace_hash

    def reproduced(events):  # without each invocation's Max Memory Used: measured, not reproduced
        return [{**e, "extra": {k: v for k, v in e.get("extra", {}).items() if k != "max_memory_used_mb"}}
                for e in events]
    assert reproduced(first.events) == reproduced(second.events)


def test_another_seed_gives_another_run(write_scenario):
    scenario = load_scenario(write_scenario(ORDER))
    assert run_scenario(scenario, seed=1).trace_hash != run_scenario(scenario, seed=2).trace_hash


def test_the_seed_argument_overrides_the_file_and_is_reported(write_scenario):
    result = run_scenario(load_scenario(write_scenario(ORDER)), seed=99)
    assert result.seed == 99 and result.replay.endswith("--seed 99")


def test_handler_randomness_follows_the_seed(write_scenario, tmp_path):
    """uuid4 and Random() in handler code are pinned to the run's seed (checked in the trace's log lines)."""
    code = tmp_path / "rnd"
    code.mkdir()
    (code / "app.py").write_text(
        "import random, uuid\nRNG = random.Random()\n"
        "def handler(event, context):\n    print('ids', uuid.uuid4(), RNG.random(), random.random())\n",
        encoding="utf-8")
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Handler: app.handler, CodeUri: rnd/}\n", encoding="utf-8")
    scenario = load_scenario(write_scenario(f"""
        name: random ids
        system: {tmp_path / 'template.yaml'}
        steps: [{{invoke: {{function: Fn}}}}]
        """, name="rnd.yaml"))
    lines = [[e["message"] for e in run_scenario(scenario, seed=s).events if "ids" in str(e.get("message"))]
             for s in (5, 5, 6)]
    assert lines[0] == lines[1] != lines[2]


def test_setup_data_is_written_before_the_first_step(write_scenario):
    result = run_scenario(load_scenario(write_scenario("""
        name: setup
        setup:
          items: {OrdersTable: [{orderId: a, status: NEW, qty: 2}]}
          objects: {Receipts: {"seed.json": {hello: world}, "note.txt": plain text}}
          messages: {Outbox: ['{"orderId": "a"}', {body: {orderId: b}, attributes: {kind: retry, n: 2}}]}
          secrets: {shop/api-token: {token: replaced-token-value}, extra/secret: plain-secret-value}
        steps: [{advance: 1s}]
        expect:
          - item: {table: OrdersTable, key: {orderId: a}, equals: {orderId: a, status: NEW, qty: 2}}
          - object: {bucket: Receipts, key: note.txt, body: plain text}
          - object: {bucket: Receipts, key: seed.json, json: {hello: world}}
          - queue: {queue: Outbox, depth: 2, attributes: {kind: retry, n: "2"}}
        """)))
    assert result.passed, result.report()


def test_a_crash_inside_the_run_is_an_error_with_its_traceback_not_an_exception(write_scenario, monkeypatch):
    scenario = load_scenario(write_scenario(ORDER))

    def boom(self, ctx, index):
        raise RuntimeError("the step exploded")

    monkeypatch.setattr(type(scenario.steps[1]), "run", boom)
    result = run_scenario(scenario)
    assert result.status == "error" and not result.passed
    assert "RuntimeError: the step exploded" in result.error
    assert "the run stopped with an error" in result.report()
    assert result.trace_hash  # the trace up to the crash is kept


def test_stats_count_invocations_calls_and_faults(write_scenario):
    result = run_scenario(load_scenario(write_scenario("""
        name: stats
        faults:
          - id: slow
            match: {service: dynamodb, operation: PutItem}
            effect: {type: aws_error, code: ThrottlingException}
            times: 1
        steps: [{invoke: {function: PlaceOrder, payload: {orderId: s}}}]
        """)))
    assert result.stats["invocations"] == 1 and result.stats["faults"] == 1
    assert result.stats["aws_calls"] >= 4 and result.wall_seconds > 0


@pytest.mark.parametrize("invariants, names", [
    (None, []),  # the shop has no _system.yaml: no defaults
    (["no_message_lost", {"retries_bounded": {"max_call_attempts": 2}}], ["no_message_lost", "retries_bounded"]),
])
def test_invariants_listed_in_the_scenario_are_checked(write_scenario, invariants, names):
    import yaml
    text = ORDER + ("" if invariants is None else "invariants: " + yaml.safe_dump(invariants, default_flow_style=True))
    result = run_scenario(load_scenario(write_scenario(text)))
    assert [r.name for r in result.invariants] == names


def test_system_defaults_apply_when_the_scenario_lists_no_invariants(write_scenario, tmp_path):
    (tmp_path / "_system.yaml").write_text("invariants:\n  no_message_lost: {}\n  retries_bounded: "
                                           "{max_call_attempts: 4}\n", encoding="utf-8")
    scenario = load_scenario(write_scenario(ORDER))
    assert [i.name for i in scenario.invariants] == ["no_message_lost", "retries_bounded"]
    assert scenario.invariants[1].max_call_attempts == 4


def test_the_backend_can_be_chosen_per_run_and_is_part_of_the_replay_command(write_scenario):
    result = run_scenario(load_scenario(write_scenario(ORDER)), backend="moto-server")
    assert result.passed, result.report()
    assert result.backend == "moto-server" and result.replay.endswith("--seed 21 --backend moto-server")


def test_live_invariants_see_what_handlers_sent(write_scenario):
    """The ledger records handler calls: the order's message counts, a QUEUED item without one is an orphan."""
    result = run_scenario(load_scenario(write_scenario("""
        name: orphan
        setup:
          items: {OrdersTable: [{orderId: ghost, status: QUEUED}]}
        steps: [{invoke: {function: PlaceOrder, payload: {orderId: real}}}]
        invariants:
          - no_orphaned_queued: {table: OrdersTable, key: orderId, queues: [Outbox]}
          - no_message_lost
        """)))
    orphans, lost = result.invariants
    assert [v.message.split(" is ")[0] for v in orphans.violations] == ["OrdersTable item orderId='ghost'"]
    assert lost.passed


def test_every_failed_expectation_and_step_assert_reports_its_own_line(write_scenario):
    path = write_scenario("""
        name: wrong counts, mid-run and at the end
        seed: 21
        steps:
          - invoke: {function: PlaceOrder, payload: {orderId: o1}, id: place}
          - assert:
              - invocations: {function: PlaceOrder, count: 1}
              - invocations: {function: PlaceOrder, count: 7}
          - assert: [{invocations: {function: PlaceOrder, count: 8}}]
        expect:
          - invocations: {function: PlaceOrder, count: 9}
        """)
    result = run_scenario(load_scenario(path))
    lines = path.read_text().splitlines()
    failed = {o.where: o.line for o in result.outcomes if not o.passed}
    assert failed == {"steps[1].assert[1]": 8, "steps[2].assert[0]": 9, "expect[0]": 11}
    for where, line in failed.items():
        assert "count: " + {8: "7", 9: "8", 11: "9"}[line] in lines[line - 1]
        assert f"{where} (line {line})" in result.report()
