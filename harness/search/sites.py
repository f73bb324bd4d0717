"""Call sites: what a clean run of a scenario reaches, learnt from its trace, where generated faults can act.

A site is one (function x service x operation), (function x HTTP host), invoked function, or (event source
x function) delivery, with how often the clean run passed it (so a rule's `nth` stays within reach).
Functions are named by their logical id when the run's lanes know it (readable found scenarios).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

KINDS = ("aws", "http", "invoke", "delivery")


@dataclass(frozen=True, order=True)
class Site:
    """One place a fault can be injected."""

    kind: str  # aws | http | invoke | delivery
    function: str
    service: str = ""  # aws: service id; delivery: the event source (sqs, eventbridge)
    operation: str = ""  # aws: operation; http: host
    count: int = 1

    def describe(self) -> str:
        """`PersisterFunction dynamodb:PutItem x3`."""
        what = {"aws": f"{self.service}:{self.operation}", "http": f"http {self.operation}",
                "invoke": "invocation", "delivery": f"{self.service} delivery"}[self.kind]
        return f"{self.function} {what} x{self.count}"


def learn_sites(result: Any) -> list[Site]:
    """The sites a finished run reached (ScenarioResult or its dict), sorted (same run, same list)."""
    events = result["events"] if isinstance(result, dict) else result.events
    lanes = (result["lanes"] if isinstance(result, dict) else result.lanes) or {}

    def name(physical: Any) -> str:
        return lanes.get(str(physical), str(physical))

    counts: Counter = Counter()
    for event in events:
        kind = event["kind"]
        if kind == "aws" and event.get("request_id") and event.get("caller") not in (None, "test", "harness") \
                and event.get("attempt", 1) == 1:
            counts["aws", name(event["caller"]), event["service"], event["operation"]] += 1
        elif kind == "http" and event.get("caller") not in (None, "test", "harness"):
            counts["http", name(event["caller"]), "http", str(event.get("host"))] += 1
        elif kind == "invoke_start":
            counts["invoke", name(event["function"]), "", ""] += 1
        elif kind == "sqs_batch" and event.get("function"):
            counts["delivery", name(event["function"]), "sqs", ""] += 1
    return sorted(Site(kind, function, service, operation, n)
                  for (kind, function, service, operation), n in counts.items())
