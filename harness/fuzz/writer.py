"""Write a fuzz finding as a scenario that reproduces it: the minimal event inline in an `invoke` step, the seed,
the faults, and a `contract` expectation that fails while the bug is there."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import yaml

from harness.fuzz.engine import Finding
from harness.fuzz.properties import ranges_text
from harness.fuzz.target import FuzzTarget

STEP_ID = "fuzzed"


def scenario_document(target: FuzzTarget, finding: Finding, seed: int, scenario_file: Path,
                      command: str) -> dict:
    """The scenario as a plain mapping (`system` relative to where the file will be)."""
    system = os.path.relpath(target.template, scenario_file.parent.resolve())
    headline = finding.problems[0].split(":")[0][:80]
    document: dict[str, Any] = {
        "name": f"fuzz: {target.function} - {headline}",
        "description": f"Found by `{command}`. The minimal event hypothesis shrank to; it broke the contract: "
                       + "; ".join(finding.problems),
        "system": system,
        "seed": seed,
    }
    if target.parameters:
        document["parameters"] = dict(target.parameters)
    if target.faults:
        document["faults"] = list(target.faults)
    document["steps"] = [{"invoke": {"id": STEP_ID, "function": target.function, "payload": finding.event}}]
    document["expect"] = [{"contract": {"step": STEP_ID, "source": target.source, "errors": target.errors,
                                        "statuses": ranges_text(target.statuses)}}]
    return document


def write_scenario(target: FuzzTarget, finding: Finding, seed: int, out_dir: Path, command: str) -> Path:
    """Write the finding under `out_dir` (named by function and event hash); returns the file. The event is
    inline when YAML reads it back unchanged, else in a JSON `payload_file` beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(json.dumps(finding.event, sort_keys=True, default=str).encode("utf-8", "surrogatepass"))
    stem = f"fuzz_{target.function}_{digest.hexdigest()[:10]}"
    path = out_dir / f"{stem}.yaml"
    document = scenario_document(target, finding, seed, path, command)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
    if not _round_trips(text, finding.event):
        payload = out_dir / f"{stem}.json"
        payload.write_text(json.dumps(finding.event, indent=2), encoding="utf-8")
        document["steps"][0]["invoke"].pop("payload")
        document["steps"][0]["invoke"]["payload_file"] = payload.name
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(text, encoding="utf-8")
    return path


def _round_trips(text: str, event: Any) -> bool:
    try:
        loaded = yaml.safe_load(text)
        return loaded["steps"][0]["invoke"]["payload"] == event and "\t" not in text
    except Exception:  # noqa: BLE001 - anything YAML cannot carry goes to a JSON file
        return False
