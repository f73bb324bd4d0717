"""The harness reads every template of the repository as AWS's SAM transform (aws-sam-translator) does: generated
logical ids, Globals, function properties, event source mappings, rules, schedules, subscriptions, API routes."""
from pathlib import Path

import pytest

from harness import Simulation, sam_agreement, sam_translate
from harness.template import load_template

ROOT = Path(__file__).resolve().parents[3]
SCENARIO_TEMPLATES = [p for p in ROOT.glob("scenarios/**/_fixtures/*.yaml") if "\nResources:" in p.read_text()]
TEMPLATES = sorted([*ROOT.glob("handlers/*/template.yaml"), *ROOT.glob("tests/**/template.yaml"), *SCENARIO_TEMPLATES])


def test_the_repository_has_the_templates_the_issue_names():
    patterns = [p for p in TEMPLATES if "sam/patterns" in str(p)]
    handlers = [p for p in TEMPLATES if p.parts[-3] == "handlers"]
    assert len(patterns) >= 30 and len(handlers) == 4 and len(SCENARIO_TEMPLATES) >= 2
    assert len(TEMPLATES) > len(patterns) + len(handlers) + len(SCENARIO_TEMPLATES)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT).parent))
def test_the_harness_agrees_with_sams_transform(path):
    assert sam_agreement.disagreements(load_template(path), sam_translate.translate(path)) == []


def write(tmp_path, text: str) -> Path:
    """The template, with a no-op handler in src/ (app.handler) for the tests that run it."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return None\n", encoding="utf-8")
    for layer in ("a", "b"):
        (tmp_path / layer).mkdir()
    path = tmp_path / "template.yaml"
    path.write_text('AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\n' + text,
                    encoding="utf-8")
    return path


GLOBALS = """\
Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
    CodeUri: src/
    Timeout: 9
    Layers: [!Ref LayerA]
    Environment: {Variables: {A: "1", B: "2"}}
    EventInvokeConfig: {MaximumRetryAttempts: 1}
Resources:
  LayerA: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: a/}}
  LayerB: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: b/}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 20
      Layers: [!Ref LayerB]
      Environment: {Variables: {B: "3"}}
      EventInvokeConfig: {MaximumEventAgeInSeconds: 60}
"""


def test_globals_merge_as_sam_merges_them_lists_add_up_and_maps_merge_key_by_key(tmp_path):
    path = write(tmp_path, GLOBALS)
    props = load_template(path).functions["Fn"].properties
    assert props["Timeout"] == 20
    assert props["Layers"] == [{"Ref": "LayerA"}, {"Ref": "LayerB"}]
    assert props["Environment"] == {"Variables": {"A": "1", "B": "3"}}
    assert props["EventInvokeConfig"] == {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60}
    assert sam_agreement.disagreements(load_template(path), sam_translate.translate(path)) == []


def test_a_disagreement_is_reported_with_the_line_and_both_readings(tmp_path, monkeypatch):
    path = write(tmp_path, GLOBALS)
    template = load_template(path)
    fn = template.functions["Fn"]
    monkeypatch.setitem(template.functions, "Fn", type(fn)(fn.logical_id, {**fn.properties, "Layers": []},
                                                            fn.events, fn.line))
    (found,) = sam_agreement.disagreements(template, sam_translate.translate(path))
    assert found.startswith(f"{path}:{fn.line}: function 'Fn' Layers: the harness reads []")
    assert "LayerA" in found and "LayerB" in found


def test_implicit_apis_exist_only_when_an_event_creates_them(tmp_path):
    path = write(tmp_path, """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
Outputs:
  Api: {Value: !Ref ServerlessRestApi}
""")
    with pytest.raises(Exception, match="refers to 'ServerlessRestApi', which is not a resource"):
        load_template(path)
    assert "ServerlessRestApi" not in sam_translate.translate(path).resources


def test_a_stage_named_by_a_parameter_has_the_id_sam_gives_it(tmp_path):
    path = write(tmp_path, """\
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: !Ref Stage}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        Get: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /x, Method: get}}
Outputs:
  StageRef: {Value: !Ref ApiStage}
""")
    assert sam_translate.translate(path).resources["ApiStage"]["Type"] == "AWS::ApiGateway::Stage"
    assert sam_agreement.disagreements(load_template(path), sam_translate.translate(path)) == []


def test_a_scheduler_schedule_without_a_name_is_named_as_sam_names_it(tmp_path):
    path = write(tmp_path, """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        Nightly: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 day)}}
