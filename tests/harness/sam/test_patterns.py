"""Public-pattern SAM applications (tests/harness/sam/patterns/): each loads without a warning and runs its
happy path."""
import json
from pathlib import Path

from harness import Simulation

PATTERNS = Path(__file__).parent / "patterns"


def test_api_lambda_simple_table_stores_and_reads_an_item():
    with Simulation(PATTERNS / "api_simple_table" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        created = sim.http("POST", "/items", body={"itemId": "a1", "colour": "red"})
        assert created.status == 201
        assert sim.http("GET", "/items/a1").json() == {"itemId": "a1", "colour": "red"}
        assert sim.http("GET", "/items/zz").status == 404
        table = sim.resource("ItemsTable")
        described = sim.client("dynamodb").describe_table(TableName=table["Ref"])["Table"]
        assert described["KeySchema"] == [{"AttributeName": "itemId", "KeyType": "HASH"}]
        assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["Arn"].endswith(f"table/{table['Ref']}")


def test_sqs_dlq_mapping_loads_without_warnings():
    with Simulation(PATTERNS / "sqs_dlq_mapping" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        assert json.dumps(sim.resource("OrdersDlq")["Arn"]).count(":") == 5


def _printed(sim, function):
    return [json.loads(line) for r in sim.invocations if r.function.endswith(function)
            for line in r.logs if line.startswith("{")]


def test_sns_fan_out_reaches_a_filtered_lambda_subscriber_and_an_sqs_subscriber():
    with Simulation(PATTERNS / "sns_fanout" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        sim.invoke("PublishFunction", {"order": {"id": 1}, "size": "big"})
        sim.invoke("PublishFunction", {"order": {"id": 2}, "size": "small"})
        sim.run_until_idle()
        assert _printed(sim, "BigOrderFunction") == [{"big_order": {"id": 1}, "source": "aws:sns"}]
        assert sorted(p["audit"]["id"] for p in _printed(sim, "AuditFunction")) == [1, 2]
        big = [r for r in sim.invocations if r.function.endswith("BigOrderFunction")]
        assert [r.invocation_type for r in big] == ["Event"]  # SNS invokes asynchronously


def test_s3_upload_matching_the_filter_invokes_the_function_once():
    with Simulation(PATTERNS / "s3_to_lambda" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        s3 = sim.client("s3")
        bucket = sim.resource("UploadBucket")["Ref"]
        s3.put_object(Bucket=bucket, Key="incoming/cat photo.jpg", Body=b"x")
        s3.put_object(Bucket=bucket, Key="incoming/notes.txt", Body=b"x")
        s3.put_object(Bucket=bucket, Key="other/dog.jpg", Body=b"x")
        sim.run_until_idle()
        assert _printed(sim, "ProcessUpload") == [{"key": "incoming/cat photo.jpg", "event": "ObjectCreated:Put"}]


def test_http_api_routes_payload_v2_default_route_and_error_mapping():
    with Simulation(PATTERNS / "http_api" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        user = sim.http("GET", "/users/42")
        assert user.status == 200  # a dict without statusCode is JSON with 200 (payload 2.0 inference)
        assert user.json() == {"id": "42", "route": "GET /users/{id}", "version": "2.0", "stage": "$default"}
        other = sim.http("DELETE", "/anything/else")
        assert (other.status, other.body) == (418, "/anything/else")
        boom = sim.http("POST", "/boom")
        assert (boom.status, boom.json()) == (500, {"message": "Internal Server Error"})


def test_dynamodb_stream_bisects_a_poison_batch_and_sends_the_failure_to_the_on_failure_queue():
    with Simulation(PATTERNS / "dynamodb_stream" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        table = sim.client("dynamodb")
        name = sim.resource("OrdersTable")["Ref"]
        for key in ("a", "b", "poison", "c"):
            table.put_item(TableName=name, Item={"pk": {"S": key}})
        sim.run_until_idle()
        batches = [p["keys"] for p in _printed(sim, "OrderProjector")]
        assert batches[0] == ["a", "b", "poison", "c"]
        assert ["a", "b"] in batches and ["c"] in batches  # bisected; the good records got through
        assert batches.count(["poison"]) == 3  # first try + MaximumRetryAttempts 2
        failures = sim.client("sqs").receive_message(QueueUrl=sim.queue_url("StreamFailures"))["Messages"]
        document = json.loads(failures[0]["Body"])
        assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert document["DDBStreamBatchInfo"]["batchSize"] == 1
        assert document["DDBStreamBatchInfo"]["streamArn"] == sim.resource("OrdersTable")["StreamArn"]


def test_kinesis_mapping_filters_on_decoded_data_and_retries_from_the_reported_failure():
    with Simulation(PATTERNS / "kinesis_stream" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        kinesis = sim.client("kinesis")
        stream = sim.resource("ClickStream")["Ref"]
        for page, kind in (("/a", "click"), ("/b", "view"), ("/broken", "click"), ("/c", "click")):
            kinesis.put_record(StreamName=stream, PartitionKey="p",
                               Data=json.dumps({"type": kind, "page": page}).encode())
        sim.run_until_idle()
        pages = [p["page"] for p in _printed(sim, "ClickCounter")]
        assert pages == ["/a", "/broken", "/c", "/broken", "/c"]  # /b filtered; resumed from the failure


def test_transform_less_cloudformation_functions_mappings_and_invoke_configs_run():
    with Simulation(PATTERNS / "cloudformation_only" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        for n in range(7):
            sim.send_message("JobsQueue", f"job-{n}")
        sim.invoke("Inline", {}, type="Event")
        sim.run_until_idle()
        batches = [p["jobs"] for p in _printed(sim, "Worker")]
        assert sorted(job for batch in batches for job in batch) == [f"job-{n}" for n in range(7)] and max(map(len, batches)) <= 5
        inline = [r for r in sim.invocations if r.function.endswith("Inline")]
        assert [r.status for r in inline] == ["error"]  # MaximumRetryAttempts 0
        failed = sim.client("sqs").receive_message(QueueUrl=sim.queue_url("FailedJobs"))["Messages"]
        assert json.loads(failed[0]["Body"])["requestContext"]["condition"] == "RetriesExhausted"


def test_scheduler_schedule_fires_its_lambda_target_inside_the_flexible_window():
    with Simulation(PATTERNS / "scheduler_dlq" / "template.yaml", seed=1, start="2030-01-01T00:00:00Z") as sim:
        assert sim.warnings == []
        sim.advance(2 * 86400)
        runs = [r for r in sim.invocations if r.function.endswith("ReportFunction")]
        assert [[line for line in r.logs if line.startswith("report")] for r in runs] == [["report nightly"]] * 2
        offsets = [run.started - (day * 86400 + 2 * 3600) for day, run in enumerate(runs)]
        assert all(0 <= offset <= 15 * 60 for offset in offsets) and offsets[0] != offsets[1]  # seeded, per fire


def test_layer_code_alias_references_and_implicit_role_resolve():
    with Simulation(PATTERNS / "layers_alias" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        result = sim.invoke("CallerFunction", {}).payload
        assert result["answer"] == {"message": "hello ada from the layer"}
        assert result["alias"].endswith(":function:layers-alias-GreetFunction:live")
        assert result["role"] == "arn:aws:iam::123456789012:role/layers-alias-GreetFunctionRole"


def test_a_layer_from_outside_the_template_is_warned_about(tmp_path):
    import shutil
    shutil.copytree(PATTERNS / "layers_alias", tmp_path / "app")
    path = tmp_path / "app" / "template.yaml"
    path.write_text(path.read_text().replace("Layers: [!Ref SharedLayer]",
                                             "Layers: [arn:aws:lambda:us-east-1:017000801446:layer:Powertools:1]"))
    from harness.template import load_template
    (warning,) = load_template(path).warnings
    assert "function 'GreetFunction': layer 'arn:aws:lambda:us-east-1:017000801446:layer:Powertools:1' is not a " \
           "LayerVersion of this template" in warning
