"""From a timeline and its inputs to a scenario: fault rules with windows and counts that reproduce the
observed failures, the inputs as steps at their times, expectations describing the observed symptoms, and
commented placeholders for the behaviour the plan wants."""
from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import yaml

from harness.incidents.inputs import Input
from harness.incidents.system import SystemMap
from harness.incidents.timeline import Failure, Invocation, Timeline, Unmapped

IDLE_LIFETIME = 900.0  # the harness reclaims an idle container after this; a stream reused later was kept warm
CLUSTER_GAP = 900.0   # failures of one kind further apart than this become separate rules (separate windows)
MAX_LOG_SYMPTOMS = 5
_SLACK = 0.001        # CloudWatch times are milliseconds: a window ends just after the last line that logged it


@dataclass
class Mapping:
    """What the import made of the logs: rules, steps and expectations, and what it could not map."""

    faults: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)
    expect: list[dict] = field(default_factory=list)
    mapped: list[str] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:70]


def _clusters(failures: list[Failure]) -> list[list[Failure]]:
    groups: dict[tuple, list[Failure]] = defaultdict(list)
    out = []
    for f in failures:
        if retried_unseen(f):
            out.append([f])  # its own window: every attempt inside it failed
        else:
            groups[f.key()].append(f)
    for group in groups.values():
        group.sort(key=lambda f: f.at)
        current = [group[0]]
        for f in group[1:]:
            if f.since - current[-1].at > CLUSTER_GAP:
                out.append(current)
                current = []
            current.append(f)
        out.append(current)
    return sorted(out, key=lambda c: c[0].at)


def retried_unseen(failure: Failure) -> bool:
    """An AWS error whose line does not count the attempts, with a code botocore retries (throttling, transient,
    5xx, a connection error or timeout): the call may have failed several times before the handler saw it, so every attempt between the line
    before and this one failed."""
    from botocore.retries.standard import ThrottledRetryableChecker, TransientRetryableChecker
    code = failure.data.get("code")
    if failure.attempts is not None or failure.kind != "aws_error":
        return False
    if failure.data.get("network"):
        return True  # botocore retries connection errors and timeouts too
    if not code:
        return False
    if code in ThrottledRetryableChecker._THROTTLED_ERROR_CODES or \
            code in TransientRetryableChecker._TRANSIENT_ERROR_CODES:
        return True
    from harness.faults.aws_errors import status_for
    from harness.faults.catalog import find_service
    return status_for(find_service(failure.data.get("service") or ""), code) in \
        TransientRetryableChecker._TRANSIENT_STATUS_CODES


def _window(since: float, until: float) -> dict:
    """Log times are whole milliseconds: widen by one on each side so float sums of virtual time stay inside."""
    return {"from": round(max(0.0, since - _SLACK), 3), "until": round(until + _SLACK, 3)}


def failure_rule(cluster: list[Failure], system: SystemMap, taken: set[str]) -> tuple[dict | None, str]:
    """A fault rule reproducing a cluster of equal failures, or (None, why not)."""
    first, d = cluster[0], cluster[0].data
    function = system.function(first.function) or first.function
    times = None if retried_unseen(first) else sum(f.attempts or 1 for f in cluster)
    window = _window(first.since, cluster[-1].at)
    if first.kind == "aws_error":
        d = {**d, "service": _service_allowed(d, function, system)}
        if not d.get("service"):
            return None, (f"{d.get('code') or d.get('network')} in {function}: the logs name no operation and the "
                          "code belongs to no known service")
        match = {"service": d["service"], **({"operation": d["operation"]} if d.get("operation") else {}),
                 "function": function, "window": window}
        effect = ({"type": "network_error", "error": d["network"]} if d.get("network") else
                  {"type": "aws_error", "code": d["code"], **_status_if_unmodeled(d["service"], d["code"])})
        label = f"{d['service']}-{d.get('operation') or 'any'}-{d.get('code') or d.get('network')}"
    else:
        match = {"service": "http", "function": function, "window": window}
        if d.get("host"):
            match["host"] = d["host"]
        if d.get("method"):
            match["method"] = d["method"]
        effect = ({"type": "http_status", "status": d["status"]} if d.get("status") else
                  {"type": "http_error", "error": d.get("error", "refused")})
        label = f"http-{d.get('host') or 'any'}-{d.get('status') or d.get('error')}"
    rule = {"id": _unique(_slug(label), taken), "match": match, "effect": effect}
    return (rule if times is None else {**rule, "times": times}), ""