""")
    expected = sam_translate.translate(path).properties("FnNightly")["Name"]
    with Simulation(path, seed=1) as sim:
        (schedule,) = [s for e in sim.extensions for s in getattr(e, "sources", ()) if hasattr(s, "expression")]
        assert schedule.name == expected == "FnNightly"
        assert schedule.arn.endswith(":schedule/default/FnNightly")


def test_a_rule_dlq_sam_creates_can_be_referenced_and_is_the_queue_the_rule_uses(tmp_path):
    path = write(tmp_path, """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment: {Variables: {DLQ_URL: !Ref FnOrdersQueue}}
      Events:
        Orders:
          Type: EventBridgeRule
          Properties: {Pattern: {source: [shop]}, DeadLetterConfig: {Type: SQS}}
""")
    assert sam_translate.translate(path).resources["FnOrdersQueue"]["Type"] == "AWS::SQS::Queue"
    assert sam_agreement.disagreements(load_template(path), sam_translate.translate(path)) == []
    with Simulation(path, seed=1) as sim:
        (rule,) = [s.rule for e in sim.extensions for s in getattr(e, "sources", ()) if hasattr(s, "rule")]
        assert rule.targets[0].dlq_arn == sim.resource("FnOrdersQueue")["Arn"]
        assert sim.client("sqs").get_queue_url(QueueName=sim.resource("FnOrdersQueue")["QueueName"])


def test_disabled_rules_schedules_and_mappings_start_disabled_as_sam_writes_them(tmp_path):
    path = write(tmp_path, """\
Resources:
  Q: {Type: AWS::SQS::Queue}
  Topic: {Type: AWS::SNS::Topic}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        A: {Type: Schedule, Properties: {Schedule: "rate(1 day)", Enabled: false}}
        B: {Type: Schedule, Properties: {Schedule: "rate(1 day)", State: DISABLED}}
        D: {Type: ScheduleV2, Properties: {ScheduleExpression: "rate(1 day)", State: DISABLED,
                                           DeadLetterConfig: {Arn: !GetAtt Q.Arn}}}
        E: {Type: EventBridgeRule, Properties: {Pattern: {source: [x]}, State: DISABLED,
                                                DeadLetterConfig: {Arn: !GetAtt Q.Arn}}}
        F: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn, Enabled: false}}
        G: {Type: CloudWatchEvent, Properties: {Pattern: {source: [x]}, Enabled: false}}
        N: {Type: SNS, Properties: {Topic: !Ref Topic, SqsSubscription: true}}
""")
    translation = sam_translate.translate(path)
    assert {translation.properties(f"Fn{e}").get("State", translation.properties(f"Fn{e}").get("Enabled"))
            for e in "ABDEFG"} == {"DISABLED", False}
    assert translation.resources["FnNQueue"]["Type"] == "AWS::SQS::Queue"
    assert translation.properties("FnE")["Targets"][0]["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["Q", "Arn"]}}
    assert sam_agreement.disagreements(load_template(path), translation) == []


# Lambda's defaults for what a mapping leaves out (botocore's CreateEventSourceMapping documentation: BatchSize
# "Kinesis - Default 100", "DynamoDB Streams - Default 100", "SQS - Default 10"; batching window "the default
# batching window is 0 seconds"; MaximumRetryAttempts and MaximumRecordAgeInSeconds "The default value is infinite
# (-1)"; Enabled "Default: True"). SAM writes none of them, so they are the service's, and the harness's.
DOCUMENTED_DEFAULTS = {
    "SQS": {"batch_size": 10, "window": 0, "enabled": True, "report_failures": False},
    "Kinesis": {"batch_size": 100, "window": 0, "max_retries": -1, "max_age": -1, "bisect": False, "enabled": True},
    "DynamoDB": {"batch_size": 100, "window": 0, "max_retries": -1, "max_age": -1, "bisect": False, "enabled": True},
}


def test_mappings_left_to_their_defaults_get_lambdas_documented_defaults(tmp_path):
    path = write(tmp_path, """\
Resources:
  Q: {Type: AWS::SQS::Queue}
  Stream: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        SQS: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}
        Kinesis: {Type: Kinesis, Properties: {Stream: !GetAtt Stream.Arn, StartingPosition: LATEST}}
        DynamoDB: {Type: DynamoDB, Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: LATEST}}
