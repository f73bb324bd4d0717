"""Processor wrapper + user process.py, and the default pass-through processor."""

import io
import zipfile
from pathlib import Path

import pytest
from botocore.stub import Stubber

FUNCTIONS_DIR = Path(__file__).resolve().parents[3] / "handlers" / "twin" / "functions"

PERSISTER = "twin-persister"


@pytest.fixture
def wrapper(load_function):
    return load_function("processor_wrapper", PERSISTER_LAMBDA_NAME=PERSISTER)


def test_wrapper_runs_default_user_logic_between_delimiters_and_invokes_persister(
    wrapper, context, logs, invocations
):
    calls = invocations(wrapper)
    event = {"iotDeviceId": "temperature-sensor-1", "time": "2025-01-01T00:00:00.000Z", "temperature": 25.5}

    assert wrapper.lambda_handler(event, context) == {"status": "processed", "persister": PERSISTER}

    assert calls == [{"FunctionName": PERSISTER, "InvocationType": "Event", "Payload": event}]
    assert logs.messages() == ["User Logic Start", "User Logic End", "Handed result to persister"]


def test_wrapper_passes_the_user_result_not_the_input(wrapper, context, invocations, monkeypatch):
    calls = invocations(wrapper)
    monkeypatch.setattr(wrapper, "process", lambda event: {**event, "pressure": event["pressure"] * 1.2})
    wrapper.lambda_handler({"iotDeviceId": "p1", "time": "t", "pressure": 10}, context)
    assert calls[0]["Payload"] == {"iotDeviceId": "p1", "time": "t", "pressure": 12.0}


def test_wrapper_logs_user_logic_error_and_reraises_for_lambda_retry(
    wrapper, context, logs, invocations, monkeypatch
):
    calls = invocations(wrapper)

    def crashing(event):
        print("user debug output")
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(wrapper, "process", crashing)
    with pytest.raises(ZeroDivisionError):
        wrapper.lambda_handler({"iotDeviceId": "d1", "time": "t"}, context)

    assert logs.messages() == [
        "User Logic Start",
        "[USER_LOGIC_ERROR] ZeroDivisionError: division by zero",
        "User Logic End",
    ]
    [error] = logs.find("[USER_LOGIC_ERROR] ZeroDivisionError: division by zero")
    assert error["level"] == "ERROR"
    assert error["exception_name"] == "ZeroDivisionError"
    assert calls == []


@pytest.mark.parametrize(
    "returned, message",
    [
        (None, "[USER_LOGIC_ERROR] UserLogicError: process() must return a dict, got NoneType"),
        ([1], "[USER_LOGIC_ERROR] UserLogicError: process() must return a dict, got list"),
        (
            {"when": object()},
            (
                "[USER_LOGIC_ERROR] UserLogicError: process() returned a value that is not "
                "JSON-serialisable: Object of type object is not JSON serializable"
            ),
        ),
    ],
)
def test_wrapper_treats_an_unstorable_result_as_user_logic_error(
    wrapper, context, logs, invocations, monkeypatch, returned, message
):
    calls = invocations(wrapper)
    monkeypatch.setattr(wrapper, "process", lambda event: returned)
    with pytest.raises(wrapper.UserLogicError):
        wrapper.lambda_handler({"iotDeviceId": "d1"}, context)
    assert logs.messages("ERROR") == [message]
    assert calls == []


def test_wrapper_logs_and_reraises_when_persister_invoke_fails(wrapper, context, logs):
    with Stubber(wrapper.lambda_client) as stub:
        stub.add_client_error("invoke", service_error_code="ServiceException", http_status_code=500)
        with pytest.raises(wrapper.lambda_client.exceptions.ServiceException):
            wrapper.lambda_handler({"iotDeviceId": "d1", "time": "t"}, context)
    [entry] = logs.find("Persister invoke failed")
    assert entry["persister"] == PERSISTER
    assert "[USER_LOGIC_ERROR]" not in logs.text


