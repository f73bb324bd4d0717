"""Event fidelity: every event the harness delivers has the shape of AWS's documented sample for that source
(same keys at every level, same JSON types; values differ). Samples: tests/harness/sam/fidelity/samples/."""
import json
import re
from pathlib import Path

import pytest

from harness import Simulation

FIDELITY = Path(__file__).parent / "fidelity"
SAMPLES = FIDELITY / "samples"
KNOWN_DIFFERENCES: dict[str, str] = {}  # sample stem -> the exact difference (an xfail(strict=True) case)


def json_type(value):
    """The JSON type name of a decoded value (int and float are both 'number')."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def shape_differences(expected, actual, rules, path=""):
    """Every place where `actual` differs from `expected` in keys or JSON types, as `path: what` lines."""
    rule_path = re.sub(r"\[\d+\]", "", path)
    if rule_path in rules.get("_opaque", {}):
        return []
    if rule_path in rules.get("_types", {}):  # the sample shows a placeholder (null); the type is stated
        expected_type = rules["_types"][rule_path].split(":")[0]
        return [] if json_type(actual) == expected_type else [f"{path}: expected {expected_type}, got {json_type(actual)}"]
    if json_type(expected) != json_type(actual):
        return [f"{path or '$'}: expected {json_type(expected)}, got {json_type(actual)}"]
    if isinstance(expected, list):
        return [d for i, item in enumerate(actual) if expected
                for d in shape_differences(expected[0], item, rules, f"{path}[{i}]")]
    if not isinstance(expected, dict):
        return []
    if rule_path in rules.get("_free_keys", {}):  # names are data: each value against the sample's first value
        template = next(iter(expected.values()), None)
        return [d for key, value in actual.items() if template is not None
                for d in shape_differences(template, value, rules, f"{path}.{key}")]
    found = []
    for key, value in expected.items():
        where = f"{path}.{key}" if path else key
        if not path and key.startswith("_"):
            continue
        if key in actual:
            found += shape_differences(value, actual[key], rules, where)
        elif re.sub(r"\[\d+\]", "", where) not in rules.get("_optional", {}):
            found.append(f"{where}: missing")
    found += [f"{path}.{key}: unexpected" if path else f"{key}: unexpected" for key in actual if key not in expected]
    return found


def _printed(sim, function):
    return [json.loads(line) for r in sim.invocations if r.function.endswith(function)
            for line in r.logs if line.startswith("{")]


def _drain(sim, queue):
    return sim.client("sqs").receive_message(QueueUrl=sim.queue_url(queue), MaxNumberOfMessages=10,
                                             MessageAttributeNames=["All"]).get("Messages", [])


def _trigger_every_source(sim):
    sim.send_message("Jobs", "Test message.", attributes={"myAttribute": "myValue"})
    sim.send_message("JobsFifo", "Test message.", group_id="1")
    sim.client("sns").publish(TopicArn=sim.resource("Topic")["Ref"], Message="Hello from SNS!", Subject="TestInvoke",
                              MessageAttributes={"Test": {"DataType": "String", "StringValue": "TestString"},
                                                 "TestBinary": {"DataType": "Binary", "BinaryValue": b"TestBinary"}})
    sim.client("s3").put_object(Bucket=sim.resource("Uploads")["Ref"], Key="HappyFace.jpg", Body=b"x" * 1024)
    table, orders = sim.client("dynamodb"), sim.resource("Orders")["Ref"]
    table.put_item(TableName=orders, Item={"Id": {"N": "101"}, "Message": {"S": "New item!"}})
    table.put_item(TableName=orders, Item={"Id": {"N": "101"}, "Message": {"S": "This item has changed"}})
    table.delete_item(TableName=orders, Key={"Id": {"N": "101"}})
    sim.client("kinesis").put_record(StreamName=sim.resource("Clicks")["Ref"], PartitionKey="1",
                                     Data=b"Hello, this is a test.")
    sim.put_events([{"Source": "my.shop", "DetailType": "EC2 Instance State-change Notification",
                     "Resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
                     "Detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}}])
    sim.invoke("AsyncFunction", {"Success": True}, type="Event")
    sim.invoke("AsyncFunction", {"fail": True}, type="Event")
    http = {"headers": {"header1": "value1", "Cookie": "cookie1; cookie2"}, "query": {"parameter1": "value1"}}
    sim.http("POST", "/rest", body="Hello from Lambda!", **http)
    sim.http("POST", "/http/my", body="Hello from Lambda", **http)
    sim.http("POST", "/my/path", body="Hello from client!", function_url="UrlFunction", **http)
    sim.http("GET", "/auth/token", headers={"Authorization": "allow"})
    auth_query = {"headers": {"HeaderAuth1": "headerValue1"}, "query": {"QueryString1": "queryValue1"}}
    sim.http("GET", "/auth/request/7", **auth_query)
    sim.http("GET", "/v1/7", **auth_query)
    sim.http("POST", "/v2/7", body="Hello", headers={"HeaderAuth1": "value1", "Cookie": "cookie1; cookie2"},
             query={"parameter1": ["value1", "value2"], "parameter2": "value"})
    sim.advance(3700)  # both schedules fire once


@pytest.fixture(scope="module")
def delivered():
    """Every event the fidelity app received, by sample name (one simulation for all sources)."""
    with Simulation(FIDELITY / "app" / "template.yaml", seed=1, start="2030-01-01T00:00:00Z") as sim:
        assert sim.warnings == []
        _trigger_every_source(sim)
        events = {name: (_printed(sim, function) or [None])[0] for name, function in (
            ("sqs_standard", "SqsFunction"), ("sqs_fifo", "FifoFunction"), ("sns", "SnsFunction"),
            ("s3_put", "S3Function"), ("kinesis", "KinesisFunction"),
            ("eventbridge_rule", "RuleFunction"), ("s3_eventbridge_object_created", "S3EventBridgeFunction"),
            ("eventbridge_schedule", "ScheduleFunction"), ("scheduler_input", "SchedulerFunction"),
            ("api_rest_proxy", "RestFunction"), ("api_http_v2", "HttpFunction"), ("function_url", "UrlFunction"),
            ("authorizer_rest_token", "TokenAuthorizerFunction"),
            ("authorizer_rest_request", "RequestAuthorizerFunction"),
            ("authorizer_http_v1", "HttpV1AuthorizerFunction"), ("authorizer_http_v2", "HttpV2AuthorizerFunction"),
            ("kinesis_tumbling_window", "WindowFunction"))}
        changes = [record for event in _printed(sim, "DynamoFunction") for record in event["Records"]]
        for name in ("INSERT", "MODIFY", "REMOVE"):  # one record per variant, whatever the batching
            events[f"dynamodb_{name.lower()}"] = {"Records": [next(c for c in changes if c["eventName"] == name)]}
        records = [json.loads(m["Body"]) for m in _drain(sim, "Succeeded") + _drain(sim, "Failed")]
        events["destination_on_success"] = next(r for r in records if r["requestContext"]["condition"] == "Success")
        events["destination_on_failure"] = next(r for r in records if r["requestContext"]["condition"] != "Success")
        (dead,) = _drain(sim, "Dlq")
        events["dlq_message_attributes"] = {"MessageAttributes": dead["MessageAttributes"]}
        failures = [json.loads(m["Body"]) for m in _drain(sim, "StreamFailures")]
        events["stream_failure_dynamodb"] = next(f for f in failures if "DDBStreamBatchInfo" in f)
        events["stream_failure_kinesis"] = next(f for f in failures if "KinesisBatchInfo" in f)
        return events


def _cases():
    for path in sorted(SAMPLES.glob("*.json")):
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_DIFFERENCES[path.stem])] \
            if path.stem in KNOWN_DIFFERENCES else []
        yield pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("sample_path", _cases())
def test_delivered_event_has_the_shape_of_the_documented_sample(sample_path, delivered):
    sample = json.loads(sample_path.read_text())
    assert sample.get("_source", "").startswith("https://docs.aws.amazon.com/"), "every sample names its source"
    event = delivered[sample_path.stem]
    assert event is not None, f"{sample_path.stem}: the function received no event"
    differences = shape_differences(sample, event, sample)
    assert differences == [], "\n".join(differences)


def test_every_sample_has_a_trigger(delivered):
    assert sorted(delivered) == sorted(p.stem for p in SAMPLES.glob("*.json"))


@pytest.mark.parametrize("event, problem", [
    ({"Records": [{"s3": {"object": {"key": "k"}}}]}, "Records[0].s3.object.sequencer: missing"),
    ({"Records": [{"s3": {"object": {"key": "k", "sequencer": 1}}}]},
     "Records[0].s3.object.sequencer: expected string, got number"),
    ({"Records": [{"s3": {"object": {"key": "k", "sequencer": "s", "extra": 1}}}]},
     "Records[0].s3.object.extra: unexpected"),
    ({"Records": [{"s3": {"object": {"key": "k", "sequencer": "s"}}}, {}]}, "Records[1].s3: missing"),
])
def test_shape_comparison_names_the_path_of_each_difference(event, problem):
    sample = {"Records": [{"s3": {"object": {"key": "k", "sequencer": "s"}}}]}
    assert problem in shape_differences(sample, event, {})
