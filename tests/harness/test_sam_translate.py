"""AWS's SAM transform run in process and offline: CloudFormation out, located one-line errors in."""
import pytest

from harness import sam_translate
from harness.errors import TemplateError

HEADER = 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\n'


def line_of(path, text: str) -> int:
    """1-based line of the first line containing text."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def write(tmp_path, body: str):
    path = tmp_path / "template.yaml"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_a_function_expands_to_the_resources_sam_generates(tmp_path):
    path = write(tmp_path, """\
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      AutoPublishAlias: live
      Events:
        Jobs:
          Type: SQS
          Properties: {Queue: !GetAtt Jobs.Arn, BatchSize: 5}
  Jobs:
    Type: AWS::SQS::Queue
""")
    translation = sam_translate.translate(path)
    assert translation.transformed
    assert translation.resources["Worker"]["Type"] == "AWS::Lambda::Function"
    assert translation.resources["WorkerRole"]["Type"] == "AWS::IAM::Role"
    assert translation.resources["WorkerAliaslive"]["Type"] == "AWS::Lambda::Alias"
    assert translation.properties("WorkerJobs")["BatchSize"] == 5
    # local code is packaged as `sam package` would, to a placeholder bucket (nothing is uploaded)
    assert translation.properties("Worker")["Code"]["S3Bucket"] == sam_translate.PLACEHOLDER_BUCKET


def test_a_template_without_the_sam_transform_is_its_own_cloudformation(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n", encoding="utf-8")
    translation = sam_translate.translate(path)
    assert not translation.transformed and translation.resources == {"Q": {"Type": "AWS::SQS::Queue"}}


def test_an_invalid_event_is_one_line_located_at_the_event(tmp_path):
    path = write(tmp_path, """\
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Events:
        Broken:
          Type: SQS
          Properties: {BatchSize: 5}
""")
    with pytest.raises(TemplateError) as caught:
        sam_translate.translate(path)
    message = str(caught.value)
    assert message.startswith(f"{path.resolve()}:{line_of(path, 'Broken:')}: SAM transform: ")
    assert "Missing required property 'Queue'" in message
    assert "\n" not in message


def test_every_error_is_listed_with_its_own_line(tmp_path):
    path = write(tmp_path, """\
Resources:
  One:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.h, Runtime: python3.12, CodeUri: src/, Events: {E: {Type: Nope}}}
  Two:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.h, Runtime: python3.12}
""")
    found = sam_translate.problems(path)
    assert sorted(p.line for p in found) == [line_of(path, "Events: {E:"), line_of(path, "Two:")]
    with pytest.raises(TemplateError, match=r"and 1 more: run `python -m harness lint"):
        sam_translate.translate(path)


def test_an_invalid_globals_section_points_at_globals(tmp_path):
    path = write(tmp_path, """\
Globals:
  Function:
    NotAProperty: 1
Resources:
  Q:
    Type: AWS::SQS::Queue
""")
    found = sam_translate.problems(path)
    assert [p.line for p in found] == [line_of(path, "NotAProperty")] and "NotAProperty" in found[0].message


def test_a_serverless_application_from_the_repository_is_refused_offline(tmp_path):
    path = write(tmp_path, """\
Resources:
  App:
    Type: AWS::Serverless::Application
    Properties:
      Location: {ApplicationId: "arn:aws:serverlessrepo:us-east-1:123456789012:applications/x", SemanticVersion: 1.0.0}
""")
    with pytest.raises(TemplateError, match=rf":{line_of(path, 'App:')}: SAM transform: .*offline"):
        sam_translate.translate(path)


def test_a_simulation_with_validate_refuses_what_the_transform_refuses(tmp_path, monkeypatch):
    from harness import Simulation
    path = write(tmp_path, """\
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.12, CodeUri: src/, Bogus: 1}
""")
    with pytest.raises(TemplateError, match=rf":{line_of(path, 'Bogus')}: SAM transform: .*Bogus"):
        Simulation(path, validate=True)
    monkeypatch.setenv("HARNESS_VALIDATE", "1")
    with pytest.raises(TemplateError, match="SAM transform"):
        Simulation(path)


ODD = {
    "a resource that is not a mapping": "Resources:\n  A: 5\n",
    "events as a list": "Resources:\n  A: {Type: AWS::Serverless::Function, Properties: {Handler: a.b, "
                        "Runtime: python3.12, CodeUri: s/, Events: [1, 2]}}\n",
    "properties as a string": "Resources:\n  A: {Type: AWS::Serverless::Function, Properties: hello}\n",
    "globals as a list": "Globals: [1]\nResources:\n  A: {Type: AWS::SQS::Queue}\n",
    "a mistyped event property": "Resources:\n  A: {Type: AWS::Serverless::Function, Properties: {Handler: a.b, "
                                 "Runtime: python3.12, CodeUri: s/, Events: {E: {Type: SQS, Properties: "
                                 "{Queue: 3, BatchSize: x}}}}}\n",
    "a stage name that is a list": "Resources:\n  A: {Type: AWS::Serverless::Api, Properties: {StageName: [1]}}\n",
}


@pytest.mark.parametrize("body", ODD.values(), ids=ODD.keys())
def test_odd_templates_get_one_located_line_never_a_traceback(tmp_path, body):
    path = write(tmp_path, body)
    with pytest.raises(TemplateError) as caught:
        sam_translate.translate(path)
    message = str(caught.value)
    assert message.startswith(f"{path.resolve()}:") and "\n" not in message
    assert int(message[len(str(path.resolve())) + 1:].split(":")[0]) > 2  # a line of the body, not the header


def test_serverless_resources_without_the_transform_are_refused_as_cloudformation_refuses_them(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  Q: {Type: AWS::SQS::Queue}\n  Fn:\n    Type: AWS::Serverless::Function\n"
                    "    Properties: {Handler: app.handler, Runtime: python3.12, CodeUri: src/}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r":3: SAM transform: Fn is an AWS::Serverless::Function, which "
                                            r"CloudFormation only accepts in a template with `Transform: "):
        sam_translate.translate(path)