""")
    translation = sam_translate.translate(path)
    for event in DOCUMENTED_DEFAULTS:
        written = set(translation.properties(f"Fn{event}"))
        assert written <= {"EventSourceArn", "FunctionName", "StartingPosition"}, written  # SAM adds no default
    with Simulation(path, seed=1) as sim:
        mappings = {s.spec.type: s for e in sim.extensions for s in getattr(e, "sources", ())
                    if getattr(s, "spec", None) is not None and s.spec.type in DOCUMENTED_DEFAULTS}
        for event, defaults in DOCUMENTED_DEFAULTS.items():
            assert {key: getattr(mappings[event], key) for key in defaults} == defaults, event


def test_a_function_without_a_runtime_is_warned_about_as_aws_refuses_it(tmp_path):
    path = write(tmp_path, """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, CodeUri: src/}
""")
    (warning,) = load_template(path).warnings
    assert warning.startswith(f"{path}:4: function 'Fn' has no Runtime: AWS refuses a zip function")
    assert "Runtime and Handler needs to be present" in str(sam_translate.refusal(path))


def test_globals_of_apis_merge_into_them_and_what_is_not_emulated_is_warned_at_its_line(tmp_path):
    path = write(tmp_path, """\
Globals:
  Api:
    Cors: "'*'"
    Name: shared
  HttpApi:
    CorsConfiguration: {AllowOrigins: ["*"]}
Resources:
  Explicit:
    Type: AWS::Serverless::Api
    Properties: {StageName: v1}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        A: {Type: Api, Properties: {Path: /a, Method: get}}
        B: {Type: Api, Properties: {Path: /b, Method: get, RestApiId: !Ref Explicit}}
        C: {Type: HttpApi, Properties: {Path: /c, Method: get}}
""")
    template = load_template(path)
    assert template.resources["Explicit"].properties == {"Cors": "'*'", "Name": "shared", "StageName": "v1"}
    assert sam_translate.translate(path).properties("Explicit")["Name"] == "shared"
    assert template.warnings == [
        f"{path}:5: Globals.Api.Cors is not emulated by the harness (ignored)",
        f"{path}:8: Globals.HttpApi.CorsConfiguration is not emulated by the harness (ignored)"]
    assert sam_agreement.disagreements(template, sam_translate.translate(path)) == []


def test_globals_api_auth_protects_the_explicit_apis_routes_as_sam_protects_them(tmp_path):
    path = write(tmp_path, """\
Globals:
  Api:
    Auth:
      DefaultAuthorizer: Tok
      Authorizers:
        Tok: {FunctionArn: !GetAtt AuthFn.Arn}
Resources:
  Explicit:
    Type: AWS::Serverless::Api
    Properties: {StageName: v1}
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        B: {Type: Api, Properties: {Path: /b, Method: get, RestApiId: !Ref Explicit}}
        C: {Type: Api, Properties: {Path: /c, Method: get, RestApiId: !Ref Explicit, Auth: {Authorizer: NONE}}}
""")
    (tmp_path / "src" / "app.py").write_text(
        "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n", encoding="utf-8")
    assert sam_agreement.disagreements(load_template(path), sam_translate.translate(path)) == []
    with Simulation(path, seed=1) as sim:
        assert sim.http("GET", "/c").status == 200
        assert sim.http("GET", "/b").status == 401  # the default authorizer's header is missing


def _deployed_table(sim, logical_id):
    table = sim.client("dynamodb").describe_table(TableName=sim.resource(logical_id)["Ref"])["Table"]
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    throughput = {k: table["ProvisionedThroughput"][k] for k in ("ReadCapacityUnits", "WriteCapacityUnits")}
    return table["KeySchema"], table["AttributeDefinitions"], billing, throughput


@pytest.mark.parametrize("primary_key, throughput", [
    (None, None), ("{Name: orderNo, Type: Number}", "{ReadCapacityUnits: 3, WriteCapacityUnits: 4}")])
def test_a_simple_table_is_deployed_as_the_dynamodb_table_sam_expands_it_to(tmp_path, primary_key, throughput):
    props = ", ".join(f"{k}: {v}" for k, v in (("PrimaryKey", primary_key), ("ProvisionedThroughput", throughput))
                      if v) or ""
    path = write(tmp_path, f"Resources:\n  Table:\n    Type: AWS::Serverless::SimpleTable\n"
                           f"    Properties: {{{props}}}\n")
    expected = sam_translate.translate(path).properties("Table")
    with Simulation(path, seed=1) as sim:
        key_schema, attributes, billing, provisioned = _deployed_table(sim, "Table")
    assert key_schema == expected["KeySchema"] and attributes == expected["AttributeDefinitions"]
    assert billing == expected.get("BillingMode", "PROVISIONED")
    if "ProvisionedThroughput" in expected:
        assert provisioned == expected["ProvisionedThroughput"]
