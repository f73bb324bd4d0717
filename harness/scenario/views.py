"""RunViews: what invariants read. LiveView reads a running simulation; StaticView holds plain values (tests,
recorded runs)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.scenario.context import RunContext


class LiveView:
    """The RunView invariants read, backed by a running simulation."""

    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.trace = ctx.sim.trace
        self.ledger = ctx.ledger
        self.now_epoch = ctx.sim.clock.now()
        self.results = ctx.sim.invocations

    def physical(self, kind: str, ref: str) -> str:
        """Physical name of a template resource."""
        return self.ctx.physical(kind, ref)

    def queue_messages(self, queue: str) -> list:
        """Messages left in a queue."""
        return self.ctx.state.messages(queue)

    def queue_names(self) -> list[str]:
        """Every queue in the backend."""
        return self.ctx.state.queue_names()


    def table_items(self, table: str) -> list[dict]:
        """Items of a table."""
        return self.ctx.state.items(table)

    def secret_values(self) -> list[str]:
        """Values stored in Secrets Manager."""
        return self.ctx.state.secret_values()


@dataclass
class StaticView:
    """A RunView made of plain values: for tests and for checking a recorded run."""

    trace: Any
    ledger: Any
    now_epoch: float = 0.0
    queues: dict[str, list] = field(default_factory=dict)
    tables: dict[str, list[dict]] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    results: list = field(default_factory=list)

    def physical(self, kind: str, ref: str) -> str:
        """Names are physical already."""
        return ref

    def queue_messages(self, queue: str) -> list:
        """Messages left in a queue."""
        return list(self.queues.get(queue, []))

    def queue_names(self) -> list[str]:
        """Every queue."""
        return sorted(self.queues)


    def table_items(self, table: str) -> list[dict]:
        """Items of a table."""
        return list(self.tables.get(table, []))

    def secret_values(self) -> list[str]:
        """Stored secrets."""
        return list(self.secrets)
