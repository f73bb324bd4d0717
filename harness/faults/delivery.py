"""Delivery effects: at-least-once delivery made visible — duplicates, reordering, redelivery, lost responses.

They act in two places:
- on AWS requests handler code makes (no event source needed):
  `duplicate` applies a request twice (SendMessage, PutEvents, PutItem, an async Invoke: the consumer sees it
  twice, as after a producer retry); `reorder` shuffles the Messages of an SQS ReceiveMessage response;
  `redeliver` answers DeleteMessage(Batch) with success without deleting, so the message comes back after its
  visibility timeout with the same MessageId and a higher receive count;
- on deliveries by the harness's event sources, which call `sim.faults.on_delivery(source, records, ...)`
  before invoking a function and get back a `Delivery`: the records to deliver now (duplicated, reordered,
  mutated) and those to deliver again later (SQS: after the visibility timeout).
`duplicate` on HTTP sends the request twice (a webhook provider's duplicate); `response_lost` lives with the
AWS effects.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Literal

from harness.aws.wire import aws_response
from harness.errors import SimulationError
from harness.faults.effects import Effect, FaultPlanError, register_effect
from harness.faults.rules import Target


@dataclass(frozen=True)
class Delivery:
    """What an event source should deliver now (in order) and deliver again later."""

    records: tuple = ()
    redeliver: tuple = ()

    def replace(self, **changes: Any) -> Delivery:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def apply_delivery(plan: Any, source: str, records: list, *, function: str | None = None,
                   resource: str | None = None) -> Delivery:
    """Run the plan's delivery rules over a batch an event source is about to deliver."""
    delivery = Delivery(tuple(records))
    sim = plan._sim
    if sim is None:
        return delivery
    config = sim.runtime.function(function) if function else None
    target = Target("delivery", sim.clock.elapsed(), source=source.lower(),
                    function=config.name if config else function, resource=resource)

    def apply(rule: Any, ctx: Any) -> bool:
        nonlocal delivery
        delivery = rule.effect.deliver(ctx, delivery)
        return False

    plan.run("delivery", target, apply, raw=records)
    return delivery


def _pick(ctx: Any, records: list, index: int | None) -> int | None:
    if not records:
        return None
    if index is None:
        return ctx.rng.randrange(len(records))
    return index if -len(records) <= index < len(records) else None


@register_effect("duplicate")
@dataclass(frozen=True)
class Duplicate(Effect):
    """Deliver/apply the same thing `copies` times in total (default 2)."""

    copies: int = 2
    index: int | None = None  # deliveries: which record (default: one chosen by the seeded RNG)

    def check(self, rule: Any, where: str) -> None:
        if self.copies < 2:
            raise FaultPlanError(f"{where}.copies: a duplicate needs at least 2 copies, got {self.copies}")
        if self.index is not None and rule.point != "delivery":
            raise FaultPlanError(f"{where}.index: only deliveries have several records")

    def aws_response(self, ctx: Any, response: Any) -> Any:
        for _ in range(self.copies - 1):
            again = ctx.extra["resend"]()
            if again is None:
                raise SimulationError("duplicate on AWS requests needs a backend that answers in-process (moto); "
                                      "this backend sends requests over HTTP")
            response = again
        return response

    def http_response(self, ctx: Any, response: Any) -> Any:
        for _ in range(self.copies - 1):
            response = ctx.extra["send"]()
        return response

    def deliver(self, ctx: Any, delivery: Delivery) -> Delivery:
        records = list(delivery.records)
        index = _pick(ctx, records, self.index)
        if index is None:
            return delivery
        copies = [records[index]] * (self.copies - 1)
        return delivery.replace(records=tuple(records[:index + 1] + copies + records[index + 1:]))


@register_effect("reorder")
@dataclass(frozen=True)
class Reorder(Effect):
    """Change the order of a batch: a seeded shuffle, or reversed."""

    order: Literal["shuffle", "reverse"] = "shuffle"

    def check(self, rule: Any, where: str) -> None:
        if rule.point == "aws" and (rule.match.service != "sqs" or rule.match.operation not in (None,
                                                                                                "ReceiveMessage")):
            raise FaultPlanError(f"{where}: on AWS requests reorder applies to sqs ReceiveMessage (match service: "
                                 f"sqs, operation: ReceiveMessage)")

    def _reorder(self, ctx: Any, items: list) -> list:
        if self.order == "reverse":
            return list(reversed(items))
        items = list(items)
        ctx.rng.shuffle(items)
        return items

    def aws_response(self, ctx: Any, response: Any) -> Any:
        if ctx.target.operation != "ReceiveMessage" or response is None or response.status_code != 200:
            return response
        body = json.loads(response.content or b"{}")
        if len(body.get("Messages") or []) < 2:
            return response
        body["Messages"] = self._reorder(ctx, body["Messages"])
        return aws_response(ctx.raw, 200, body, dict(response.headers),
                            content_type=response.headers.get("Content-Type", "application/x-amz-json-1.0"))

    def deliver(self, ctx: Any, delivery: Delivery) -> Delivery:
        return delivery.replace(records=tuple(self._reorder(ctx, list(delivery.records))))


@register_effect("redeliver")
@dataclass(frozen=True)
class Redeliver(Effect):
    """Deliver a message again after it was processed: an SQS delete that reports success but is not applied
    (the message returns after its visibility timeout), or a delivered record handed back to the source."""

    index: int | None = None

    def check(self, rule: Any, where: str) -> None:
        if rule.point == "aws" and (rule.match.service != "sqs" or rule.match.operation not in (
                "DeleteMessage", "DeleteMessageBatch")):
            raise FaultPlanError(f"{where}: on AWS requests redeliver applies to sqs DeleteMessage or "
                                 f"DeleteMessageBatch (match service: sqs, operation: DeleteMessage)")

    def aws_request(self, ctx: Any) -> Any:
        if ctx.target.operation == "DeleteMessageBatch":
            entries = ctx.call.params.get("Entries") or []
            body = {"Successful": [{"Id": e.get("Id")} for e in entries], "Failed": []}
        else:
            body = {}
        return aws_response(ctx.raw, 200, body, content_type="application/x-amz-json-1.0")

    def deliver(self, ctx: Any, delivery: Delivery) -> Delivery:
        records = list(delivery.records)
        index = _pick(ctx, records, self.index)
        if index is None:
            return delivery
        return delivery.replace(redeliver=delivery.redeliver + (records[index],))
