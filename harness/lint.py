"""`python -m harness lint [PATH...]`: validate SAM templates with cfn-lint (the only place cfn-lint is imported;
simulations parse templates with harness/cfn_yaml.py and do not pay for it).

A PATH is a template, a scenario file or a folder of scenarios (their systems' templates are linted), default
every `handlers/*/template.yaml`. Exit 0 when cfn-lint reports no error, 1 when it does, 2 for a missing path."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.errors import InputError


def add_parser(sub: Any) -> None:
    """Register the `lint` subcommand."""
    p = sub.add_parser("lint", help="validate SAM templates with cfn-lint (templates, scenarios or folders)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="default: handlers/*/template.yaml")
    p.add_argument("--warnings", action="store_true", help="also fail on cfn-lint warnings")


def templates_of(paths: list[str]) -> list[Path]:
    """The templates the given paths mean (templates as given, scenarios through their `system:`)."""
    if not paths:
        return sorted(Path("handlers").glob("*/template.yaml"))
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder (expected a template, a scenario or a folder)")
        if path.is_file() and _is_template(path):
            found[path] = None
            continue
        from harness.runner.job import load
        from harness.scenario.discover import discover
        for scenario_path in discover([str(path)]):
            scenario = load(scenario_path)
            if not isinstance(scenario, Exception):
                found[Path(scenario.template)] = None
    return list(found)


def _is_template(path: Path) -> bool:
    head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    return "Resources:" in head or "AWSTemplateFormatVersion" in head or "Transform:" in head


def run(args: argparse.Namespace, console: Any) -> int:
    """Lint every template; print each finding as file:line rule message."""
    from cfnlint.api import lint_file
    failed = False
    templates = templates_of(args.paths)
    if not templates:
        raise InputError("nothing to lint: no templates found")
    for template in templates:
        findings = lint_file(template)
        bad = [m for m in findings if m.rule.id.startswith("E") or (args.warnings and m.rule.id.startswith("W"))]
        failed = failed or bool(bad)
        for match in findings:
            console.print(f"{template}:{match.linenumber}: {match.rule.id} {match.message}", markup=False)
        console.print(f"{template}: {'FAILED' if bad else 'ok'} ({len(findings)} finding(s))", markup=False)
    return 1 if failed else 0
