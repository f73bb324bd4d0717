"""A run's trace as an SVG sequence diagram: lanes for the scenario, functions, queues, tables, buckets,
buses and external HTTP hosts; arrows for invocations, AWS calls and HTTP exchanges; faults highlighted.
Plain inline SVG (native <title> tooltips), so the report works offline."""
from __future__ import annotations

from html import escape
from typing import Any

LANE_WIDTH = 150
ROW_HEIGHT = 22
TOP = 46
MAX_ROWS = 400
SCENARIO, LAMBDA = "scenario", "Lambda service"
SKIP_KINDS = {"log", "deployed"}


class _Row:
    def __init__(self, t: float, kind: str, src: str, dst: str | None, label: str, style: str, title: str):
        self.t, self.kind, self.src, self.dst, self.label, self.style, self.title = t, kind, src, dst, label, style, title


def rows_of(events: list[dict], lanes: dict[str, str]) -> list[_Row]:
    """The drawable steps of a trace (deploy-time harness calls and log lines left out)."""
    def name(value: Any) -> str:
        return lanes.get(str(value), str(value)) if value else "?"

    rows: list[_Row] = []
    started = False
    origin = SCENARIO
    driving = False  # the harness acts for the scenario (setup, a step's own calls) until something runs
    sources: dict[str, str] = {}  # request id -> the lane its invocation came from
    for e in events:
        kind, t = e["kind"], float(e.get("t", 0.0))
        title = f"#{e.get('seq')} t={t:g}s {kind} " + " ".join(f"{k}={v}" for k, v in e.items()
                                                               if k not in ("seq", "t", "kind") and v is not None)
        if kind == "step":
            started, driving = True, True
            origin = SCENARIO
            rows.append(_Row(t, kind, SCENARIO, None, str(e.get("label") or e.get("step")), "step", title))
        elif kind in SKIP_KINDS or (not started and kind == "aws" and e.get("caller") == "harness"):
            continue
        elif kind == "invoke_start":
            driving = False
            src = LAMBDA if e.get("type") == "Event" else origin
            sources[str(e.get("request_id"))] = src
            label = f"invoke #{e.get('attempt', 1)}" + (" (cold)" if e.get("cold") else "")
            rows.append(_Row(t, kind, src, name(e.get("function")), label, "call", title))
        elif kind == "invoke_end":
            bad = e.get("status") != "success"
            label = str(e.get("status")) + (f": {e.get('error')}" if e.get("error") else "")
            src = sources.get(str(e.get("request_id")), LAMBDA)
            rows.append(_Row(t, kind, name(e.get("function")), src, label, "error-return" if bad else "return",
                             title))
        elif kind == "aws":
            caller = e.get("caller")
            if caller == "harness":
                src = SCENARIO if driving else LAMBDA
            else:
                src = SCENARIO if caller in ("test", None) else name(caller)
            resource = name(e.get("resource") or e.get("service"))
            if caller == "harness" and e.get("operation") == "ReceiveMessage":
                origin, driving = resource, False
            failed = (e.get("status") or 200) >= 400 or e.get("error")
            label = str(e.get("operation")) + (f" → {e.get('error') or e.get('status')}" if failed else "")
            style = "error-call" if failed else ("internal" if caller == "harness" else "call")
            rows.append(_Row(t, kind, src, resource, label, style, title))
        elif kind == "fault":
            lane = name(e.get("function") or e.get("caller") or e.get("resource")) if \
                (e.get("function") or e.get("caller") or e.get("resource")) else LAMBDA
            label = f"FAULT {e.get('rule')}: {e.get('effect')}"
            rows.append(_Row(t, kind, lane, None, label, "fault", title))
        elif kind in ("http", "http_request", "outbound_http"):
            host = str(e.get("host") or e.get("url") or "external")
            src = name(e.get("function") or e.get("caller")) if (e.get("function") or e.get("caller")) else SCENARIO
            label = f"{e.get('method', '')} {e.get('path', '')} {e.get('status', '')}".strip()
            rows.append(_Row(t, kind, src, f"http: {host.split('/')[2] if '://' in host else host}", label,
                             "error-call" if int(e.get("status") or 0) >= 400 else "call", title))
        else:
            lane = name(e.get("function") or e.get("queue") or e.get("bus")) if \
                (e.get("function") or e.get("queue") or e.get("bus")) else LAMBDA
            bad = kind.endswith(("failed", "dead_letter", "throttle")) or kind in ("throttle", "refused")
            rows.append(_Row(t, kind, lane, None, kind + _detail(e), "warn" if bad else "note", title))
    return rows


