"""Template YAML: read as cfn-lint's decoder reads it (intrinsic short forms, line marks), without cfn-lint."""
from pathlib import Path

import pytest
import yaml

from harness import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p for p in [*ROOT.glob("handlers/*/template.yaml"), *ROOT.glob("tests/**/template.yaml")])


def plain(value):
    """The parsed data without marks (nested dicts, lists, strings)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def marks(value, path=()):
    """(path, line) of every mapping key."""
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((path + (str(key),), key.start_mark.line if hasattr(key, "start_mark") else None))
            out += marks(item, path + (str(key),))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += marks(item, path + (i,))
    return out


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_template_reads_as_cfn_lint_reads_it(template):
    from cfnlint.decode import cfn_yaml as reference
    text = template.read_text(encoding="utf-8")
    ours, theirs = cfn_yaml.loads(text, str(template)), reference.loads(text, str(template))
    assert plain(ours) == plain(theirs)
    assert marks(ours) == marks(theirs)


def test_short_forms_become_intrinsic_functions_with_their_lines():
    data = cfn_yaml.loads("A:\n  B: !GetAtt Queue.Arn\n  C: !Ref Table\n  D: !Sub 'x-${AWS::Region}'\n"
                          "  E: !If [Cond, !Ref X, !GetAtt [Y, Arn]]\n")
    assert data == {"A": {"B": {"Fn::GetAtt": ["Queue", "Arn"]}, "C": {"Ref": "Table"},
                          "D": {"Fn::Sub": "x-${AWS::Region}"},
                          "E": {"Fn::If": ["Cond", {"Ref": "X"}, {"Fn::GetAtt": ["Y", "Arn"]}]}}}
    assert [k.start_mark.line + 1 for k in data["A"]] == [2, 3, 4, 5]


def test_a_duplicate_key_is_an_error_at_its_line():
    with pytest.raises(yaml.YAMLError) as info:
        cfn_yaml.loads("Resources:\n  A: 1\n  A: 2\n")
    assert "duplicate key 'A' (first at line 2)" in str(info.value)
    assert info.value.problem_mark.line + 1 == 3


def test_aliases_that_expand_too_far_are_refused():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(6)]
    with pytest.raises(yaml.YAMLError, match="expand"):
        cfn_yaml.loads("\n".join(lines) + "\n")


@pytest.mark.parametrize("depth", [cfn_yaml.MAX_DEPTH, 200_000])
def test_nesting_too_deep_is_refused_at_its_line_not_a_crash(depth):
    with pytest.raises(yaml.MarkedYAMLError, match="nesting deeper than") as refused:
        cfn_yaml.loads("Resources:\n  A: " + "[" * depth + "]" * depth + "\n")
    assert refused.value.problem_mark.line == 1


def test_nesting_within_the_limit_loads():
    depth = cfn_yaml.MAX_DEPTH - 2
    assert cfn_yaml.loads("Resources:\n  A: " + "[" * depth + "]" * depth + "\n")["Resources"]["A"]


def test_reading_the_same_text_again_gives_an_equal_independent_copy_with_the_same_marks():
    text = "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties: {Tags: [!Ref X]}\n"
    first = cfn_yaml.loads(text)
    first["Resources"]["A"]["Properties"]["Tags"].append("changed")
    second = cfn_yaml.loads(text)
    assert second["Resources"]["A"]["Properties"]["Tags"] == [{"Ref": "X"}]
    assert type(second["Resources"]["A"]) is cfn_yaml.MarkedDict
    assert second["Resources"]["A"].start_mark.line == 2 and second["Resources"]["A"]["Type"].start_mark.line == 2


def test_a_refused_text_is_refused_every_time():
    for _ in range(2):
        with pytest.raises(yaml.YAMLError, match="duplicate key"):
            cfn_yaml.loads("Resources:\n  A: 1\n  A: 2\n")


def test_loading_a_template_does_not_import_cfn_lint():
    import subprocess
    import sys
    code = ("import sys; from harness.template import load_template; "
            f"load_template({str(TEMPLATES[0])!r}); print('cfnlint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"
