"""JUnit XML for CI: one testcase per scenario; failures carry the full report, load errors are errors."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.scenario.report import atomic


def junit_xml(results: list[dict], suite: str = "scenarios") -> str:
    """The XML document for a list of result dicts (ScenarioResult.to_dict() or load-error dicts)."""
    failures = sum(1 for r in results if r["status"] == "failed")
    errors = sum(1 for r in results if r["status"] == "error")
    skipped = sum(1 for r in results if r["status"] == "skipped")
    total_time = sum(float(r.get("wall_seconds") or 0.0) for r in results)
    root = ET.Element("testsuites", name="lambda-harness", tests=str(len(results)), failures=str(failures),
                      errors=str(errors), time=f"{total_time:.3f}")
    node = ET.SubElement(root, "testsuite", name=suite, tests=str(len(results)), failures=str(failures),
                         errors=str(errors), skipped=str(skipped), time=f"{total_time:.3f}")
    for result in results:
        file = str(result.get("file", ""))
        classname = file.rsplit(".", 1)[0].replace("/", ".").replace("\\", ".").lstrip(".")
        case = ET.SubElement(node, "testcase", classname=classname, name=str(result.get("name", file)),
                             file=file, time=f"{float(result.get('wall_seconds') or 0.0):.3f}")
        properties = ET.SubElement(case, "properties")
        for key in ("seed", "backend", "trace_hash"):
            if result.get(key) is not None:
                ET.SubElement(properties, "property", name=key, value=str(result[key]))
        text = result.get("report") or "\n".join(result.get("failures") or [])
        if result["status"] == "failed":
            first = (result.get("failures") or ["scenario failed"])[0]
            ET.SubElement(case, "failure", message=first[:500], type="ScenarioFailure").text = text
        elif result["status"] == "skipped":
            ET.SubElement(case, "skipped", message=str(result.get("skip_reason") or "skipped")[:500])
        elif result["status"] == "error":
            message = str(result.get("error") or "error").strip().splitlines()
            kind = "ScenarioError" if result.get("load_error") else "RunError"
            ET.SubElement(case, "error", message=(message[-1] if message else "error")[:500], type=kind).text = \
                text or str(result.get("error"))
        if result.get("replay"):
            ET.SubElement(case, "system-out").text = (f"seed {result.get('seed')} trace {result.get('trace_hash')}\n"
                                                      f"replay: {result['replay']}\n")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(results: list[dict], path: Path) -> Path:
    """Write the JUnit XML file (folders created)."""
    return atomic.write_text(path, junit_xml(results))