def _service_allowed(d: dict, function: str, system: SystemMap) -> str | None:
    """The service of the failed operation: when several have it (Publish: SNS and IoT), the one the function's
    policies allow."""
    from harness.incidents.services import services_with_operation
    service, operation = d.get("service"), d.get("operation")
    if not operation or (service and system.allowed(function, service)):
        return service
    return next((s for s in services_with_operation(operation) if system.allowed(function, s)), service)


def _status_if_unmodeled(service: str, code: str) -> dict:
    """`status` for a code the service's botocore model does not list (the fault engine needs it then)."""
    from harness.faults.aws_errors import known_codes
    from harness.faults.catalog import find_service
    found = find_service(service)
    if found is None or code in known_codes(found):
        return {}
    return {"status": 503 if "Unavailable" in code else 500 if "Internal" in code else 400}


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def outcome_rules(timeline: Timeline, system: SystemMap, taken: set[str]) -> tuple[list[dict], list[Unmapped]]:
    """Lambda-level faults for outcomes no AWS or HTTP failure explains: timeouts, crashes, out of memory,
    init failures. A handler's own exception is not a fault: the replayed input should raise it again."""
    rules, notes = [], []
    groups: dict[tuple, list[Invocation]] = defaultdict(list)
    for inv in timeline.invocations:
        kind = _outcome_fault(inv)
        if kind is not None:
            groups[(inv.function, *kind)].append(inv)
        elif inv.outcome == "error" and not inv.failures:
            notes.append(Unmapped(f"{inv.function} request {inv.request_id}", f"the handler raised "
                                  f"{inv.error_type or 'an error'} with no AWS or HTTP failure logged before it: no "
                                  "fault, the replayed input should raise it again", ""))
    for (function, effect_type, setting), invs in groups.items():
        logical = system.function(function) or function
        effect: dict[str, Any] = {"type": effect_type}
        if effect_type == "lambda_crash":
            effect.update(error_type=setting, when="end" if any(i.app_lines for i in invs) else "start")
        elif effect_type == "lambda_timeout":
            effect["when"] = "end" if any(i.app_lines for i in invs) else "start"
        elif effect_type in ("init_failure", "lambda_error"):
            effect["error_type"] = setting
        window = _window(invs[0].start, invs[-1].start)
        rules.append({"id": _unique(_slug(f"{logical}-{effect_type}"), taken),
                      "match": {"function": logical, "window": window}, "effect": effect, "times": len(invs)})
    for function, t, error_type in timeline.init_failures:
        logical = system.function(function) or function
        rules.append({"id": _unique(_slug(f"{logical}-init-failure"), taken),
                      "match": {"function": logical, "window": _window(max(0.0, t - 1.0), t)},
                      "effect": {"type": "init_failure", "error_type": error_type
                                 if error_type in ("Runtime.ImportModuleError", "Runtime.ExitError") else "Exception"},
                      "times": 1})
    return rules, notes


_INIT_ERRORS = {"Runtime.ImportModuleError": "Runtime.ImportModuleError", "Runtime.HandlerNotFound": "Exception",
                "Runtime.ExitError": "Runtime.ExitError"}


