"""`harness lint`: cfn-lint's findings with file:line, exit 1 on errors, 2 for a missing path."""
from harness.cli import main

BAD = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeoutSeconds: 30
"""


def test_a_template_with_an_unknown_property_fails_with_its_line(tmp_path, capsys):
    template = tmp_path / "template.yaml"
    template.write_text(BAD, encoding="utf-8")
    assert main(["lint", str(template)]) == 1
    out = capsys.readouterr().out
    assert f"{template}:6: E3002" in out and "FAILED" in out


def test_the_repository_templates_lint_clean(capsys):
    assert main(["lint", "handlers/messages/template.yaml"]) == 0
    assert "ok (0 finding(s))" in capsys.readouterr().out


def test_a_missing_path_is_bad_input(tmp_path, capsys):
    assert main(["lint", str(tmp_path / "nope.yaml")]) == 2
