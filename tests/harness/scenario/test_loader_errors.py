"""The loader's error messages, on a corpus of broken scenario files (tests/harness/scenario/broken/).

Each corpus file starts with `# expect: LINE:COLUMN PATH: MESSAGE` - the problem the loader must report: the
file, the exact position, the field path and what was expected (with the closest valid name for a typo).
"""
import re
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.scenario import ScenarioError, load_scenario

BROKEN = Path(__file__).parent / "broken"
CORPUS = sorted(BROKEN.glob("*.yaml"))
HEADER = re.compile(r"^# expect: (\d+):(\d+) (\S*)\s*: (.*)$")


def expected_problem(path: Path) -> tuple[int, int, str, str]:
    match = HEADER.match(path.read_bytes().split(b"\n", 1)[0].decode("utf-8"))  # some files are not UTF-8
    assert match, f"{path.name} must start with '# expect: LINE:COL PATH: MESSAGE'"
    return int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)


def test_corpus_has_at_least_fifty_broken_files():
    assert len(CORPUS) >= 50


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_broken_file_reports_file_line_column_path_and_expectation(path):
    line, column, field_path, message = expected_problem(path)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problems = caught.value.problems
    located = [p for p in problems if (p.line, p.column, p.path) == (line, column, field_path)]
    assert located, f"no problem at {line}:{column} {field_path!r}; got:\n{caught.value}"
    assert any(message in p.message for p in located), f"{message!r} not in:\n{caught.value}"
    assert f"{path}:{line}:{column}: " in str(caught.value)


def test_scenario_error_is_input_error_so_the_cli_exits_2():
    with pytest.raises(InputError):
        load_scenario(BROKEN / "unknown_function.yaml")


def test_every_problem_in_a_file_is_reported_at_once(write_scenario):
    path = write_scenario("""
        name: three mistakes
        seed: x
        steps:
          - invoke: {function: Nope}
          - advance: soon
        """)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    paths = [p.path for p in caught.value.problems]
    assert paths == ["seed", "steps[0].invoke.function", "steps[1].advance"]


def test_missing_file_is_a_located_problem_not_a_traceback(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_empty_file_says_what_was_expected(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ScenarioError, match="the file is empty"):
        load_scenario(path)


def test_typo_of_a_required_key_is_not_also_reported_missing(write_scenario):
    path = write_scenario("""
        nme: typo
        steps: [{advance: 1}]
        """)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [p.message.split(";")[0] for p in caught.value.problems] == ["unknown key 'nme' (did you mean 'name'?)"]


def test_fault_rule_function_must_exist_in_the_template(write_scenario):
    path = write_scenario("""
        name: fault on an unknown function
        faults:
          - id: boom
            match: {service: dynamodb, operation: PutItem, function: PlaceOrdr}
            effect: {type: aws_error, code: ThrottlingException}
        steps: [{advance: 1}]
        """)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert any(p.path == "faults[0].match.function" and "did you mean 'PlaceOrder'" in p.message
               for p in caught.value.problems), str(caught.value)


def test_mid_run_assert_may_not_refer_to_a_later_step(write_scenario):
    path = write_scenario("""
        name: assert before the step it checks
        steps:
          - assert: [{http: {step: later, status: 201}}]
          - invoke: {function: PlaceOrder, payload: {orderId: o1}, id: later}
        """)
    with pytest.raises(ScenarioError, match=r"steps\[0\]\.assert\[0\]\.http\.step: step 'later' runs after"):
        load_scenario(path)
