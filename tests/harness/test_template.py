"""The SAM template loader: intrinsics, Globals, Parameters, and clear errors with file:line."""
import textwrap

import pytest

from harness import Simulation, TemplateError
from harness.template import load_template


def _write(tmp_path, text, code=True):
    (tmp_path / "src").mkdir(exist_ok=True)
    if code:
        (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_references_resolve_to_real_names_arns_and_urls(sim):
    env = sim.runtime.require("Writer").environment
    assert env["QUEUE_URL"] == sim.queue_url("WorkQueue")
    assert env["QUEUE_URL"].endswith("/123456789012/basic-WorkQueue")
    assert env["TABLE"] == "basic-Table"
    assert env["STAGE"] == "test"  # from Globals, !Ref of a parameter default
    assert sim.runtime.require("AlwaysFails").dead_letter.arn == "arn:aws:sqs:us-east-1:123456789012:test-dlq"
    attributes = sim.client("sqs").get_queue_attributes(QueueUrl=sim.queue_url("WorkQueue"),
                                                         AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "60"
    assert sim.client("dynamodb").describe_table(TableName="basic-Table")["Table"]["TableStatus"] == "ACTIVE"


def test_parameter_overrides_apply_and_are_validated(basic_template):
    with Simulation(basic_template, parameters={"Stage": "prod"}) as sim:
        assert sim.runtime.require("AlwaysFails").name == "prod-always-fails"
    with pytest.raises(TemplateError, match="'qa' is not one of \\['test', 'prod'\\]"):
        load_template(basic_template, {"Stage": "qa"})
    with pytest.raises(TemplateError, match="parameter override 'Stag' is not declared.*did you mean 'Stage'"):
        load_template(basic_template, {"Stag": "prod"})


def test_missing_template_is_one_clear_error(tmp_path):
    with pytest.raises(TemplateError, match="template.yaml: template not found"):
        load_template(tmp_path / "template.yaml")


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = _write(tmp_path, """\
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: [unclosed
        """)
    with pytest.raises(TemplateError, match=r"template.yaml:\d+: malformed YAML"):
        load_template(path)


def test_unknown_reference_names_file_line_resource_and_suggestion(tmp_path):
    path = _write(tmp_path, """\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Queue:
            Type: AWS::SQS::Queue
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              CodeUri: src/
              Environment:
                Variables:
                  URL: !Ref Queu
        """)
    with pytest.raises(TemplateError) as error:
        load_template(path)
    assert str(error.value) == (f"{path}:12: resource 'Fn' refers to 'Queu', which is not a resource or parameter "
                                f"of this template (did you mean 'Queue'?)")


def test_getatt_of_unknown_attribute_is_an_error_at_deploy(tmp_path):
    path = _write(tmp_path, """\
        Resources:
          Queue:
            Type: AWS::SQS::Queue
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              CodeUri: src/
              Environment: {Variables: {ARN: !GetAtt Queue.Arnn}}
        """)
    with pytest.raises(TemplateError, match="!GetAtt Queue.Arnn: unknown attribute 'Arnn' \\(did you mean 'Arn'\\?\\)"):
        Simulation(path).start()


def test_function_without_handler_and_missing_code_folder_are_errors(tmp_path):
    path = _write(tmp_path, """\
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src/}
        """)
    with pytest.raises(TemplateError, match=":2: function 'Fn' has no 'Handler'"):
        load_template(path)
    path = _write(tmp_path, """\
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: nowhere/, Handler: app.handler}
        """)
    with pytest.raises(TemplateError, match="CodeUri 'nowhere/' is not a folder"):
        Simulation(path).start()


def test_unsupported_properties_resources_and_events_are_reported(tmp_path):
    path = _write(tmp_path, """\
        Resources:
          Broker:
            Type: AWS::AmazonMQ::Broker
          Queue:
            Type: AWS::SQS::Queue
            Properties: {FancyFeature: true}
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              CodeUri: src/
              Layers: [arn:aws:lambda:us-east-1:123456789012:layer:x:1]
              Events:
                Mq: {Type: MQ, Properties: {Broker: !GetAtt Broker.Arn}}
        """)
    warnings = "\n".join(load_template(path).warnings)
    assert "'Broker' of type AWS::AmazonMQ::Broker is not emulated" in warnings
    assert "Queue.FancyFeature is not emulated" in warnings
    assert "function 'Fn': layer 'arn:aws:lambda:us-east-1:123456789012:layer:x:1' is not a LayerVersion" in warnings
    assert "event 'Mq' of type 'MQ' is not supported by the harness yet" in warnings


def test_sub_join_select_and_conditions(tmp_path):
    path = _write(tmp_path, """\
        Parameters:
          Env: {Type: String, Default: dev}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              CodeUri: src/
              Environment:
                Variables:
                  A: !Sub "${Env}-${AWS::Region}-${!Literal}"
                  B: !Join ["/", [x, !Ref Env]]
                  C: !Select [1, [p, q]]
                  D: !If [IsProd, big, small]
                  E: !Sub ["${X}-y", {X: !Ref AWS::AccountId}]
        """)
    with Simulation(path) as sim:
        env = sim.runtime.require("Fn").environment
    assert env == {"A": "dev-us-east-1-${Literal}", "B": "x/dev", "C": "q", "D": "small", "E": "123456789012-y"}


CACHED = """
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: %s}
"""


def test_a_template_rewritten_with_the_same_size_is_read_again(tmp_path):
    path = _write(tmp_path, CACHED % "aaaa")
    assert load_template(path).resources["Queue"].properties["QueueName"] == "aaaa"
    path.write_text(textwrap.dedent(CACHED % "bbbb"))  # same size, and likely the same file-time tick
    assert load_template(path).resources["Queue"].properties["QueueName"] == "bbbb"


def test_what_one_caller_changes_in_its_template_never_reaches_the_next_load(tmp_path):
    path = _write(tmp_path, CACHED % "q")
    first = load_template(path)
    first.warnings.append("added at deploy time")
    first.resources["Queue"].properties["QueueName"] = "changed"
    second = load_template(path)
    assert second.warnings == [] and second.resources["Queue"].properties["QueueName"] == "q"


def test_parameters_and_stack_name_give_their_own_template(basic_template):
    assert load_template(basic_template, {"Stage": "prod"}).parameters["Stage"] == "prod"
    assert load_template(basic_template).parameters["Stage"] == "test"
    assert load_template(basic_template, stack_name="other").stack_name == "other"


def test_an_included_snippet_that_changes_is_read_again(tmp_path):
    (tmp_path / "snippet.yaml").write_text("Type: AWS::SQS::Queue\nProperties: {QueueName: one}\n")
    path = _write(tmp_path, """
        Resources:
          Queue:
            Fn::Transform: {Name: AWS::Include, Parameters: {Location: snippet.yaml}}
        """)
    assert load_template(path).resources["Queue"].properties["QueueName"] == "one"
    (tmp_path / "snippet.yaml").write_text("Type: AWS::SQS::Queue\nProperties: {QueueName: two}\n")
    assert load_template(path).resources["Queue"].properties["QueueName"] == "two"


def test_the_same_relative_path_from_another_working_folder_is_that_folders_template(tmp_path, monkeypatch):
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        _write(tmp_path / name, CACHED % name, code=False)
    for name in ("one", "two", "one"):
        monkeypatch.chdir(tmp_path / name)
        assert load_template("template.yaml").resources["Queue"].properties["QueueName"] == name
