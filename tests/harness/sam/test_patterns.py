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


def test_rest_api_with_an_explicit_stage_path_parameters_and_a_greedy_proxy():
    with Simulation(PATTERNS / "api_rest_stage" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        assert sim.http("GET", "/books/978-0").json() == {"isbn": "978-0", "stage": "v1"}
        missing = sim.http("POST", "/authors/7/books")
        assert (missing.status, missing.json()) == (404, {"path": "authors/7/books"})


def test_function_url_answers_with_status_cookies_and_body():
    with Simulation(PATTERNS / "function_url" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        response = sim.http("POST", "/", body={"a": 1}, function_url="WebhookFunction")
        assert response.status == 201 and response.json() == {"echo": {"a": 1}, "method": "POST"}
        assert "seen=1" in response.headers.get("Set-Cookie", "")


def test_async_destinations_receive_success_and_failure_records():
    with Simulation(PATTERNS / "async_destinations" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        sim.invoke("Processor", {"id": 1}, type="Event")
        sim.invoke("Processor", {"id": 2, "fail": True}, type="Event")
        sim.run_until_idle()
        sqs = sim.client("sqs")
        ok = json.loads(sqs.receive_message(QueueUrl=sim.queue_url("Succeeded"))["Messages"][0]["Body"])
        bad = json.loads(sqs.receive_message(QueueUrl=sim.queue_url("Failed"))["Messages"][0]["Body"])
        assert ok["responsePayload"] == {"done": 1} and ok["requestContext"]["condition"] == "Success"
        assert bad["requestContext"]["condition"] == "RetriesExhausted"
        assert bad["requestContext"]["approximateInvokeCount"] == 2  # MaximumRetryAttempts 1


def test_custom_bus_rule_routes_only_matching_events():
    with Simulation(PATTERNS / "eventbridge_custom_bus" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        sim.invoke("Producer", {"totals": [50, 150, 101]})
        sim.run_until_idle()
        assert sorted(p["total"] for p in _printed(sim, "Consumer")) == [101, 150]


def test_rate_schedule_and_timezone_cron_fire_on_virtual_time():
    with Simulation(PATTERNS / "schedule_rate" / "template.yaml", seed=1, start="2030-07-01T00:00:00Z") as sim:
        assert sim.warnings == []
        sim.advance(3600 * 24)
        beats = [r for r in sim.invocations if r.function.endswith("Heartbeat")]
        assert len(beats) == 288  # every 5 minutes for a day
        (digest,) = [r for r in sim.invocations if r.function.endswith("MorningDigest")]
        assert digest.started == 6 * 3600  # 08:00 in Paris is 06:00 UTC in July
        assert "digest digest" in digest.logs


def test_fifo_partial_batch_failure_keeps_group_order():
    with Simulation(PATTERNS / "sqs_fifo_partial" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        for body in ("p1", "flaky-p2", "p3"):
            sim.send_message("Payments", body, group_id="customer-1")
        sim.run_until_idle()
        assert [p["paid"] for p in _printed(sim, "PaymentWorker")] == ["p1", "flaky-p2", "p3"]


def test_sqs_filter_criteria_drop_messages_that_match_no_filter():
    with Simulation(PATTERNS / "sqs_filter_criteria" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        for n, priority in enumerate(("low", "high", "high", "low")):
            sim.send_message("Events", {"id": n, "priority": priority})
        sim.run_until_idle()
        assert sorted(p["urgent"] for p in _printed(sim, "HighPriority")) == [1, 2]
        assert sim.client("sqs").receive_message(QueueUrl=sim.queue_url("Events")).get("Messages") is None


def test_async_failure_lands_in_the_function_dlq_after_two_retries():
    with Simulation(PATTERNS / "async_dlq" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        sim.invoke("ImportFunction", {"file": "a.csv"}, type="Event")
        sim.run_until_idle()
        attempts = [r.started for r in sim.invocations if r.function.endswith("ImportFunction")]
        assert len(attempts) == 3 and attempts[1] >= 60 and attempts[2] - attempts[1] >= 120
        (dead,) = sim.client("sqs").receive_message(QueueUrl=sim.queue_url("ImportDlq"),
                                                    MessageAttributeNames=["All"])["Messages"]
        assert json.loads(dead["Body"]) == {"file": "a.csv"}
        assert "cannot import a.csv" in dead["MessageAttributes"]["ErrorMessage"]["StringValue"]


def test_secrets_parameters_mappings_and_conditions_resolve():
    with Simulation(PATTERNS / "secrets_config" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        assert sim.invoke("ConfigFunction", {}).payload == {"key_length": 11, "rate": "10", "mode": "relaxed"}
    with Simulation(PATTERNS / "secrets_config" / "template.yaml", seed=1, parameters={"Stage": "prod"}) as sim:
        assert sim.invoke("ConfigFunction", {}).payload == {"key_length": 11, "rate": "1000", "mode": "strict"}


def test_reserved_concurrency_throttles_a_second_concurrent_call():
    with Simulation(PATTERNS / "reserved_concurrency" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        assert sim.invoke("Fanout", {}).payload == {"second": "throttled"}


def test_s3_events_reach_an_eventbridge_rule_and_an_sqs_queue():
    with Simulation(PATTERNS / "s3_eventbridge_sqs" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        bucket = sim.resource("DataBucket")["Ref"]
        sim.client("s3").put_object(Bucket=bucket, Key="in/report.csv", Body=b"a,b")
        sim.run_until_idle()
        assert _printed(sim, "Auditor") == [{"audit": "in/report.csv", "bucket": bucket}]
        assert _printed(sim, "Ingestor") == [{"ingest": "in/report.csv"}]


def test_aws_include_snippets_are_expanded_in_place():
    with Simulation(PATTERNS / "include_snippets" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        assert sim.invoke("SnippetFunction", {}).payload == {"queue": "include-snippets-SharedQueue",
                                                             "level": "DEBUG"}


def test_synchronous_chain_maps_the_callee_function_error():
    with Simulation(PATTERNS / "lambda_sync_chain" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        assert sim.http("POST", "/orders", body={"quantity": 2}).json() == {"valid": True}
        bad = sim.http("POST", "/orders", body={"quantity": 0})
        assert (bad.status, bad.json()) == (422, {"error": "InvalidOrder", "message": "quantity must be positive"})


def test_http_api_route_with_payload_format_1():
    with Simulation(PATTERNS / "http_api_payload_v1" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        assert sim.http("GET", "/legacy", query={"a": "1"}).json() == {"version": "1.0", "method": "GET",
                                                                        "query": {"a": "1"}}


def test_sns_body_filter_policy_selects_messages_by_content():
    with Simulation(PATTERNS / "sns_body_filter" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        sns = sim.client("sns")
        topic = sim.resource("AlertsTopic")["Ref"]
        for n, severity in enumerate(("info", "critical", "warning")):
            sns.publish(TopicArn=topic, Message=json.dumps({"id": n, "severity": severity}))
        sim.run_until_idle()
        assert _printed(sim, "Pager") == [{"paged": 1}]


def test_api_queries_a_global_secondary_index():
    with Simulation(PATTERNS / "dynamodb_gsi_query" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        table = sim.resource("TicketsTable")["Ref"]
        for ticket, who in (("t1", "ana"), ("t2", "bo"), ("t3", "ana")):
            sim.client("dynamodb").put_item(TableName=table, Item={"ticketId": {"S": ticket},
                                                                   "assignee": {"S": who}})
        assert sim.http("GET", "/assignees/ana/tickets").json() == ["t1", "t3"]


def test_batching_window_gathers_messages_into_one_invocation():
    with Simulation(PATTERNS / "sqs_batch_window" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        for n in range(30):
            sim.send_message("Clicks", f"click-{n}")
            sim.advance(0.5)
        sim.run_until_idle()
        runs = [r for r in sim.invocations if r.function.endswith("Aggregator")]
        assert [line for r in runs for line in r.logs if line.startswith("batch")] == ["batch of 30"]
        assert runs[0].started == 20.0  # the window opened with the first message at t=0


def test_standalone_rule_target_receives_the_input_path():
    with Simulation(PATTERNS / "eventbridge_rule_resource" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        sim.client("events").put_events(Entries=[{"Source": "app.users", "DetailType": "UserSignedUp",
                                                  "Detail": json.dumps({"email": "ada@example.com"})}])
        sim.run_until_idle()
        assert _printed(sim, "Notifier") == [{"welcome": "ada@example.com"}]


def test_kinesis_batch_past_its_record_age_goes_to_the_sns_on_failure_destination():
    with Simulation(PATTERNS / "kinesis_on_failure_sns" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        sim.client("kinesis").put_record(StreamName=sim.resource("Telemetry")["Ref"], PartitionKey="d1",
                                         Data=b'{"t": 1}')
        sim.run_until_idle()
        attempts = [r.started for r in sim.invocations if r.function.endswith("TelemetryWriter")]
        assert len(attempts) > 2 and attempts[-1] <= 60 + 60  # retried with backoff until the record aged out
        audit = sim.client("sqs").receive_message(QueueUrl=sim.queue_url("DiscardedAudit"))["Messages"]
        document = json.loads(audit[0]["Body"])
        assert document["requestContext"]["condition"] == "RecordAgeExceeded"
        assert document["KinesisBatchInfo"]["batchSize"] == 1


def test_sns_sqs_subscription_delivers_through_the_queue_sam_creates_and_an_existing_one():
    with Simulation(PATTERNS / "sns_sqs_subscription" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        sns, topic = sim.client("sns"), sim.resource("OrdersTopic")["Ref"]

        def publish(order, kind):
            sns.publish(TopicArn=topic, Message=json.dumps(order),
                        MessageAttributes={"kind": {"DataType": "String", "StringValue": kind}})

        publish({"id": 1}, "physical")
        publish({"id": 2}, "digital")  # filtered out of the shipping queue, not of the audit queue
        sim.run_until_idle()
        assert _printed(sim, "ShippingFunction") == [{"source": "aws:sqs", "type": "Notification",
                                                      "order": {"id": 1}}]
        assert sorted(p["audited"] for p in _printed(sim, "AuditFunction")) == [1, 2]
        created = sim.client("sqs").get_queue_url(QueueName="sns-sqs-subscription-ShippingFunctionOrdersQueue")
        assert sim.queue_url(sim.resource("ShippingFunctionOrdersQueue")["Arn"]) == created["QueueUrl"]
        publish({"id": 3, "poison": True}, "digital")
        sim.run_until_idle()  # fails on each receive; the audit queue's redrive moves it to its DLQ
        (dead,) = sim.client("sqs").receive_message(QueueUrl=sim.queue_url("AuditDlq"))["Messages"]
        assert json.loads(json.loads(dead["Body"])["Message"]) == {"id": 3, "poison": True}
