"""Reports of a scenario run: JUnit XML for CI, a self-contained HTML page, and the JSON they are built from."""
from __future__ import annotations

import json
from pathlib import Path

from harness.scenario.report.html import html_report, write_html
from harness.scenario.report.junit import junit_xml, write_junit

JUNIT_FILE, HTML_FILE, JSON_FILE = "junit.xml", "index.html", "results.json"


def write_reports(results: list[dict], folder: str | Path, title: str = "Scenario run") -> dict[str, Path]:
    """Write junit.xml, index.html and results.json into `folder`; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / JSON_FILE
    data.write_text(json.dumps({"title": title, "results": results}, indent=1, default=str), encoding="utf-8")
    return {"junit": write_junit(results, folder / JUNIT_FILE), "html": write_html(results, folder / HTML_FILE, title),
            "json": data}


def read_results(path: str | Path) -> tuple[str, list[dict]]:
    """(title, results) from a results.json written by `write_reports`."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return str(document.get("title", "Scenario run")), list(document["results"])


__all__ = ["html_report", "junit_xml", "read_results", "write_reports"]
