"""Fault plans as hypothesis strategies over a scenario's sites, drawing from the fault catalog.

`plans(sites)` draws 1..max_rules rules; each rule is a site, an effect that can act there, where to start
(`nth`, within what the clean run reached) and how often (`times`). Values are listed simplest first, so
hypothesis shrinks toward fewer rules, the first call and one firing. `draw_plans` gives a reproducible
list of plans for one search seed (hypothesis's generator, seeded by it alone: `seeded.py`).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from harness.search.sites import Site

# Errors per service: (code, status). A status is given so any code the service sends loads.
AWS_ERRORS: dict[str, list[tuple[str, int]]] = {
    "dynamodb": [("ProvisionedThroughputExceededException", 400), ("InternalServerError", 500),
                 ("AccessDeniedException", 400), ("ThrottlingException", 400)],
    "sqs": [("ServiceUnavailable", 503), ("InternalError", 500), ("AccessDenied", 403), ("RequestThrottled", 403)],
    "lambda": [("TooManyRequestsException", 429), ("ServiceException", 500), ("AccessDeniedException", 403)],
}
DEFAULT_ERRORS = [("InternalError", 500), ("ServiceUnavailable", 503), ("AccessDeniedException", 400),
                  ("ThrottlingException", 400)]
# Calls whose request the `duplicate` effect can apply twice, and the SQS-only delivery effects.
DUPLICABLE = {("sqs", "SendMessage"), ("sqs", "SendMessageBatch"), ("eventbridge", "PutEvents"),
              ("dynamodb", "PutItem"), ("lambda", "Invoke")}
TIMES = (1, 2, 3, 10)


@dataclass(frozen=True)
class Plan:
    """Generated rules (without ids) and the seed to run them with."""

    rules: tuple[dict, ...]
    seed: int

    @property
    def key(self) -> str:
        """A stable text form (plans hold dicts, so they are not hashable themselves)."""
        return json.dumps([self.rules, self.seed], sort_keys=True)

    def fault_list(self, base: Sequence[dict] = ()) -> list[dict]:
        """The scenario's own rules, then these, with unique ids (`chaos-1`, ...)."""
        own = [dict(rule) for rule in base]
        return own + [{"id": f"chaos-{i}", **rule} for i, rule in enumerate(self.rules, 1)]


def _errors_of(service: str) -> list[tuple[str, int]]:
    if service in AWS_ERRORS:
        return AWS_ERRORS[service]
    from harness.faults import catalog
    model = catalog.find_service(service)
    if model is not None and model.protocol in ("rest-xml", "query"):  # S3, SNS, ...: XML services' own codes
        return [("InternalError", 500), ("ServiceUnavailable", 503), ("AccessDenied", 403), ("SlowDown", 503)]
    return DEFAULT_ERRORS


def _aws_effects(site: Site) -> list[dict]:
    errors = _errors_of(site.service)
    effects = [{"type": "aws_error", "code": code, "status": status} for code, status in errors]
    effects += [{"type": "response_lost"}, {"type": "network_error", "error": "ReadTimeoutError"},
                {"type": "network_error", "error": "EndpointConnectionError"}, {"type": "latency", "seconds": 5},
                {"type": "response_lost", "error": "reset"}]
    if (site.service, site.operation) in DUPLICABLE:
        effects.append({"type": "duplicate"})
    if site.service == "sqs" and site.operation in ("DeleteMessage", "DeleteMessageBatch"):
        effects.append({"type": "redeliver"})
    if site.service == "sqs" and site.operation == "ReceiveMessage":
        effects.append({"type": "reorder"})
    return effects


HTTP_EFFECTS = [{"type": "http_status", "status": 503}, {"type": "http_status", "status": 400},
                {"type": "http_status", "status": 500},
                {"type": "http_error", "error": "read_timeout"}, {"type": "http_error", "error": "reset"},
                {"type": "response_lost"}, {"type": "http_status", "status": 429},
                {"type": "latency", "seconds": 5}, {"type": "duplicate"}]