def _outcome_fault(inv: Invocation) -> tuple[str, str | None] | None:
    if inv.cold and inv.error_type in ("Runtime.ImportModuleError", "Runtime.HandlerNotFound"):
        return "init_failure", _INIT_ERRORS[inv.error_type]
    if inv.outcome == "timeout" and not inv.failures:  # after logged failures, they explain the timeout
        return "lambda_timeout", None
    if inv.error_type in ("Runtime.ExitError", "Runtime.OutOfMemory"):
        return "lambda_crash", inv.error_type
    if (inv.error_type or "").startswith("Runtime.") and not inv.app_lines:  # the runtime failed, not the handler
        return "lambda_error", inv.error_type
    return None


def container_rules(timeline: Timeline, system: SystemMap, taken: set[str]) -> list[dict]:
    """`reuse_container` where one log stream (one execution environment) served invocations further apart than
    an idle container lives: production kept it warm, so the replay must too (stale module-scope state)."""
    rules = []
    for function in timeline.functions():
        by_stream: dict[str, list[Invocation]] = defaultdict(list)
        for inv in timeline.of(function):
            if inv.stream:
                by_stream[inv.stream].append(inv)
        for invs in by_stream.values():
            gaps = [b.start - (a.end if a.end is not None else a.last_line) for a, b in itertools.pairwise(invs)]
            if gaps and max(gaps) > IDLE_LIFETIME:
                logical = system.function(function) or function
                rules.append({"id": _unique(_slug(f"{logical}-kept-warm"), taken),
                              "match": {"function": logical, "window": _window(invs[0].start, invs[0].start)},
                              "effect": {"type": "reuse_container"}, "times": 1})
    return rules


def steps_from(inputs: list[Input], end: float) -> list[dict]:
    """The inputs at their times (advance between them), then time up to the last thing logged."""
    steps, now = [], 0.0
    for item in inputs:
        if item.at - now >= 0.001:
            steps.append({"advance": round(item.at - now, 3)})
            now = item.at
        steps.append(item.step)
        now = max(now, item.done or now)  # a synchronous step returns when its invocation ended
    if end - now >= 0.001:
        steps.append({"advance": round(end - now + 1.0, 3)})
    return steps


def observed(timeline: Timeline, system: SystemMap, faults: list[dict]) -> list[dict]:
    """Expectations that hold when a run reproduces the incident."""
    expect: list[dict] = [{"fault": {"rule": r["id"], "count": r.get("times", {"min": 1})}} for r in faults]
    for function in timeline.functions():
        invs = timeline.of(function)
        outcomes = Counter(i.outcome for i in invs)
        logical = system.function(function) or function
        expect.append({"invocations": {"function": logical, "count": len(invs),
                                       "outcomes": dict(sorted(outcomes.items()))}})
        messages = Counter(_searchable(m) for i in invs for m in i.error_lines)
        for message, count in messages.most_common(MAX_LOG_SYMPTOMS):
            if message:
                expect.append({"logs": {"function": logical, "contains": message, "count": {"min": count}}})
    return expect


def _searchable(message: str) -> str:
    """The longest leading part of a message that reads the same in a text and a JSON log line."""
    return re.split(r'["\\\n]', message, maxsplit=1)[0][:80].strip()


def scenario_yaml(header: dict, faults: list[dict], steps: list[dict], expect: list[dict], placeholders: list[str],
                  comment: list[str]) -> str:
    """The scenario file's text: comments, then the YAML, with the plan placeholders after the observations."""
    def dump(value: Any, flow: bool | None = None) -> str:
        return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=120, default_flow_style=flow)
    parts = ["".join(f"# {line}\n" for line in comment), dump(header, False)]
    if faults:
        parts.append(dump({"faults": faults}))
    parts.append(dump({"steps": steps}))
    parts.append("expect:\n  # observed in the incident's logs: a run that passes these reproduces the incident\n")
    parts.append("".join("  " + line + "\n" for line in dump(expect).splitlines()))
    parts.append("  # the plan's behaviour (fill in, then the scenario guards the fix):\n")
    parts.append("".join(f"  # {line}\n" for line in placeholders))
    return "".join(parts)
