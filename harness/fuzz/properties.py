"""The properties `harness fuzz` checks on every invocation, and the `contract` expectation that checks the same
properties in the scenario it writes (so the scenario fails exactly while the bug is there)."""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import field_validator

from harness.scenario.expectations import Expectation, Verdict, expectation, invocation_result

HTTP_SOURCES = ("api", "url")
DEFAULT_STATUSES = ((100, 499),)  # a client's input, malformed or not, never earns a 5xx


def status_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """`"100-499,503"` -> ((100, 499), (503, 503)); raises ValueError on anything else."""
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        low, _, high = part.partition("-")
        low_n, high_n = int(low), int(high or low)
        if not 100 <= low_n <= high_n <= 599:
            raise ValueError(f"{part!r} is not a status or range within 100-599")
        out.append((low_n, high_n))
    if not out:
        raise ValueError("no status given")
    return tuple(out)


def ranges_text(ranges: tuple[tuple[int, int], ...]) -> str:
    """((100, 499), (503, 503)) -> `"100-499,503"` (what status_ranges reads)."""
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in ranges)


def violations(result: Any, *, source: str, errors: bool = False,
               statuses: tuple[tuple[int, int], ...] = DEFAULT_STATUSES, secrets: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with one invocation: an unhandled exception (unless `errors` are the contract), a timeout,
    a malformed or undocumented HTTP answer (API/URL sources), a secret value in its log lines."""
    problems = []
    if result.status == "timeout":
        problems.append("the invocation timed out")
    elif result.status == "error" and not errors:
        error = result.error or {}
        problems.append(f"unhandled {error.get('errorType', 'error')}: {str(error.get('errorMessage', ''))[:200]}")
    elif result.status == "success" and source in HTTP_SOURCES:
        problems += _http_problems(result.payload, source, statuses)
    for line in result.logs:
        leaked = [s for s in secrets if s in line]
        if leaked:
            problems.append(f"a secret value appears in the logs: {line.replace(leaked[0], '***')[:160]}")
            break
    return problems


def _http_problems(payload: Any, source: str, statuses: tuple[tuple[int, int], ...]) -> list[str]:
    from harness.sources.proxy import rest_response, url_response
    response = rest_response(payload) if source == "api" else url_response(payload)
    if response is None:
        gateway = "API Gateway answers 502" if source == "api" else "the Function URL answers 502"
        return [f"malformed proxy response ({gateway}): {str(payload)[:160]}"]
    if not any(low <= response.status <= high for low, high in statuses):
        allowed = ranges_text(statuses)
        return [f"answered HTTP {response.status} (documented: {allowed}): {response.body[:160]}"]
    return []


@expectation
class Contract(Expectation):
    """A fuzzed `invoke` step (by `id`) kept its contract: no unhandled exception (unless `errors: true`), no
    timeout, and for `source: api|url` a well-formed proxy response whose status is in `statuses`."""

    kind: ClassVar[str] = "contract"
    step: str
    source: str = "async"
    errors: bool = False
    statuses: str = "100-499"

    @field_validator("statuses")
    @classmethod
    def _ranges(cls, value: str) -> str:
        status_ranges(value)  # raises ValueError: reported at load time with the file's line
        return value

    def check(self, ctx: Any) -> Verdict:
        result, not_a_result = invocation_result(ctx, self.step)
        if not_a_result is not None:
            return not_a_result
        problems = violations(result, source=self.source, errors=self.errors, statuses=status_ranges(self.statuses))
        seqs = tuple(e.seq for e in ctx.sim.trace.of("invoke_end", request_id=result.request_id))
        wanted = "no unhandled exception" if not self.errors else "any outcome"
        if self.source in HTTP_SOURCES:
            wanted += f" and a proxy response with status {self.statuses}"
        return Verdict(not problems, f"step {self.step!r}: {wanted}", "; ".join(problems) or "kept", seqs)
