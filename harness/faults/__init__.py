"""Fault injection: plans of rules (match + effect) that fire deterministically below the handler.

    plan = FaultPlan.from_dicts([
        {"id": "throttle-put", "match": {"service": "dynamodb", "operation": "PutItem", "nth": 1},
         "effect": {"type": "aws_error", "code": "ProvisionedThroughputExceededException"}, "times": 2},
    ], source="scenario.yaml")
    with Simulation(template, seed=7, faults=plan) as sim: ...

`EFFECTS` is the effect registry (name -> class; `register_effect` adds one), `MUTATORS` the payload
mutators. See docs/faults.md for every effect and docs/adding-a-fault.md to write a new one.
"""
# Effect modules register themselves on import.
from harness.faults import aws_effects, clock_effects, delivery, http_effects, lambda_effects  # noqa: F401
from harness.faults.delivery import Delivery
from harness.faults.effects import EFFECTS, Effect, FaultContext, FaultPlanError, register_effect
from harness.faults.http import HttpLayer, HttpRequest, HttpResponse, NetworkFault
from harness.faults.payloads import MUTATORS, MutationError, mutate, mutations, register_mutator
from harness.faults.plan import FaultPlan
from harness.faults.rules import Match, Rule, Target, Window

__all__ = ["EFFECTS", "MUTATORS", "Delivery", "Effect", "FaultContext", "FaultPlan", "FaultPlanError", "HttpLayer",
           "HttpRequest", "HttpResponse", "Match", "MutationError", "NetworkFault", "Rule", "Target", "Window",
           "mutate", "mutations", "register_effect", "register_mutator"]
