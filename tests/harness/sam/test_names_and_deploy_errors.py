"""Stack and resource names as CloudFormation makes them; deployment and !GetAtt errors that name the resource."""
import pytest

from harness import Simulation, TemplateError
from harness.template import default_physical_name, load_template

FUNCTION = """
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, CodeUri: src/, Handler: app.handler}
"""


def _app(folder, resources):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "src").mkdir(exist_ok=True)
    (folder / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
    (folder / "template.yaml").write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n" + resources)
    return folder / "template.yaml"


def test_folder_with_underscores_gives_a_valid_stack_name_and_bucket_name(tmp_path):
    path = _app(tmp_path / "my_app_v2", FUNCTION + "  Uploads:\n    Type: AWS::S3::Bucket\n")
    assert load_template(path).stack_name == "my-app-v2"
    with Simulation(path, seed=1) as sim:
        assert sim.resource("Uploads")["Ref"] == "my-app-v2-uploads"


def test_folder_starting_with_a_digit_gets_a_stack_prefix(tmp_path):
    path = _app(tmp_path / "2024_release", FUNCTION)
    assert load_template(path).stack_name == "stack-2024-release"


def test_long_folder_name_gives_queue_names_within_sqs_limit(tmp_path):
    path = _app(tmp_path / ("very-long-application-name-" * 4), FUNCTION + "  Q:\n    Type: AWS::SQS::Queue\n")
    with Simulation(path, seed=1) as sim:
        name = sim.resource("Q")["QueueName"]
        assert len(name) <= 80 and name.startswith("very-long-application-name")
        assert len(sim.runtime.functions and next(iter(sim.runtime.functions))) <= 64


def test_invalid_explicit_stack_name_is_refused_with_the_rule(tmp_path):
    path = _app(tmp_path / "app", FUNCTION)
    with pytest.raises(TemplateError, match="stack name 'my_stack' is not valid: CloudFormation accepts"):
        load_template(path, stack_name="my_stack")


def test_default_physical_names_are_cut_to_each_service_limit():
    assert len(default_physical_name("s" * 100, "Fn", "AWS::Serverless::Function")) == 64
    assert default_physical_name("App", "Bucket_1", "AWS::S3::Bucket") == "app-bucket-1"
    assert default_physical_name("app", "Table", "AWS::DynamoDB::Table") == "app-Table"


def test_getatt_on_an_unemulated_resource_names_its_type(tmp_path):
    resources = FUNCTION.replace("Handler: app.handler}", "Handler: app.handler, Environment: {Variables: "
                                 "{ENDPOINT: !GetAtt Stream.StreamEndpoint}}}") + \
        "  Stream:\n    Type: AWS::Kinesis::Stream\n    Properties: {ShardCount: 1}\n"
    path = _app(tmp_path / "app", resources)
    with pytest.raises(TemplateError, match=r"template.yaml:\d+: !GetAtt Stream.StreamEndpoint: Stream is a "
                                            r"AWS::Kinesis::Stream, which the harness does not emulate"), \
            Simulation(path, seed=1) as sim:
        sim.invoke("Fn", {})


def test_backend_refusal_during_deploy_names_the_resource_and_line(tmp_path):
    path = _app(tmp_path / "app", FUNCTION + "  Bad:\n    Type: AWS::SQS::Queue\n"
                                             "    Properties: {QueueName: 'no spaces allowed'}\n")
    with pytest.raises(TemplateError, match=r"template.yaml:\d+: cannot create Bad \(AWS::SQS::Queue\): the "
                                            r"backend refused it: "), Simulation(path, seed=1):
        pass
