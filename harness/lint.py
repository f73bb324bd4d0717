"""`python -m harness lint [PATH...]`: validate SAM templates with AWS's SAM transform (aws-sam-translator, see
harness/sam_translate.py) and cfn-lint, and check that the harness reads each template as the transform does
(harness/sam_agreement.py). This is the only place cfn-lint is imported; simulations parse templates with
harness/cfn_yaml.py and do not pay for it.

A PATH is a template, a scenario file or a folder of scenarios (their systems' templates are linted), default
every `handlers/*/template.yaml`. Findings print as `file:line: RULE message`: `SAM` for the transform's errors,
`HARNESS` for a template the harness cannot load, `DIFF` for a point where the harness reads the template
differently from the transform (a harness bug: please report it), cfn-lint's rule ids otherwise. Exit 0 when there
is no error, 1 when there is (`--warnings`: cfn-lint warnings and DIFF findings count too), 2 for a missing path."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.errors import InputError


def add_parser(sub: Any) -> None:
    """Register the `lint` subcommand."""
    p = sub.add_parser("lint", help="validate SAM templates with AWS's SAM transform and cfn-lint (templates, "
                       "scenarios or folders)")
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
        errors, warnings = _sam_findings(template)
        findings = lint_file(template)
        for match in findings:
            (errors if match.rule.id.startswith("E") else warnings).append(
                f"{template}:{match.linenumber}: {match.rule.id} {match.message}")
        bad = errors + (warnings if args.warnings else [])
        failed = failed or bool(bad)
        for line in errors + warnings:
            console.print(line, markup=False)
        console.print(f"{template}: {'FAILED' if bad else 'ok'} ({len(errors) + len(warnings)} finding(s))",
                      markup=False)
    return 1 if failed else 0


def _sam_findings(template: Path) -> tuple[list[str], list[str]]:
    """The SAM transform's errors and the harness's disagreements with it (errors, warnings)."""
    from harness import sam_agreement, sam_translate
    from harness.errors import TemplateError
    from harness.template import load_template
    try:
        problems = sam_translate.problems(template)
        if problems:
            return [f"{template}:{p.line}: SAM {p.message}" for p in problems], []
        loaded = load_template(template)
    except TemplateError as exc:
        return [_tagged(str(exc), "HARNESS")], []
    found = sam_agreement.disagreements(loaded, sam_translate.translate(template))
    return [], [_tagged(line, "DIFF") for line in found]


def _tagged(line: str, rule: str) -> str:
    """`file:line: message` as `file:line: RULE message`."""
    where, _, message = line.partition(": ")
    return f"{where}: {rule} {message}"
