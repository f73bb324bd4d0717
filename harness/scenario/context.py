"""The run context handed to steps, expectations and invariants: the simulation plus name resolution."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.scenario.catalog import Catalog
from harness.scenario.ledger import Ledger
from harness.scenario.state import State


@dataclass
class RunContext:
    """One scenario run in progress."""

    sim: Any
    catalog: Catalog
    ledger: Ledger
    folder: Any = None  # the scenario file's folder (relative paths in steps)
    outputs: dict[str, Any] = field(default_factory=dict)  # step id -> what the step returned
    state: State | None = None

    def __post_init__(self) -> None:
        if self.state is None:
            self.state = State(self.sim)

    @contextlib.contextmanager
    def inspecting(self) -> Iterator[None]:
        """Looking at state for a check leaves no trace: the run's trace (and hash) shows the system only."""
        events = self.sim.trace.events
        mark = len(events)
        try:
            yield
        finally:
            del events[mark:]

    # ---------------------------------------------------------------- names
    def function_name(self, ref: str) -> str:
        """Physical function name for a logical id or name."""
        return self.sim.runtime.require(ref).name

    def function_name_or_self(self, ref: str) -> str:
        """Physical function name, or `ref` itself when it names no function (e.g. 'test', 'harness')."""
        config = self.sim.runtime.function(ref)
        return config.name if config is not None else ref

    def physical(self, kind: str, ref: str) -> str:
        """Physical name of a queue, table, bucket or secret given its logical id or name."""
        logical = self.catalog.names.get(kind, {}).get(ref)
        if logical is None:
            return ref
        if kind == "queue":
            return self.sim.queue_url(logical).rstrip("/").rsplit("/", 1)[-1]
        attrs = self.sim.resource(logical)
        return str(attrs.get("Name") if kind == "secret" else attrs["Ref"])

    def resource_names(self, ref: str) -> set[str]:
        """Every name a trace `resource` field could carry for `ref` (logical id, physical name)."""
        names = {ref}
        for kind, known in self.catalog.names.items():
            if ref in known and kind in ("queue", "table", "bucket", "secret", "function"):
                with contextlib.suppress(Exception):  # an undeployed resource only has its written names
                    names.add(self.function_name(ref) if kind == "function" else self.physical(kind, ref))
        return names

    def display(self, name: str | None) -> str:
        """Logical id for a physical name when the template has one (for reports), else the name."""
        if not name:
            return ""
        for known in self.catalog.names.values():
            if name in known:
                return known[name]
        return name