INVOKE_EFFECTS = [{"type": "lambda_timeout", "when": "end"}, {"type": "lambda_crash", "when": "end"},
                  {"type": "lambda_error"}, {"type": "lambda_timeout", "when": "start"},
                  {"type": "lambda_crash", "when": "start"}, {"type": "lambda_throttle"},
                  {"type": "recycle_container"}, {"type": "clock_skew", "seconds": 600},
                  {"type": "clock_skew", "seconds": -600}]
DELIVERY_EFFECTS = [{"type": "duplicate"}, {"type": "redeliver"}, {"type": "reorder"}]
SITE_ORDER = {"aws": 0, "invoke": 1, "http": 2, "delivery": 3}


def _match(site: Site, nth: int) -> dict:
    if site.kind == "aws":
        return {"service": site.service, "operation": site.operation, "function": site.function, "nth": nth}
    if site.kind == "http":
        return {"service": "http", "host": site.operation, "function": site.function, "nth": nth}
    if site.kind == "delivery":
        return {"source": site.service, "function": site.function, "nth": nth}
    return {"function": site.function, "nth": nth}


def _effects(site: Site) -> list[dict]:
    if site.kind == "aws":
        return _aws_effects(site)
    return {"http": HTTP_EFFECTS, "invoke": INVOKE_EFFECTS, "delivery": DELIVERY_EFFECTS}[site.kind]


@st.composite
def rule_at(draw: Any, site: Site) -> dict:
    """One rule at `site`: an effect from the catalog (or, at an AWS site, a crash right after the call)."""
    nth = draw(st.integers(1, max(1, min(site.count, 4))))
    crash = site.kind == "aws" and draw(st.booleans()) and draw(st.booleans())
    if crash:
        return {"match": {"function": site.function, "nth": nth}, "times": 1,
                "effect": {"type": "lambda_crash", "after": {"service": site.service, "operation": site.operation}}}
    effect = draw(st.sampled_from(_effects(site)))
    if effect["type"] in ("lambda_throttle", "recycle_container"):
        match = {"function": site.function, "nth": nth}
    else:
        match = _match(site, nth)
    return {"match": match, "effect": dict(effect), "times": draw(st.sampled_from(TIMES))}


def plans(sites: Sequence[Site], seeds: st.SearchStrategy[int], max_rules: int = 3) -> st.SearchStrategy[Plan]:
    """Plans of 1..max_rules rules over `sites` (simplest first: AWS calls, then invocations, HTTP, deliveries)."""
    if not sites:
        raise ValueError("no call sites: the clean run reached no AWS call, HTTP call, invocation or delivery")
    # A kind first, then a site of that kind: one HTTP call among twenty AWS calls still gets its share.
    by_kind = {kind: sorted(s for s in sites if s.kind == kind) for kind in sorted(SITE_ORDER, key=SITE_ORDER.get)}
    kinds = [kind for kind, of_kind in by_kind.items() if of_kind]
    rule = st.sampled_from(kinds).flatmap(lambda kind: st.sampled_from(by_kind[kind])).flatmap(rule_at)
    return st.builds(lambda rules, seed: Plan(tuple(rules), seed),
                     st.lists(rule, min_size=1, max_size=max_rules), seeds)


def seeds_near(own_seed: int) -> st.SearchStrategy[int]:
    """The scenario's own seed first (simplest), else any seed."""
    return st.one_of(st.just(own_seed), st.integers(0, 2**20))


def draw_plans(strategy: st.SearchStrategy[Plan], count: int, seed: str) -> list[Plan]:
    """`count` plans drawn by hypothesis from `strategy`, the same ones for the same `seed`."""
    from hypothesis import HealthCheck, Phase
    from hypothesis.errors import NoSuchExample

    from harness.search.seeded import seeded_find
    drawn: list[Plan] = []

    def keep(plan: Plan) -> bool:
        drawn.append(plan)
        return False

    try:
        seeded_find(strategy, keep, seed, max_examples=count, phases=[Phase.generate], database=None,
                    deadline=None, suppress_health_check=list(HealthCheck))
    except NoSuchExample:
        pass
    return drawn
