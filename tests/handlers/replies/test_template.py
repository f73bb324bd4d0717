"""template.yaml: deployable as-is, consistent with the code it configures, and clean under cfn-lint."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

FUNCTIONS = {
    "WebhookHandlerFunction": "replies_engine.webhook_handler.app",
    "BatchProcessorFunction": "replies_engine.batch_processor.app",
    "ReplySenderFunction": "replies_engine.reply_sender.app",
    "StalledResetFunction": "replies_engine.stalled_reset.app",
}


def _resources(template, kind):
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def _env(template, function):
    merged = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    merged.update(template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {}))
    return merged


def test_template_is_clean_under_cfn_lint(h):
    from cfnlint.api import lint_file

    assert [str(match) for match in lint_file(Path(h.TEMPLATE_PATH))] == []


def test_sam_transform_runtime_and_parameters_with_defaults(template):
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["Globals"]["Function"]["Runtime"] == "python3.11"
    assert all("Default" in spec for spec in template["Parameters"].values())


def test_only_resource_types_the_harness_loads(template):
    allowed = {"AWS::Serverless::Function", "AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::SecretsManager::Secret",
               "AWS::CloudWatch::Alarm", "AWS::Serverless::Api"}
    assert {res["Type"] for res in template["Resources"].values()} <= allowed


@pytest.mark.parametrize("function, module", FUNCTIONS.items())
def test_each_function_handler_resolves_inside_its_code_uri(template, h, loaded, function, module):
    props = template["Resources"][function]["Properties"]
    code_uri = props.get("CodeUri", template["Globals"]["Function"]["CodeUri"])
    assert (h.TEMPLATE_PATH.parent / code_uri).resolve() == h.CODE_DIR.resolve()
    assert props["Handler"] == f"{module}.lambda_handler"
    assert callable(importlib.import_module(module).lambda_handler)
    assert re.fullmatch(r"replies-engine-\$\{EnvironmentName\}-[a-z-]+", props["FunctionName"]["Sub"])


@pytest.mark.parametrize(
    "function, variables",
    [
        ("WebhookHandlerFunction", ["CONVERSATIONS_TABLE", "TWILIO_SECRET_NAME", "WHATSAPP_QUEUE_URL", "SMS_QUEUE_URL",
                                    "EMAIL_QUEUE_URL", "HANDOFF_QUEUE_URL", "BATCH_DELAY_SECONDS"]),
        ("BatchProcessorFunction", ["CONVERSATIONS_TABLE", "AI_QUEUE_URL", "BATCH_DLQ_URL", "MAX_REQUEUE_ATTEMPTS",
                                    "REQUEUE_DELAY_INCREMENT_SECONDS", "BATCH_DELAY_SECONDS"]),
        ("ReplySenderFunction", ["CONVERSATIONS_TABLE", "TWILIO_SECRET_NAME", "TWILIO_MAX_ATTEMPTS"]),
        ("StalledResetFunction", ["CONVERSATIONS_TABLE", "LOCK_TIMEOUT_SECONDS"]),
    ],
)
def test_functions_get_the_configuration_their_code_reads(template, function, variables):
    env = _env(template, function)
    assert [name for name in variables if name not in env] == []
    for name in variables:
        source = Path(importlib.util.find_spec(FUNCTIONS[function]).origin).parent.parent
        assert any(name in path.read_text() for path in source.rglob("*.py")), name


def test_table_gsis_match_the_code(template, mod):
    validation = mod("webhook_handler.core.validation")
    stalled = mod("stalled_reset.app")
    table = template["Resources"]["ConversationsTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "conversation_id", "KeyType": "HASH"}]
    indexes = {gsi["IndexName"]: [key["AttributeName"] for key in gsi["KeySchema"]]
               for gsi in table["GlobalSecondaryIndexes"]}
    for gsi in validation.GSI_CONFIG.values():
        assert indexes[gsi.index_name] == [gsi.company_key, gsi.recipient_key]
    assert indexes[stalled.STATUS_INDEX] == ["conversation_status", "processing_started_at"]


def test_batch_queues_trigger_the_batch_processor_with_partial_failures_and_redrive(template):
    events = template["Resources"]["BatchProcessorFunction"]["Properties"]["Events"]
    queues = {event["Properties"]["Queue"]["GetAtt"].split(".")[0] for event in events.values()}
    assert queues == {"WhatsAppQueue", "SmsQueue", "EmailQueue"}
    for event in events.values():
        assert event["Type"] == "SQS"
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    for queue in queues:
        props = template["Resources"][queue]["Properties"]
        assert props["RedrivePolicy"]["deadLetterTargetArn"] == {"GetAtt": "BatchDeadLetterQueue.Arn"}
        assert props["DelaySeconds"] == {"Ref": "BatchDelaySeconds"}
    assert 10 <= template["Parameters"]["BatchDelaySeconds"]["Default"] <= 20


def test_reply_queue_has_a_dlq_and_triggers_the_sender(template):
    event = template["Resources"]["ReplySenderFunction"]["Properties"]["Events"]["AiReplies"]
    assert event["Properties"]["Queue"] == {"GetAtt": "AiReplyQueue.Arn"}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert template["Resources"]["AiReplyQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "GetAtt": "ReplyDeadLetterQueue.Arn"}


def test_webhook_paths_and_schedule(template):
    events = template["Resources"]["WebhookHandlerFunction"]["Properties"]["Events"]
    assert sorted((e["Properties"]["Path"], e["Properties"]["Method"]) for e in events.values()) == [
        ("/email", "post"), ("/sms", "post"), ("/whatsapp", "post")]
    assert all(e["Properties"]["RestApiId"] == {"Ref": "RepliesApi"} for e in events.values())
    schedule = template["Resources"]["StalledResetFunction"]["Properties"]["Events"]["EveryFiveMinutes"]
    assert schedule["Properties"]["Schedule"] == "rate(5 minutes)"


def test_twilio_webhook_urls_carry_the_retry_policy_that_retries_5xx(template):
    outputs = template["Outputs"]
    for channel, key in (("whatsapp", "TwilioWhatsAppWebhookUrl"), ("sms", "TwilioSmsWebhookUrl")):
        url = outputs[key]["Value"]["Sub"]
        path, _, fragment = url.partition("#")
        assert path.endswith(f"/${{EnvironmentName}}/{channel}")
        overrides = dict(pair.split("=") for pair in fragment.split("&"))
        assert overrides == {"rc": "3", "rp": "ct,rt,5xx", "rt": "5000"}


def test_twilio_secret_name(template):
    secret = template["Resources"]["TwilioSecret"]["Properties"]
    assert secret["Name"] == {"Sub": "/replies-engine/${EnvironmentName}/twilio"}
    assert template["Globals"]["Function"]["Environment"]["Variables"]["TWILIO_SECRET_NAME"] == secret["Name"]


def test_alarms_of_section_10(template):
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    for function in FUNCTIONS:
        assert f"{function}ErrorRateAlarm" in alarms
        assert f"{function}ThrottlesAlarm" in alarms
    for queue in ("WhatsAppQueue", "SmsQueue", "EmailQueue"):
        assert alarms[f"{queue}AgeAlarm"]["Properties"]["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert alarms["HighRequeueAlarm"]["Properties"]["MetricName"] == "MessagesRequeued"
    assert alarms["LockTimeoutAlarm"]["Properties"]["MetricName"] == "LockTimeout"
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    for name in ("HighRequeueAlarm", "LockTimeoutAlarm"):  # must match the EMF blobs Powertools emits
        props = alarms[name]["Properties"]
        assert props["Namespace"] == env["POWERTOOLS_METRICS_NAMESPACE"]
        assert props["Dimensions"] == [{"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]}]
    error_rate = alarms["WebhookHandlerFunctionErrorRateAlarm"]["Properties"]
    assert error_rate["Threshold"] == 1 and error_rate["Metrics"][0]["Expression"].startswith("IF(invocations > 0")


def test_active_tracing_on_every_function_and_the_api(template):
    assert template["Globals"]["Function"]["Tracing"] == "Active"
    assert all("Tracing" not in res["Properties"] for res in _resources(template, "AWS::Serverless::Function").values())
    assert template["Resources"]["RepliesApi"]["Properties"]["TracingEnabled"] is True


def test_deployment_parameters_of_the_plan(template):
    params = template["Parameters"]
    assert params["EnvironmentName"]["AllowedValues"] == ["dev", "prod"]
    assert params["LogLevel"]["AllowedValues"] == ["DEBUG", "INFO", "WARNING", "ERROR"]
    assert (params["BatchDelaySeconds"]["MinValue"], params["BatchDelaySeconds"]["MaxValue"]) == (10, 20)
    assert (params["MaxRequeueAttempts"]["MinValue"], params["MaxRequeueAttempts"]["MaxValue"]) == (2, 3)
    assert params["LockTimeoutSeconds"]["Default"] == 300


def _policy_names(template, function):
    return sorted(next(iter(p)) if isinstance(p, dict) and "Statement" not in p else "Statement"
                  for p in template["Resources"][function]["Properties"]["Policies"])


@pytest.mark.parametrize("function, policies", [
    ("WebhookHandlerFunction", ["AWSSecretsManagerGetSecretValuePolicy", "DynamoDBReadPolicy"]
     + ["SQSSendMessagePolicy"] * 4),
    ("BatchProcessorFunction", ["DynamoDBCrudPolicy"] + ["SQSSendMessagePolicy"] * 5 + ["Statement"]),
    ("ReplySenderFunction", ["AWSSecretsManagerGetSecretValuePolicy", "DynamoDBCrudPolicy"]),
    ("StalledResetFunction", ["DynamoDBCrudPolicy"]),
])
def test_each_function_role_grants_only_what_its_code_uses(template, function, policies):
    assert _policy_names(template, function) == policies
