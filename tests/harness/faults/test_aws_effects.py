"""AWS effects at the botocore hook: protocol-correct errors, network faults, latency and lost responses, with
botocore's own retry modes deciding what is retried (attempt counts from botocore 1.44's retry config)."""
import pytest

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/faults-work"
TABLE = "faults-table"

PUT = {"service": "dynamodb", "operation": "put_item", "params": {"TableName": TABLE, "Item": {"pk": {"S": "a"}}}}
SEND = {"service": "sqs", "operation": "send_message", "params": {"QueueUrl": QUEUE_URL, "MessageBody": "m"}}
INVOKE = {"service": "lambda", "operation": "invoke", "params": {"FunctionName": "faults-echo"}}
PUT_EVENTS = {"service": "events", "operation": "put_events",
              "params": {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}"}]}}
CALLS = {"dynamodb": PUT, "sqs": SEND, "lambda": INVOKE, "eventbridge": PUT_EVENTS}
# Total attempts botocore makes (botocore/data/_retry.json and botocore/retries/standard.py): legacy 5 (DynamoDB
# 10), standard 3 (DynamoDB 4); a code the mode does not retry is tried once.
ATTEMPTS = {"legacy": {"dynamodb": 10}, "standard": {"dynamodb": 4}}
DEFAULT_ATTEMPTS = {"legacy": 5, "standard": 3}

# (service, code, retried by legacy, retried by standard, exception class the handler sees, status)
CODES = [
    ("dynamodb", "ThrottlingException", True, True, "ThrottlingException", 400),
    ("dynamodb", "ProvisionedThroughputExceededException", True, True, "ProvisionedThroughputExceededException", 400),
    # legacy mode lists RequestLimitExceeded only for EC2 (status 503); standard treats it as throttling
    ("dynamodb", "RequestLimitExceeded", False, True, "RequestLimitExceeded", 400),
    ("dynamodb", "InternalServerError", True, True, "InternalServerError", 500),
    ("dynamodb", "ServiceUnavailable", True, True, "ClientError", 503),
    ("dynamodb", "AccessDeniedException", False, False, "ClientError", 400),
    ("dynamodb", "ConditionalCheckFailedException", False, False, "ConditionalCheckFailedException", 400),
    ("dynamodb", "ResourceNotFoundException", False, False, "ResourceNotFoundException", 400),
    ("sqs", "RequestThrottled", True, True, "RequestThrottled", 403),
    ("sqs", "AWS.SimpleQueueService.NonExistentQueue", False, False, "QueueDoesNotExist", 400),
    ("sqs", "KmsThrottled", False, False, "KmsThrottled", 400),
    ("sqs", "ThrottlingException", True, True, "ClientError", 400),
    ("lambda", "TooManyRequestsException", True, True, "TooManyRequestsException", 429),
    ("lambda", "ResourceNotFoundException", False, False, "ResourceNotFoundException", 404),
    ("lambda", "ServiceException", True, True, "ServiceException", 500),
    ("eventbridge", "ThrottlingException", True, True, "ThrottlingException", 400),
    ("eventbridge", "InternalException", True, True, "InternalException", 500),
]


def test_put_item_throttled_twice_then_succeeds_under_standard_retry(simulate):
    rules = [{"id": "throttle-put", "match": {"service": "dynamodb", "operation": "PutItem", "function": "Writer",
                                              "nth": 1},
              "effect": {"type": "aws_error", "code": "ProvisionedThroughputExceededException"}, "times": 2}]
    with simulate(rules) as sim:
        result = sim.invoke("Writer", {"pk": "a"})
        assert result.payload == {"ok": True, "retry_attempts": 2}
        assert sim.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": "a"}})["Item"]
        assert [e.data["attempt"] for e in sim.trace.of("fault", rule="throttle-put")] == [1, 2]
        statuses = [e.data["status"] for e in sim.trace.of("aws", operation="PutItem", caller="faults-writer")]
        assert statuses == [400, 400, 200]
        assert sim.now > 0  # botocore's backoff slept in virtual time


def test_put_item_throttled_five_times_surfaces_provisioned_throughput_exceeded_to_the_handler(simulate):
    rules = [{"match": {"service": "dynamodb", "operation": "PutItem"},
              "effect": {"type": "aws_error", "code": "ProvisionedThroughputExceededException"}, "times": 5}]
    with simulate(rules) as sim:
        outcome = sim.invoke("Writer", {"pk": "a"}).payload
        assert outcome["error"] == "ProvisionedThroughputExceededException"
        assert outcome["module"] == "botocore.errorfactory"  # the modeled class, catchable as client.exceptions.X
        assert (outcome["code"], outcome["status"], outcome["retry_attempts"]) == (
            "ProvisionedThroughputExceededException", 400, 3)
        assert len(sim.trace.of("fault")) == 4  # standard mode gives DynamoDB 4 attempts; the 5th throttle never fires
        assert "Item" not in sim.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": "a"}})


@pytest.mark.parametrize("service", ["dynamodb", "sqs", "lambda", "eventbridge"])
def test_botocore_retry_modes_retry_exactly_the_retryable_codes(simulate, service):
    cases = [c for c in CODES if c[0] == service]
    with simulate() as sim:
        for _, code, legacy, standard, exception, status in cases:
            rule = sim.add_faults({"id": code, "match": {"service": service},
                                   "effect": {"type": "aws_error", "code": code}})[0]
            for mode, retried in (("legacy", legacy), ("standard", standard)):
                before = len(sim.trace.of("fault", rule=rule.id))
                outcome = sim.invoke("Aws", {**CALLS[service], "mode": mode}).payload
                attempts = len(sim.trace.of("fault", rule=rule.id)) - before
                expected = ATTEMPTS[mode].get(service, DEFAULT_ATTEMPTS[mode]) if retried else 1
                assert attempts == expected, (code, mode)
                assert (outcome["error"], outcome["module"], outcome["code"], outcome["status"]) == (
                    exception, "botocore.errorfactory" if exception != "ClientError" else "botocore.exceptions",
                    code, status), (code, mode)
            sim.faults.heal(rule.id)


def test_sqs_errors_use_the_query_compatible_code_and_the_modeled_exception(simulate):
    rules = [{"match": {"service": "sqs", "operation": "SendMessage"},
              "effect": {"type": "aws_error", "code": "QueueDoesNotExist"}}]
    with simulate(rules) as sim:
        outcome = sim.invoke("Aws", SEND).payload
    # Either name selects the same error: the shape (QueueDoesNotExist) and the code clients see.
    assert (outcome["error"], outcome["code"]) == ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue")
    assert outcome["message"] == "The specified queue does not exist."


def test_extra_fields_reach_the_error_response(simulate):
    old = {"pk": {"S": "a"}, "status": {"S": "QUEUED"}}
    rules = [{"match": {"service": "dynamodb", "operation": "PutItem"},
              "effect": {"type": "aws_error", "code": "ConditionalCheckFailedException", "extra": {"Item": old}}},
             {"match": {"service": "lambda", "operation": "Invoke"},
              "effect": {"type": "aws_error", "code": "TooManyRequestsException",
                         "extra": {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}}}]
    with simulate(rules) as sim:
        conditional = sim.invoke("Aws", PUT).payload
        throttled = sim.invoke("Caller", {}).payload
    assert (conditional["error"], conditional["item"], conditional["retry_attempts"]) == (
        "ConditionalCheckFailedException", old, 0)
    assert (throttled["error"], throttled["status"], throttled["reason"]) == (
        "TooManyRequestsException", 429, "ReservedFunctionConcurrentInvocationLimitExceeded")


def test_access_denied_names_the_function_role_and_the_action(simulate):
    rules = [{"match": {"service": "sqs"}, "effect": {"type": "aws_error", "code": "AccessDenied"}}]
    with simulate(rules) as sim:
        outcome = sim.invoke("Aws", SEND).payload
    assert outcome["status"] == 403 and outcome["code"] == "AccessDenied"
    assert "assumed-role/faults-aws-role/faults-aws is not authorized to perform: sqs:SendMessage" in \
        outcome["message"]


@pytest.mark.parametrize("mode", ["legacy", "standard"])
def test_network_errors_are_retried_and_surface_as_the_botocore_exception(simulate, mode):
    errors = ["EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError"]
    with simulate() as sim:
        for error in errors:
            sim.add_faults({"id": error, "match": {"service": "sqs", "operation": "SendMessage"},
                            "effect": {"type": "network_error", "error": error, "seconds": 1}})
            outcome = sim.invoke("Aws", {**SEND, "mode": mode}).payload
            sim.faults.heal(error)
            assert (outcome["error"], outcome["module"]) == (error, "botocore.exceptions")
            assert len(sim.trace.of("fault", rule=error)) == DEFAULT_ATTEMPTS[mode]
        assert sim.client("sqs").get_queue_attributes(QueueUrl=QUEUE_URL, AttributeNames=["All"])[
            "Attributes"]["ApproximateNumberOfMessages"] == "0"  # no request ever arrived


def test_a_read_timeout_waits_the_clients_read_timeout_in_virtual_time(simulate):
    rules = [{"match": {"service": "sqs", "operation": "SendMessage"},
              "effect": {"type": "network_error", "error": "ReadTimeoutError"}, "times": 1}]
    with simulate(rules) as sim:
        assert sim.invoke("Aws", SEND).payload["ok"] is True
        sent = sim.trace.of("aws", operation="SendMessage", caller="faults-aws")[0]
        assert sent.t >= 60.0  # botocore's default read_timeout, then a retry that succeeded


@pytest.mark.parametrize("error, wait", [("ConnectTimeoutError", 2.0), ("ReadTimeoutError", 3.0)])
def test_a_timeout_waits_the_timeout_configured_on_the_handlers_client(simulate, error, wait):
    rules = [{"match": {"service": "sqs", "operation": "SendMessage"},
              "effect": {"type": "network_error", "error": error}, "times": 1}]
    with simulate(rules) as sim:
        assert sim.invoke("Aws", {**SEND, "mode": "short-timeouts"}).payload["ok"] is True
        sent = sim.trace.of("aws", operation="SendMessage", caller="faults-aws")[0]
        assert wait <= sent.t < wait + 1.0  # the client's own timeout (not botocore's 60 s default), then a retry


def test_latency_delays_the_request_in_virtual_time(simulate):
    rules = [{"match": {"service": "dynamodb", "operation": "PutItem"}, "effect": {"type": "latency", "seconds": 2.5}}]
    with simulate(rules) as sim:
        assert sim.invoke("Writer", {"pk": "a"}).payload["ok"] is True
        assert sim.trace.of("aws", operation="PutItem", caller="faults-writer")[0].t == pytest.approx(2.5)


def test_a_lost_response_after_the_send_was_applied_duplicates_the_message_on_retry(simulate):
    rules = [{"match": {"service": "sqs", "operation": "SendMessage"},
              "effect": {"type": "response_lost", "error": "timeout", "seconds": 1}, "times": 1}]
    with simulate(rules) as sim:
        outcome = sim.invoke("Aws", SEND).payload
        assert (outcome["ok"], outcome["retry_attempts"]) == (True, 1)  # the handler saw one success
        counts = sim.client("sqs").get_queue_attributes(QueueUrl=QUEUE_URL, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "2"


def test_a_lost_response_surfaces_as_a_read_timeout_or_a_closed_connection(simulate):
    rules = [{"match": {"service": "sqs", "operation": "SendMessage"},
              "effect": {"type": "response_lost", "error": "reset"}}]
    with simulate(rules) as sim:
        outcome = sim.invoke("Aws", SEND).payload
        counts = sim.client("sqs").get_queue_attributes(QueueUrl=QUEUE_URL, AttributeNames=["All"])["Attributes"]
    assert outcome["error"] == "ConnectionClosedError"
    assert counts["ApproximateNumberOfMessages"] == "3"  # every attempt was applied; none was acknowledged


def test_a_request_that_never_arrived_is_not_applied(simulate):
    rules = [{"match": {"service": "sqs", "operation": "SendMessage"},
              "effect": {"type": "aws_error", "code": "InternalError"}, "times": 2}]
    with simulate(rules) as sim:
        assert sim.invoke("Aws", SEND).payload["retry_attempts"] == 2
        counts = sim.client("sqs").get_queue_attributes(QueueUrl=QUEUE_URL, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "1"  # unlike plain moto beside a fake 500, which applies it 3x


def test_calls_made_by_the_test_itself_are_never_faulted(simulate):
    rules = [{"match": {"service": "sqs"}, "effect": {"type": "aws_error", "code": "RequestThrottled"}}]
    with simulate(rules) as sim:
        sim.client("sqs").send_message(QueueUrl=QUEUE_URL, MessageBody="setup")
        assert sim.trace.of("fault") == []


def test_every_fault_is_recorded_before_its_effect_with_what_matched(simulate):
    rules = [{"id": "slow-put", "match": {"service": "dynamodb", "function": "Writer"},
              "effect": {"type": "latency", "seconds": 1}}]
    with simulate(rules) as sim:
        sim.invoke("Writer", {"pk": "a"})
        fault = sim.trace.of("fault", rule="slow-put")[0]
        aws = sim.trace.of("aws", operation="PutItem", caller="faults-writer")[0]
    assert fault.seq < aws.seq and (fault.t, aws.t) == (0.0, 1.0)
    assert {k: fault.data[k] for k in ("rule", "effect", "point", "service", "operation", "resource", "function",
                                       "attempt", "settings")} == {
        "rule": "slow-put", "effect": "latency", "point": "aws", "service": "dynamodb", "operation": "PutItem",
        "resource": TABLE, "function": "faults-writer", "attempt": 1, "settings": {"seconds": 1.0, "jitter": 0.0}}


def test_timeout_faults_wait_the_clients_own_configured_timeouts(simulate):
    rules = [{"id": "lost", "match": {"service": "sqs", "operation": "SendMessage"},
              "effect": {"type": "response_lost", "error": "timeout"}, "times": 1},
             {"id": "connect", "match": {"service": "dynamodb", "operation": "PutItem"},
              "effect": {"type": "network_error", "error": "ConnectTimeoutError"}, "times": 1}]
    with simulate(rules) as sim:
        assert sim.invoke("Aws", {**SEND, "mode": "short"}).payload["ok"] is True
        retried = sim.trace.of("aws", operation="SendMessage", caller="faults-aws")[-1]
        assert retried.t == pytest.approx(3.0, abs=0.5)  # Config(read_timeout=3), not botocore's 60 s default
        started = sim.now
        assert sim.invoke("Aws", {**PUT, "mode": "short"}).payload["ok"] is True
        assert sim.now - started == pytest.approx(2.0, abs=0.5)  # Config(connect_timeout=2)
