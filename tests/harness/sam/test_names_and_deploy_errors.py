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
                                 "{MACHINE: !GetAtt Machine.Name}}}") + \
        "  Machine:\n    Type: AWS::StepFunctions::StateMachine\n    Properties: {Definition: {}}\n"
    path = _app(tmp_path / "app", resources)
    with pytest.raises(TemplateError, match=r"template.yaml:\d+: !GetAtt Machine.Name: Machine is a "
                                            r"AWS::StepFunctions::StateMachine, which the harness does not emulate"), \
            Simulation(path, seed=1) as sim:
        sim.invoke("Fn", {})


def test_backend_refusal_during_deploy_names_the_resource_and_line(tmp_path):
    path = _app(tmp_path / "app", FUNCTION + "  Bad:\n    Type: AWS::SQS::Queue\n"
                                             "    Properties: {QueueName: 'no spaces allowed'}\n")
    with pytest.raises(TemplateError, match=r"template.yaml:\d+: cannot create Bad \(AWS::SQS::Queue\): the "
                                            r"backend refused it: "), Simulation(path, seed=1):
        pass


def test_sam_support_page_is_generated_from_the_registries_and_current():
    from pathlib import Path

    from harness.sam_support import render
    page = Path(__file__).resolve().parents[3] / "docs" / "sam-support.md"
    assert page.read_text(encoding="utf-8") == render(), \
        "docs/sam-support.md is stale: python -m harness.sam_support > docs/sam-support.md"
    assert "| `AWS::Serverless::SimpleTable` | emulated |" in render()
    assert "| `HttpApi` | emulated |" in render()


def test_dropped_api_features_and_unknown_event_properties_are_warned_with_their_line(tmp_path):
    resources = FUNCTION.replace("Handler: app.handler}", """Handler: app.handler,
                  Events: {Get: {Type: Api, Properties: {Path: /x, Method: get, RestApiId: !Ref Api,
                                                         RequestParameters: [method.request.header.X]}}}}""")
    resources += ("  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n"
                  "      Auth: {DefaultAuthorizer: Pool, Authorizers: {Pool: {UserPoolArn: x}}}\n      Cors: \"'*'\"\n")
    warnings = load_template(_app(tmp_path / "app", resources)).warnings
    assert any("event 'Get' (Api): RequestParameters is not emulated by the harness" in w for w in warnings)
    assert any(w.endswith("Api.Auth.Authorizers.Pool is not a Lambda authorizer (Cognito, JWT or IAM): the harness "
                          "does not emulate it, so routes it protects are not checked") for w in warnings)
    assert any(w.endswith("Api.Cors is not emulated by the harness (ignored)") for w in warnings)
    assert all(":" in w.split(" ")[0] for w in warnings)  # each starts with file:line
