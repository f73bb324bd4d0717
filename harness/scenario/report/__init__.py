"""Reports of a scenario run: JUnit XML for CI, a self-contained HTML page, and the JSON they are built from."""
from __future__ import annotations

import json
from pathlib import Path

from harness.scenario.report import atomic
from harness.scenario.report.html import html_report, write_html
from harness.scenario.report.junit import junit_xml, write_junit

JUNIT_FILE, HTML_FILE, JSON_FILE = "junit.xml", "index.html", "results.json"


def write_reports(results: list[dict], folder: str | Path, title: str = "Scenario run",
                  html: bool = True) -> dict[str, Path]:
    """Write junit.xml, index.html (unless `html` is False) and results.json into `folder`, each replaced
    atomically; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / JSON_FILE
    atomic.write_text(data, json.dumps({"title": title, "results": results}, indent=1, default=str))
    written = {"junit": write_junit(results, folder / JUNIT_FILE), "json": data}
    if html:
        written["html"] = write_html(results, folder / HTML_FILE, title)
    return written


def read_results(path: str | Path) -> tuple[str, list[dict]]:
    """(title, results) from a results.json written by `write_reports`."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return str(document.get("title", "Scenario run")), list(document["results"])


__all__ = ["html_report", "junit_xml", "read_results", "write_reports"]
