"""The GitHub Actions gate runs what `.ci/run` runs: every make target of .ci/run is a step of ci.yml."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]


def make_targets(text: str) -> list[str]:
    """`make X` commands of a script or workflow, in order (comments ignored)."""
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    return re.findall(r"\bmake ([a-z][a-z-]*)", "\n".join(lines))


def test_the_workflow_runs_every_make_target_of_ci_run():
    ci_run = make_targets((ROOT / ".ci" / "run").read_text())
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    steps = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert {"lint", "test", "test-localstack"} <= set(ci_run)
    assert sorted(make_targets("\n".join(steps))) == sorted(ci_run)


def test_the_workflow_gates_pushes_and_pull_requests_on_python_311():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as True
    assert "pull_request" in triggers and "push" in triggers
    for job in workflow["jobs"].values():
        setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
        assert setup["with"]["python-version"] == "3.11"
