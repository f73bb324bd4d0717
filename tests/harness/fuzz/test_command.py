"""`python -m harness fuzz`: it finds the planted parser bug of fixtures/planted_app within its default budget and
writes a scenario that fails on the bug and passes once the bug is fixed."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from harness.cli import main
from harness.fuzz.engine import Finding
from harness.fuzz.target import resolve
from harness.fuzz.writer import write_scenario
from harness.scenario import load_scenario, run_scenario

PLANTED = Path(__file__).parent / "fixtures" / "planted_app"
BUG = 'quantity = int(body.get("quantity", 1))'
FIX = ('quantity = body.get("quantity", 1)\n'
       '    if not isinstance(quantity, int) or isinstance(quantity, bool):\n'
       '        return None, "quantity must be an integer"')


def planted_copy(tmp_path: Path) -> Path:
    app = tmp_path / "planted_app"
    shutil.copytree(PLANTED, app)
    return app


def fix_the_bug(app: Path) -> None:
    source = app / "src" / "app.py"
    text = source.read_text()
    assert BUG in text
    source.write_text(text.replace(BUG, FIX))


def fuzz(app: Path, out: Path, *extra: str) -> int:
    return main(["fuzz", str(app / "template.yaml"), "OrderFunction", "--sample", str(app / "events" / "order.json"),
                 "--out", str(out), *extra])


def test_fuzz_finds_the_planted_bug_and_its_scenario_fails_until_the_bug_is_fixed(tmp_path, capsys):
    app = planted_copy(tmp_path)
    assert fuzz(app, tmp_path / "found") == 1  # default budget, default seed
    output = capsys.readouterr().out
    assert "unhandled ValueError" in output and "reproduces the failure on a fresh simulation" in output
    [written] = sorted((tmp_path / "found").glob("*.yaml"))
    assert f"replay: python -m harness replay {written}" in output.replace("\n", "")

    document = yaml.safe_load(written.read_text())
    assert document["seed"] == 0 and document["steps"][0]["invoke"]["function"] == "OrderFunction"
    assert document["expect"] == [{"contract": {"step": "fuzzed", "source": "api", "errors": False,
                                                "statuses": "100-499"}}]
    assert run_scenario(load_scenario(written)).status == "failed"

    fix_the_bug(app)
    assert run_scenario(load_scenario(written)).status == "passed"
    assert main(["replay", str(written)]) == 0


def test_fuzz_of_a_function_that_keeps_its_contract_exits_0(tmp_path, capsys):
    app = planted_copy(tmp_path)
    fix_the_bug(app)
    assert fuzz(app, tmp_path / "found", "--examples", "40") == 0
    assert "no contract break found" in capsys.readouterr().out
    assert not (tmp_path / "found").exists()


def test_unknown_function_is_bad_input_with_the_known_names(capsys):
    assert main(["fuzz", str(PLANTED / "template.yaml"), "OrderFuction"]) == 2
    assert "unknown function 'OrderFuction'" in capsys.readouterr().out


def test_bad_statuses_are_bad_input(capsys):
    assert main(["fuzz", str(PLANTED / "template.yaml"), "OrderFunction", "--statuses", "200-700"]) == 2
    assert "--statuses '200-700'" in capsys.readouterr().out


def test_the_source_is_inferred_from_the_function_events():
    target = resolve(str(PLANTED / "template.yaml"), "OrderFunction")
    assert (target.source, target.path, target.method) == ("api", "/orders", "POST")


def test_the_minimal_event_is_inline_and_loads_back_unchanged(tmp_path):
    target = resolve(str(PLANTED / "template.yaml"), "OrderFunction")
    event = {"body": "\ud800 lone surrogate \U0001f600 \x00", "n": 1}
    path = write_scenario(target, Finding(event, ["unhandled UnicodeEncodeError: ..."]), 3, tmp_path, "fuzz")
    scenario = load_scenario(path)
    assert scenario.steps[0].payload == event and scenario.model.seed == 3


def test_an_event_yaml_cannot_carry_goes_to_a_json_payload_file(tmp_path):
    target = resolve(str(PLANTED / "template.yaml"), "OrderFunction")
    event = {"body": "next line\x85"}  # YAML reads a trailing NEL back as spaces
    path = write_scenario(target, Finding(event, ["unhandled ValueError: ..."]), 3, tmp_path, "fuzz")
    step = yaml.safe_load(path.read_text())["steps"][0]["invoke"]
    assert step["payload_file"] == path.with_suffix(".json").name
    assert load_scenario(path).model.seed == 3
