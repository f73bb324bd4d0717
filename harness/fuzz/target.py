"""What `harness fuzz` points at: a function of a template, the kind of event it receives (inferred from its
`Events:`), and the hypothesis strategy of the events to send it."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.fuzz.properties import DEFAULT_STATUSES

# SAM event type -> the event shape the function receives.
SOURCES_BY_EVENT = {"Api": "api", "HttpApi": "url", "SQS": "sqs", "EventBridgeRule": "eventbridge",
                    "CloudWatchEvent": "eventbridge", "Schedule": "schedule", "ScheduleV2": "async"}
SOURCES = ("api", "url", "sqs", "eventbridge", "schedule", "async")


@dataclass(frozen=True)
class FuzzTarget:
    """One function, its event source, the events to generate and the contract to check."""

    template: Path
    function: str
    source: str
    sample: Any = None
    mutate: bool = True
    errors: bool = False
    statuses: tuple[tuple[int, int], ...] = DEFAULT_STATUSES
    faults: list = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    path: str = "/"
    method: str = "POST"

    def strategy(self) -> Any:
        """The events to send: from the sample when given, else the source's own strategy; plus mutated ones."""
        from hypothesis import strategies as st

        from harness import strategies as hs
        base = hs.from_sample(self.sample) if self.sample is not None else _source_strategy(self)
        return st.one_of(base, hs.mutated(base)) if self.mutate else base


def _source_strategy(target: FuzzTarget) -> Any:
    from harness import strategies as hs
    return {"api": lambda: hs.api_gateway_events(method=target.method, path=target.path),
            "url": lambda: hs.http_api_events(method=target.method, path=target.path),
            "sqs": lambda: hs.sqs_batches(max_size=3),
            "eventbridge": hs.eventbridge_events, "schedule": hs.scheduled_events,
            "async": hs.async_payloads}[target.source]()


def resolve(system: str, function: str, *, source: str | None = None, sample: Path | None = None,
            **options: Any) -> FuzzTarget:
    """The target for `function` (logical id or FunctionName) of `system` (a template path or system name)."""
    from harness.scenario.system import resolve_template
    from harness.template import closest, load_template
    template_path = resolve_template(system, Path.cwd() / "fuzz")
    template = load_template(template_path, options.get("parameters") or None)
    fn = template.functions.get(function) or next(
        (f for f in template.functions.values() if f.properties.get("FunctionName") == function), None)
    if fn is None:
        raise InputError(f"unknown function {function!r}{closest(function, list(template.functions))}; "
                         f"{template_path} has: {', '.join(template.functions) or '(none)'}")
    if source is not None and source not in SOURCES:
        raise InputError(f"--source {source!r} is not one of {', '.join(SOURCES)}")
    inferred, path, method = _infer(fn)
    event_sample = None
    if sample is not None:
        try:
            event_sample = json.loads(Path(sample).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"--sample {sample}: expected a JSON event file ({exc})") from None
    return FuzzTarget(template_path.resolve(), fn.logical_id, source or inferred, event_sample,
                      path=path, method=method, **options)


def _infer(fn: Any) -> tuple[str, str, str]:
    """(source, path, method) from the function's first emulated event, or a Function URL; else async."""
    for event in fn.events:
        if event.type in SOURCES_BY_EVENT:
            props = event.properties if isinstance(event.properties, dict) else {}
            path = str(props.get("Path") or "/")
            method = str(props.get("Method") or "POST").upper()
            return SOURCES_BY_EVENT[event.type], path.replace("{", "").replace("}", ""), \
                "POST" if method == "ANY" else method
    if fn.properties.get("FunctionUrlConfig"):
        return "url", "/", "POST"
    return "async", "/", "POST"