def _detail(e: dict) -> str:
    for key in ("condition", "attempt", "delay", "reason", "target"):
        if e.get(key) is not None:
            return f" {key}={e[key]}"
    return ""


def svg(events: list[dict], lanes: dict[str, str], kinds: dict[str, str] | None = None) -> str:
    """The sequence diagram of a run as an inline <svg> element."""
    rows = rows_of(events, lanes)
    truncated = len(rows) > MAX_ROWS
    rows = rows[:MAX_ROWS]
    order: list[str] = [SCENARIO]
    for row in rows:
        for lane in (row.src, row.dst):
            if lane and lane not in order:
                order.append(lane)
    x = {lane: 90 + i * LANE_WIDTH + LANE_WIDTH // 2 for i, lane in enumerate(order)}
    width = 90 + len(order) * LANE_WIDTH + 20
    height = TOP + (len(rows) + 2) * ROW_HEIGHT
    out = [(f'<svg class="seq" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">'),
           ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>')]
    for lane, cx in x.items():
        out.append(f'<line x1="{cx}" y1="{TOP - 8}" x2="{cx}" y2="{height - 10}" class="lifeline"/>')
        out.append(f'<rect x="{cx - LANE_WIDTH // 2 + 6}" y="6" width="{LANE_WIDTH - 12}" height="26" rx="4" '
                   f'class="lane {_lane_class(lane, kinds or {})}"><title>{escape(lane)}</title></rect>')
        out.append(f'<text x="{cx}" y="23" text-anchor="middle" class="lane-label">{escape(_short(lane, 22))}</text>')
    for i, row in enumerate(rows):
        y = TOP + i * ROW_HEIGHT + ROW_HEIGHT // 2
        out.append(f'<g class="row {row.style}"><title>{escape(row.title)}</title>')
        out.append(f'<text x="6" y="{y + 4}" class="time">{row.t:.3f}s</text>')
        if row.dst is not None and row.dst != row.src:
            x1, x2 = x[row.src], x[row.dst]
            dash = ' stroke-dasharray="4 3"' if row.style in ("return", "error-return", "internal") else ""
            out.append(f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" class="arrow"{dash} marker-end="url(#arrow)"/>')
            out.append(f'<text x="{(x1 + x2) / 2}" y="{y - 4}" text-anchor="middle" class="label">'
                       f'{escape(_short(row.label, 34))}</text>')
        else:
            cx = x[row.src]
            out.append(f'<rect x="{cx - 70}" y="{y - 8}" width="140" height="16" rx="3" class="note"/>')
            out.append(f'<text x="{cx}" y="{y + 4}" text-anchor="middle" class="label">'
                       f'{escape(_short(row.label, 26))}</text>')
        out.append("</g>")
    if truncated:
        out.append(f'<text x="6" y="{height - 14}" class="time">… diagram truncated at {MAX_ROWS} rows; '
                   f'the full timeline is below</text>')
    out.append("</svg>")
    return "\n".join(out)


def _lane_class(lane: str, kinds: dict[str, str]) -> str:
    if lane == SCENARIO:
        return "lane-scenario"
    if lane == LAMBDA:
        return "lane-service"
    if lane.startswith("http:"):
        return "lane-http"
    return f"lane-{kinds.get(lane, 'resource')}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
