"""Cold-start configuration, explicit botocore retry settings, and the SAM template matching the code."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

SYSTEM = Path(__file__).resolve().parents[3] / "handlers" / "messages"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form tags as {"!Tag": value}."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {f"!{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template():
    return yaml.load((SYSTEM / "template.yaml").read_text(), Loader=_CfnLoader)


def functions(template):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


# ---------------------------------------------------------------- configuration
def test_missing_table_name_fails_the_cold_start_loudly(world):
    world.monkeypatch.delenv("MESSAGES_TABLE_NAME")

    with pytest.raises(RuntimeError, match="environment variable MESSAGES_TABLE_NAME must be set"):
        world.post()


def test_missing_queue_url_fails_the_cold_start_loudly(world):
    world.monkeypatch.setenv("OUTBOUND_QUEUE_URL", "  ")

    with pytest.raises(RuntimeError, match="environment variable OUTBOUND_QUEUE_URL must be set"):
        world.post()


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("SQS_MAX_ATTEMPTS", "three", "SQS_MAX_ATTEMPTS must be an integer, got 'three'"),
    ("SQS_MAX_ATTEMPTS", "0", "SQS_MAX_ATTEMPTS must be between 1 and 10, got 0"),
    ("MAX_CONTENT_BYTES", "300000", "MAX_CONTENT_BYTES must be between 1 and 200000, got 300000"),
])
def test_malformed_numbers_fail_the_cold_start_with_the_variable_named(world, variable, value, message):
    world.monkeypatch.setenv(variable, value)

    with pytest.raises(RuntimeError, match=re.escape(message)):
        world.post()


def test_reconciler_threshold_below_one_minute_is_refused(world):
    world.monkeypatch.setenv("STUCK_THRESHOLD_SECONDS", "30")

    with pytest.raises(RuntimeError, match="STUCK_THRESHOLD_SECONDS must be between 60 and 86400, got 30"):
        world.reconciler()


def test_clients_set_standard_retry_mode_and_timeouts_explicitly(world):
    world.monkeypatch.setenv("AWS_READ_TIMEOUT_SECONDS", "4")
    handler = world.post()

    for client in (handler.sqs, handler.dynamodb):
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}
        assert client.meta.config.connect_timeout == 2 and client.meta.config.read_timeout == 4


def test_content_limit_follows_the_environment(world, context, make_event):
    world.monkeypatch.setenv("MAX_CONTENT_BYTES", "10")
    handler = world.post()

    assert handler.lambda_handler(make_event({"recipient": "+1", "content": "x" * 10}), context)["statusCode"] == 202
    assert handler.lambda_handler(make_event({"recipient": "+1", "content": "x" * 11}), context)["statusCode"] == 400


def test_timestamps_are_fixed_width_utc_and_round_trip(import_src):
    from datetime import datetime, timedelta, timezone
    clock = import_src("message_api.clock")
    moment = datetime(2030, 1, 1, 13, 0, 0, 5000, tzinfo=timezone(timedelta(hours=1)))

    text = clock.to_iso(moment)

    assert text == "2030-01-01T12:00:00.005Z"
    assert clock.from_iso(text) == moment


# ---------------------------------------------------------------- template
def test_template_is_a_python311_sam_template(template):
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["Globals"]["Function"]["Runtime"] == "python3.11"
    assert all("Default" in p for p in template["Parameters"].values())


def test_every_function_handler_is_a_module_of_its_code_uri(world, template):
    for name, resource in functions(template).items():
        code_uri = resource["Properties"].get("CodeUri", template["Globals"]["Function"]["CodeUri"])
        module, attribute = resource["Properties"]["Handler"].rsplit(".", 1)
        assert (SYSTEM / code_uri / f"{module.replace('.', '/')}.py").is_file(), name
        assert callable(getattr(world.load(module), attribute)), name
        assert "!Sub" in resource["Properties"]["FunctionName"], name


def test_api_function_serves_post_messages_and_reconciler_runs_on_a_schedule(template):
    post = template["Resources"]["PostMessageFunction"]["Properties"]
    [api] = post["Events"].values()
    assert api["Type"] == "Api"
    assert (api["Properties"]["Path"], api["Properties"]["Method"]) == ("/messages", "post")
    reconciler = template["Resources"]["ReconcileQueuedFunction"]["Properties"]
    [schedule] = reconciler["Events"].values()
    assert schedule["Type"] == "Schedule" and schedule["Properties"]["Enabled"] is True


def test_reconciler_threshold_exceeds_the_api_timeout_and_its_margin_fits_its_own(template):
    post = template["Resources"]["PostMessageFunction"]["Properties"]
    reconciler = template["Resources"]["ReconcileQueuedFunction"]["Properties"]
    threshold = template["Parameters"]["StuckThresholdSeconds"]
    assert threshold["MinValue"] > post["Timeout"] and threshold["Default"] > post["Timeout"]
    assert post["Timeout"] < 29  # API Gateway's integration timeout
    margin_ms = int(reconciler["Environment"]["Variables"]["RECONCILER_SAFETY_MARGIN_MS"])
    assert margin_ms < reconciler["Timeout"] * 1000


def test_table_index_matches_what_the_reconciler_reads(import_src, template):
    store = import_src("message_api.store")
    [index] = template["Resources"]["MessagesTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert index["IndexName"] == store.AWAITING_CONFIRMATION_INDEX
    assert index["KeySchema"] == [{"AttributeName": "awaitingConfirmationSince", "KeyType": "HASH"}]
    assert set(index["Projection"]["NonKeyAttributes"]) == {"sendAttemptId", "sendCorrelationId"}


def test_queue_is_fifo_so_the_message_id_deduplicates_lost_responses(template):
    queue = template["Resources"]["OutboundQueue"]["Properties"]
    assert queue["FifoQueue"] is True and queue["ContentBasedDeduplication"] is False
    assert queue["QueueName"]["!Sub"].endswith(".fifo")
    assert template["Resources"]["PostMessageFunction"]["Properties"]["Environment"]["Variables"][
        "OUTBOUND_QUEUE_URL"] == {"!Ref": "OutboundQueue"}


def test_alarms_watch_metrics_the_code_emits_in_its_namespace(template):
    source = "".join(p.read_text() for p in (SYSTEM / "src").rglob("*.py"))
    emitted = set(re.findall(r'"([A-Z][A-Za-z]+)"', source))  # quoted metric names
    namespace = template["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    alarms = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    custom = [a for a in alarms if a["Namespace"] != "AWS/Lambda"]
    assert {a["MetricName"] for a in custom} == {"RollbackFailed", "SendFailedPermanent", "OrphansRolledBack"}
    for alarm in custom:
        assert alarm["Namespace"] == namespace and alarm["MetricName"] in emitted
        assert alarm["Dimensions"] == [{"Name": "service", "Value": {"!Ref": "NamePrefix"}}]
