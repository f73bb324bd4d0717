"""The HTML report of a run: summary, and per scenario its verdict, failures with trace slices, expectations,
invariants, sequence diagram and timeline. One self-contained file: inline CSS and SVG, no scripts, no CDN."""
from __future__ import annotations

from html import escape
from pathlib import Path

from harness.scenario.report import atomic
from harness.scenario.report.diagram import svg

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2433;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:0} .muted{color:#667}
table{border-collapse:collapse;margin:12px 0;background:#fff} th,td{border:1px solid #dde;padding:4px 8px;
text-align:left;vertical-align:top} th{background:#eef1f6}
.passed{color:#137333;font-weight:600}.failed{color:#c5221f;font-weight:600}.error{color:#b06000;font-weight:600}
details.scenario{background:#fff;border:1px solid #dde;border-radius:6px;margin:12px 0;padding:8px 12px}
details.scenario>summary{cursor:pointer;font-weight:600} pre{background:#f3f4f7;padding:8px;overflow:auto;
font-size:12px;margin:4px 0} code{background:#f3f4f7;padding:1px 4px}
.ok::before{content:"✔ ";color:#137333}.bad::before{content:"✘ ";color:#c5221f}
.diagram{overflow:auto;border:1px solid #dde;background:#fff;max-height:720px}
svg.seq .lifeline{stroke:#c9ced8;stroke-dasharray:2 3}
svg.seq .lane{stroke:#8890a0;fill:#eef1f6} svg.seq .lane-scenario{fill:#dfe9ff}
svg.seq .lane-service{fill:#f0f0f0} svg.seq .lane-function{fill:#dcecff} svg.seq .lane-queue{fill:#fff0d9}
svg.seq .lane-table{fill:#dff5e3} svg.seq .lane-bucket{fill:#efe3ff} svg.seq .lane-http{fill:#ffe3ef}
svg.seq .lane-label{font-weight:600} svg.seq .time{fill:#889}
svg.seq .arrow{stroke:#3b4a66;stroke-width:1.2} svg.seq .note{fill:#f6f7f9;stroke:#c9ced8}
svg.seq .error-call .arrow,svg.seq .error-return .arrow{stroke:#c5221f} svg.seq .error-call text,
svg.seq .error-return text{fill:#c5221f} svg.seq .internal .arrow{stroke:#aab}
svg.seq .internal text{fill:#889} svg.seq .fault .note{fill:#ffd7d5;stroke:#c5221f;stroke-width:2}
svg.seq .fault text{fill:#a50e0e;font-weight:700} svg.seq .warn .note{fill:#fff3cd;stroke:#d39e00}
svg.seq .step .note{fill:#dfe9ff;stroke:#6c8ed8}
"""


def html_report(results: list[dict], title: str = "Scenario run") -> str:
    """The report page for a list of result dicts."""
    counts = {status: sum(1 for r in results if r["status"] == status) for status in ("passed", "failed", "error", "skipped")}
    head = (f"<h1>{escape(title)}</h1><p class='muted'>{len(results)} scenario(s): "
            + ", ".join(f"<span class='{k}'>{v} {k}</span>" for k, v in counts.items()) + "</p>")
    rows = "".join(
        f"<tr><td><a href='#s{i}'>{escape(str(r.get('name')))}</a></td><td>{escape(str(r.get('file')))}</td>"
        f"<td class='{r['status']}'>{r['status']}</td><td>{r.get('seed', '')}</td>"
        f"<td><code>{escape(str(r.get('trace_hash') or ''))}</code></td>"
        f"<td>{(r.get('stats') or {}).get('virtual_seconds', '')}</td><td>{r.get('wall_seconds', '')}</td>"
        f"<td>{(r.get('stats') or {}).get('invocations', '')}</td><td>{(r.get('stats') or {}).get('faults', '')}</td>"
        f"</tr>" for i, r in enumerate(results))
    table = ("<table><tr><th>scenario</th><th>file</th><th>status</th><th>seed</th><th>trace hash</th>"
             "<th>virtual s</th><th>wall s</th><th>invocations</th><th>faults</th></tr>" + rows + "</table>")
    sections = "".join(_scenario(i, r) for i, r in enumerate(results))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{head}{table}{sections}</body></html>\n")


def _scenario(i: int, r: dict) -> str:
    status = r["status"]
    parts = [f"<details class='scenario' id='s{i}' {'open' if status != 'passed' else ''}>",
             (f"<summary><span class='{status}'>{status.upper()}</span> {escape(str(r.get('name')))} "
              f"<span class='muted'>{escape(str(r.get('file')))}</span></summary>")]
    if r.get("replay"):
        parts.append(f"<p>seed <b>{r.get('seed')}</b> · backend {escape(str(r.get('backend')))} · trace hash "
                     f"<code>{escape(str(r.get('trace_hash')))}</code> · replay: <code>{escape(r['replay'])}</code></p>")
    if r.get("proves"):
        parts.append("<p>proves: " + ", ".join(f"<code>{escape(str(i))}</code>" for i in r["proves"]) + "</p>")
    if r.get("error"):
        parts.append(f"<h3>Error</h3><pre>{escape(str(r['error']))}</pre>")
    outcomes = r.get("outcomes") or []
    if outcomes:
        parts.append("<h3>Expectations</h3><table><tr><th></th><th>where</th><th>expected</th><th>found</th></tr>")
        for o in outcomes:
            mark = "ok" if o["passed"] else "bad"
            found = escape(str(o.get("found")))
            if not o["passed"] and o.get("slice"):
                found += "<pre>" + escape("\n".join(o["slice"][-15:])) + "</pre>"
            parts.append(f"<tr><td class='{mark}'></td><td>{escape(o['where'])} (line {o.get('line')})</td>"
                         f"<td>{escape(str(o.get('expected')))}</td><td>{found}</td></tr>")
        parts.append("</table>")
    invariants = r.get("invariants") or []
    if invariants:
        parts.append("<h3>Invariants</h3><table><tr><th></th><th>invariant</th><th>violations</th></tr>")
        for inv in invariants:
            text = "<br>".join(escape(v["message"]) for v in inv.get("violations") or []) or "held"
            if not inv["passed"] and (r.get("slices") or {}).get(inv["name"]):
                text += "<pre>" + escape("\n".join(r["slices"][inv["name"]][-15:])) + "</pre>"
            parts.append(f"<tr><td class='{'ok' if inv['passed'] else 'bad'}'></td><td>{escape(inv['name'])}</td>"
                         f"<td>{text}</td></tr>")
        parts.append("</table>")
    events = r.get("events") or []
    if events:
        parts.append("<h3>Sequence diagram</h3><div class='diagram'>"
                     + svg(events, r.get("lanes") or {}, r.get("lane_kinds") or {}) + "</div>")
        timeline = "\n".join(_line(e) for e in events)
        parts.append(f"<details><summary>Timeline ({len(events)} events)</summary><pre>{escape(timeline)}</pre>"
                     f"</details>")
    if r.get("warnings"):
        parts.append("<details><summary>Warnings</summary><pre>" + escape("\n".join(r["warnings"])) +
                     "</pre></details>")
    parts.append("</details>")
    return "".join(parts)


def _line(e: dict) -> str:
    fields = " ".join(f"{k}={v}" for k, v in e.items() if k not in ("seq", "t", "kind", "message", "extra")
                      and v is not None)
    message = f" | {e['message']}" if e.get("message") else ""
    return f"t={float(e.get('t', 0)):10.3f}s  {e['kind']:<16} {fields}{message}"


def write_html(results: list[dict], path: Path, title: str = "Scenario run") -> Path:
    """Write the report page (folders created)."""
    return atomic.write_text(path, html_report(results, title))
