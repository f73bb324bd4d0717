"""Planted bugs: a shipped system with one deliberate bug, built where a test (or you) wants it.

Each `tests/planted/<bug>/` holds `bug.yaml` (the system and exact edits to its code) and `scenario.yaml` (passes on
its default seed and faults; the bug shows only under a fault). The copy is made from `handlers/<system>` as it is
now, so a planted bug never runs stale code. Build them all: `python tests/planted/materialize.py /tmp/planted`.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

PLANTED = Path(__file__).resolve().parent
HANDLERS = PLANTED.parents[1] / "handlers"


def bugs() -> list[Path]:
    """The planted bug folders."""
    return sorted(p.parent for p in PLANTED.glob("*/bug.yaml"))


def materialize(bug: Path, into: Path) -> Path:
    """Copy the bug's system into `into/<bug>/`, apply its edits, and return the copied scenario's path."""
    spec = yaml.safe_load((bug / "bug.yaml").read_text(encoding="utf-8"))
    target = into / bug.name
    system = target / spec["system"]
    shutil.copytree(HANDLERS / spec["system"], system, ignore=shutil.ignore_patterns("__pycache__", "*.md"))
    (system / "template.yaml").rename(system / "_template.yaml")  # not one of the repository's templates
    for edit in spec["edits"]:
        path = system / edit["file"]
        text = path.read_text(encoding="utf-8")
        if text.count(edit["old"]) != 1:
            raise ValueError(f"{bug / 'bug.yaml'}: the edit of {edit['file']} no longer applies (its `old` text "
                             f"is found {text.count(edit['old'])} times in handlers/{spec['system']}); update it")
        path.write_text(text.replace(edit["old"], edit["new"]), encoding="utf-8")
    shutil.copy(bug / "scenario.yaml", target / "scenario.yaml")
    return target / "scenario.yaml"


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "planted")
    for folder in bugs():
        print(materialize(folder, out))
