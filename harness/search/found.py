"""Writing a found failure as a scenario: the original file with the failing seed and fault plan, the
expectations chaos judged, and a header with what failed and the replay command."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FOLDER = Path("scenarios/found")


def found_path(folder: Path, scenario_file: str, faults: list[dict], seed: int) -> Path:
    """`<folder>/<scenario stem>-<plan hash>.yaml` (the same failure, the same file)."""
    digest = hashlib.sha256(json.dumps([faults, seed], sort_keys=True).encode()).hexdigest()[:8]
    path = Path(scenario_file)
    stem = path.parent.name if path.stem in ("scenario", "index", "main") else path.stem  # a generic file name
    return folder / f"{stem}-{digest}.yaml"


def write_found(scenario: Any, faults: list[dict], seed: int, failed: list[str], folder: Path,
                always: frozenset[int] | None) -> Path:
    """Write the reproducing scenario; returns its path."""
    from harness.scenario.source import read
    data = read(scenario.file).data
    path = found_path(folder, scenario.file, faults, seed)
    data["name"] = f"{data.get('name', Path(scenario.file).stem)} [found by chaos]"
    data["description"] = (f"Found by `python -m harness chaos {scenario.file}`: fails "
                           f"{'; '.join(failed)[:400]}. Original description: {data.get('description', '')}")
    data["seed"], data["faults"] = seed, faults
    system = str(data.get("system", ""))
    if system.endswith((".yaml", ".yml")) or "/" in system:  # a template path: keep it pointing at the template
        data["system"] = os.path.relpath(Path(scenario.template).resolve(), folder.resolve())
    if always is not None:
        data["expect"] = [e for i, e in enumerate(data.get("expect") or []) if i in always]
        if not data["expect"]:
            data.pop("expect")
    data.pop("explore", None)
    folder.mkdir(parents=True, exist_ok=True)
    header = "\n".join(f"# {line}" for line in [
        "Found by chaos search: a minimal fault plan and seed under which this scenario fails.",
        *[f"fails: {line[:200]}" for line in failed],
        f"replay: python -m harness replay {path}"])
    path.write_text(header + "\n" + yaml.safe_dump(data, sort_keys=False, width=110, allow_unicode=True),
                    encoding="utf-8")
    return path
