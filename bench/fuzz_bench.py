"""Bench section `fuzz`: examples per second of the handler parsers (pure, direct calls) and of `harness fuzz`
through the harness. Called once from bench/run.py; `python bench/fuzz_bench.py` runs it alone."""
from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from harness import strategies as hs
from harness.clock import real_perf_counter

ROOT = Path(__file__).resolve().parent.parent
for _src in ("handlers/replies/src", "handlers/messages/src", "handlers/earnings/src"):
    if str(ROOT / _src) not in sys.path:
        sys.path.append(str(ROOT / _src))

EVENTS = 2000


def _parsers() -> list[tuple[str, object, object]]:
    """(name, parse function that swallows the documented refusal, event strategy)."""
    from mark_earnings_processed.validation import EventValidationError, parse_event
    from message_api.validation import RequestInvalid, parse_request
    from replies_engine.batch_processor.grouping import InvalidBatchMessage, parse_record
    from replies_engine.webhook_handler.utils.parsing_utils import create_context_object

    def refusing(fn, *errors):
        def call(event):
            try:
                fn(event)
            except errors:
                pass
        return call

    api = hs.api_gateway_events(path=st.sampled_from(["/sms", "/whatsapp", "/email"]), body=st.text(max_size=80))
    messages = hs.api_gateway_events(path="/messages", body=hs.json_objects(
        {"recipient": st.text(max_size=16), "content": st.text(max_size=40)}))
    earnings = hs.eventbridge_events(source="earnings.processing", detail_type="Earnings Processed",
                                     detail=hs.json_objects({"earningsId": st.text(max_size=12)}))
    return [
        ("replies create_context_object", create_context_object, hs.mutated(api, probability=0.5)),
        ("replies parse_record", refusing(parse_record, InvalidBatchMessage), hs.mutated(hs.sqs_records(),
                                                                                          probability=0.5)),
        ("messages parse_request", refusing(lambda e: parse_request(e, 1024), RequestInvalid),
         hs.mutated(messages, probability=0.5)),
        ("earnings parse_event", refusing(lambda e: parse_event(e, expected_source="earnings.processing",
                                                                expected_detail_type="Earnings Processed"),
                                          EventValidationError), hs.mutated(earnings, probability=0.5)),
    ]


def _generate(strategy, n: int) -> tuple[list, float]:
    """n events drawn by hypothesis (as a property test draws them), and the wall seconds that took."""
    events: list = []

    @settings(max_examples=n, database=None, deadline=None, derandomize=True, phases=["generate"],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(event):
        events.append(event)

    start = real_perf_counter()
    collect()
    return events, real_perf_counter() - start


def parser_rows(n: int = EVENTS) -> list[tuple[str, str, str]]:
    """Per parser: direct calls per second on generated events, and whole property-test examples per second."""
    rows = []
    for name, parse, strategy in _parsers():
        events, generation = _generate(strategy, n)
        start = real_perf_counter()
        for event in events:
            parse(event)
        calls = real_perf_counter() - start
        rows.append((f"fuzz: {name} (pure, direct calls on {len(events)} generated events)",
                     f"{len(events) / calls:,.0f} calls/s",
                     f"{len(events) / (generation + calls):,.0f} examples/s with hypothesis generating"))
    return rows


def baseline_row(n: int = EVENTS) -> tuple[str, str, str]:
    """Hypothesis's own cost per example (st.integers(), nothing called): the ceiling of any property test."""
    events, seconds = _generate(st.integers(), n)
    return ("fuzz: hypothesis engine alone (st.integers(), nothing called)", f"{len(events) / seconds:,.0f} examples/s",
            "the ceiling for generated examples")


def harness_rows(examples: int = 150) -> list[tuple[str, str, str]]:
    """`harness fuzz` through the harness (real runtime and moto), no finding expected."""
    from harness.fuzz.engine import Budget, fuzz
    from harness.fuzz.target import resolve
    rows = []
    for system, function in (("handlers/messages/template.yaml", "PostMessageFunction"),
                             ("tests/harness/fixtures/basic/template.yaml", "Stamp")):
        target = resolve(str(ROOT / system), function)
        outcome = fuzz(target, Budget(examples=examples), seed=0)
        found = "finding!" if outcome.finding else "no finding"
        rows.append((f"fuzz: harness fuzz {Path(system).parent.name} {function} ({target.source} events)",
                     f"{outcome.rate:,.0f} examples/s", f"{outcome.examples} examples, {found}"))
    return rows


def fuzz_section(console: Console) -> None:
    """Print the `fuzz` bench table."""
    table = Table(title="fuzz: examples per second (goal: >= 2,000/s for pure parsers)")
    for column, justify in (("measure", "left"), ("value", "right"), ("note", "right")):
        table.add_column(column, justify=justify)
    for row in [baseline_row(), *parser_rows(), *harness_rows()]:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    fuzz_section(Console(width=150))
