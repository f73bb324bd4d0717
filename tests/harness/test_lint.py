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


SAM_BAD = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Events:
        Jobs:
          Type: SQS
          Properties: {BatchSize: 5}
"""


def test_the_sam_transforms_errors_fail_lint_with_their_line(tmp_path, capsys):
    template = tmp_path / "template.yaml"
    template.write_text(SAM_BAD, encoding="utf-8")
    assert main(["lint", str(template)]) == 1
    out = capsys.readouterr().out
    assert f"{template}:11: SAM Resource with id [WorkerJobs] is invalid. Missing required property 'Queue'." in out


def test_a_disagreement_between_the_harness_and_the_transform_is_a_diff_warning(tmp_path, capsys, monkeypatch):
    from harness import sam_agreement
    template = tmp_path / "template.yaml"
    template.write_text(SAM_BAD.replace("{BatchSize: 5}", "{Queue: !GetAtt Jobs.Arn, BatchSize: 5}")
                        + "  Jobs:\n    Type: AWS::SQS::Queue\n", encoding="utf-8")
    assert main(["lint", str(template)]) == 0
    monkeypatch.setattr(sam_agreement, "CHECKS", (lambda t, tr, names: iter([(12, "made up")]),))
    assert main(["lint", str(template)]) == 0
    assert main(["lint", "--warnings", str(template)]) == 1
    assert f"{template}:12: DIFF made up" in capsys.readouterr().out


def test_a_template_the_harness_cannot_read_is_a_located_error(tmp_path, capsys):
    template = tmp_path / "template.yaml"
    template.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  Q: {Type: AWS::SQS::Queue}\n",
                        encoding="utf-8")
    assert main(["lint", str(template)]) == 1
    assert f"{template}:4" in capsys.readouterr().out
