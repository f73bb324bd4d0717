"""Generated fault plans: reproducible for a seed, loadable by the fault engine, shrinkable toward simple."""
from harness.faults import FaultPlan
from harness.search.plans import Plan, draw_plans, plans, seeds_near
from harness.search.shrink import shrink
from harness.search.sites import Site

SITES = [Site("aws", "Writer", "dynamodb", "PutItem", 2), Site("aws", "Sender", "sqs", "SendMessage", 1),
         Site("aws", "Sender", "sqs", "DeleteMessage", 1), Site("http", "Sender", "http", "api.example.com", 3),
         Site("invoke", "Writer"), Site("delivery", "Sender", "sqs")]


def test_the_same_seed_draws_the_same_plans_and_another_seed_others():
    strategy = plans(SITES, seeds_near(7))
    first, again = draw_plans(strategy, 15, "search:1"), draw_plans(strategy, 15, "search:1")
    assert [p.key for p in first] == [p.key for p in again]
    assert [p.key for p in first] != [p.key for p in draw_plans(strategy, 15, "search:2")]


def test_every_drawn_plan_loads_as_a_fault_plan_and_stays_within_reach():
    for plan in draw_plans(plans(SITES, seeds_near(7), max_rules=3), 60, "valid"):
        rules = FaultPlan.from_dicts(plan.fault_list([{"id": "own", "match": {"function": "Writer"},
                                                         "effect": "lambda_error"}])).rules
        assert 2 <= len(rules) <= 4 and rules[0].id == "own"
        assert all(rule.match.nth is None or rule.match.nth <= 3 for rule in rules)


def test_shrinking_keeps_only_the_rules_the_failure_needs_with_one_firing():
    needed = {"match": {"service": "sqs", "operation": "SendMessage", "function": "Sender", "nth": 1},
              "effect": {"type": "aws_error", "code": "InternalError", "status": 500}, "times": 3}
    noise = [{"match": {"function": "Writer", "nth": 2}, "effect": {"type": "lambda_error"}, "times": 2},
             {"match": {"service": "http", "host": "api.example.com", "function": "Sender", "nth": 3},
              "effect": {"type": "latency", "seconds": 5}, "times": 10}]
    failing = Plan((noise[0], needed, noise[1]), seed=99)

    def fails(plan: Plan) -> bool:  # the failure needs the SendMessage error at least twice, whatever the seed
        return any(r["effect"].get("code") == "InternalError" and r["times"] >= 2 for r in plan.rules)

    shrunk = shrink(failing, own_seed=7, fails=fails, seed="shrink")
    assert shrunk.plan.rules == (needed,) and shrunk.plan.seed == 7
    assert shrunk.runs < 60
