"""The plan engine: nth, times, windows and probability are deterministic for a seed; rules can be added and
healed while running; names that can never match are errors when the simulation starts."""
import pytest

from harness import Simulation
from harness.faults import FaultPlan, FaultPlanError

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/faults-work"
SEND = {"service": "sqs", "operation": "send_message", "params": {"QueueUrl": QUEUE_URL, "MessageBody": "m"},
        "mode": "standard"}
PLAN = FaultPlan.from_dicts([
    {"id": "coin", "match": {"service": "sqs", "operation": "SendMessage", "probability": 0.5},
     "effect": {"type": "aws_error", "code": "RequestThrottled"}},
    {"id": "third", "match": {"service": "sqs", "nth": 3}, "effect": {"type": "latency", "seconds": 1, "jitter": 2}},
    {"id": "gateway", "match": {"url": "/echo*", "probability": 0.5}, "effect": {"type": "http_status", "status": 503},
     "times": 2},
], source="determinism.yaml")


def run(simulate, seed):
    with simulate(PLAN, seed=seed) as sim:
        for _ in range(3):
            sim.invoke("Aws", SEND, type="Event")
        sim.invoke("Fetch", {"url": "{ECHO_URL}echo", "client": "urllib", "times": 2}, type="Event")
        sim.run_until_idle()
        coin = [e.data["n"] for e in sim.trace.of("fault", rule="coin")]
        return sim.trace.hash(), coin, sim.faults.counts()


def test_the_same_seed_gives_the_same_trace_hash_across_20_runs(simulate):
    results = [run(simulate, seed=11) for _ in range(20)]
    assert len({hash_ for hash_, _, _ in results}) == 1
    counts = results[0][2]
    assert 0 < counts["coin"]["fired"] < counts["coin"]["seen"]  # the probability rule really was a coin
    assert counts["third"]["fired"] == 1 and counts["gateway"]["fired"] <= 2


def test_a_different_seed_gives_a_different_fault_sequence(simulate):
    sequences = {tuple(run(simulate, seed)[1]) for seed in (11, 12, 13)}
    assert len(sequences) == 3


def test_nth_and_times_count_matching_requests_including_retries(simulate):
    rules = [{"id": "second-and-third", "match": {"service": "sqs", "operation": "SendMessage", "nth": 2},
              "effect": {"type": "aws_error", "code": "InternalError"}, "times": 2}]
    with simulate(rules) as sim:
        first = sim.invoke("Aws", SEND).payload
        second = sim.invoke("Aws", SEND).payload
        fired = [(e.data["n"], e.data["attempt"]) for e in sim.trace.of("fault")]
    assert first["retry_attempts"] == 0
    assert second["retry_attempts"] == 2 and second["ok"]
    assert fired == [(2, 1), (3, 2)]


def test_a_window_limits_a_rule_to_a_span_of_virtual_time(simulate):
    rules = [{"match": {"function": "Echo", "window": {"from": 60, "until": 120}}, "effect": "lambda_throttle"}]
    with simulate(rules) as sim:
        statuses = []
        for _ in range(3):
            statuses.append(sim.invoke("Echo", {}).status)
            sim.advance(60)
    assert statuses == ["success", "throttled", "success"]


def test_rules_added_while_running_apply_from_then_on_and_healing_stops_them(simulate):
    with simulate() as sim:
        assert sim.invoke("Echo", {}).ok
        sim.add_faults([{"id": "later", "match": {"function": "Echo"}, "effect": "lambda_throttle"}])
        assert sim.invoke("Echo", {}).status == "throttled"
        sim.faults.heal("later")
        assert sim.invoke("Echo", {}).ok
        assert sim.trace.of("fault_healed")[0].data["rules"] == ["later"]
        assert sim.faults.fired("later") == 1


def test_a_plan_is_reusable_each_simulation_counts_from_zero(simulate):
    plan = FaultPlan.from_dicts([{"match": {"function": "Echo", "nth": 1}, "effect": "lambda_throttle"}])
    for _ in range(2):
        with simulate(plan) as sim:
            assert sim.invoke("Echo", {}).status == "throttled"
            assert sim.faults is not plan and sim.faults.counts() == {"rule-0": {"seen": 1, "fired": 1}}


def test_a_function_the_simulation_does_not_have_is_an_error_at_start(simulate):
    rules = [{"id": "typo", "match": {"function": "Ecoh"}, "effect": "lambda_throttle"}]
    with pytest.raises(FaultPlanError) as info, simulate(rules):
        pass
    message = str(info.value)
    assert "rule 0 ('typo').match.function: 'Ecoh' is not a function of this simulation (did you mean 'Echo'?)" in \
        message


def test_invalid_rules_passed_to_a_simulation_fail_before_it_starts():
    with pytest.raises(FaultPlanError, match=r"rule 0 \('rule-0'\).match.service: unknown service 'sqss'"):
        Simulation(None, faults=[{"match": {"service": "sqss"}, "effect": "duplicate"}])


def test_logical_ids_and_physical_names_both_match_resources(simulate):
    rules = [{"match": {"service": "sqs", "resource": "WorkQueue"}, "effect": {"type": "aws_error", "code": "KmsThrottled"}},
             {"match": {"service": "dynamodb", "resource": "faults-*"}, "effect": {"type": "aws_error",
                                                                                 "code": "ThrottlingException"}}]
    with simulate(rules) as sim:
        assert sim.invoke("Aws", SEND).payload["code"] == "KmsThrottled"
        put = {"service": "dynamodb", "operation": "put_item",
               "params": {"TableName": "faults-table", "Item": {"pk": {"S": "a"}}}}
        assert sim.invoke("Aws", put).payload["code"] == "ThrottlingException"


def test_explain_says_why_a_rule_does_not_match(simulate):
    from harness.faults import Target

    rules = [{"id": "put", "match": {"service": "dynamodb", "operation": "PutItem"},
              "effect": {"type": "aws_error", "code": "ThrottlingException"}},
             {"id": "echo", "match": {"function": "Echo"}, "effect": "lambda_throttle"}]
    with simulate(rules) as sim:
        lines = sim.faults.explain("aws", Target("aws", 0, service="dynamodb", operation="GetItem"))
    assert lines == ["put: operation GetItem != PutItem", "echo: applies at admit, not aws"]