def test_wrapper_without_persister_name_fails_before_running_user_logic(wrapper, context, logs, monkeypatch):
    monkeypatch.setenv("PERSISTER_LAMBDA_NAME", "")
    with pytest.raises(wrapper.ConfigurationError):
        wrapper.lambda_handler({"iotDeviceId": "d1"}, context)
    assert logs.messages() == ["Processor misconfigured: PERSISTER_LAMBDA_NAME is not set"]


def test_merged_package_runs_the_users_process_py(load_function, util, tmp_path, context, logs, invocations):
    user_logic = tmp_path / "process.py"
    user_logic.write_text("def process(event):\n    return {**event, 'pressure': event['pressure'] * 2}\n")
    archive = tmp_path / "merged.zip"
    archive.write_bytes(util.compile_merged_lambda_function(FUNCTIONS_DIR / "processor_wrapper", user_logic))
    package = tmp_path / "package"
    zipfile.ZipFile(archive).extractall(package)

    merged = load_function("processor_wrapper", folder=package, PERSISTER_LAMBDA_NAME=PERSISTER)
    calls = invocations(merged)
    merged.lambda_handler({"iotDeviceId": "p1", "time": "t", "pressure": 21}, context)

    assert calls[0]["Payload"] == {"iotDeviceId": "p1", "time": "t", "pressure": 42}


def test_merged_package_with_crashing_user_script_logs_user_logic_error(
    load_function, util, tmp_path, context, logs, invocations
):
    user_logic = tmp_path / "process.py"
    user_logic.write_text("def process(event):\n    return event['missing'] + 1\n")
    package = tmp_path / "package"
    zipfile.ZipFile(
        io.BytesIO(util.compile_merged_lambda_function(FUNCTIONS_DIR / "processor_wrapper", user_logic))
    ).extractall(package)
    merged = load_function("processor_wrapper", folder=package, PERSISTER_LAMBDA_NAME=PERSISTER)
    calls = invocations(merged)

    with pytest.raises(KeyError):
        merged.lambda_handler({"iotDeviceId": "p1"}, context)
    assert logs.messages("ERROR") == ["[USER_LOGIC_ERROR] KeyError: 'missing'"]
    assert calls == []


@pytest.fixture
def default_processor(load_function):
    return load_function("default-processor", PERSISTER_LAMBDA_NAME=PERSISTER)


def test_default_processor_forwards_event_unchanged_to_persister(
    default_processor, context, logs, invocations
):
    calls = invocations(default_processor)
    event = {"iotDeviceId": "d1", "time": "t", "v": 3}
    assert default_processor.lambda_handler(event, context) == {"status": "processed", "persister": PERSISTER}
    assert calls == [{"FunctionName": PERSISTER, "InvocationType": "Event", "Payload": event}]
    assert logs.messages() == ["Event forwarded to persister"]


@pytest.mark.parametrize("event", [{"time": "t"}, [1], "text", {"iotDeviceId": ""}])
def test_default_processor_rejects_event_without_device_and_logs_failure(
    default_processor, context, logs, invocations, event
):
    calls = invocations(default_processor)
    assert default_processor.lambda_handler(event, context)["status"] == "rejected"
    assert logs.messages("ERROR") == ["Default processor failed: event is not an object with an iotDeviceId"]
    assert calls == []


def test_default_processor_logs_and_reraises_when_persister_invoke_fails(default_processor, context, logs):
    with pytest.raises(default_processor.lambda_client.exceptions.ResourceNotFoundException):
        default_processor.lambda_handler({"iotDeviceId": "d1", "time": "t"}, context)
    assert logs.messages("ERROR") == ["Default processor failed: persister invoke failed"]


def test_default_processor_without_persister_name_raises(default_processor, context, logs, monkeypatch):
    monkeypatch.delenv("PERSISTER_LAMBDA_NAME")
    with pytest.raises(default_processor.ConfigurationError):
        default_processor.lambda_handler({"iotDeviceId": "d1"}, context)
    assert logs.messages("ERROR") == ["Default processor failed: PERSISTER_LAMBDA_NAME is not set"]
