"""Property tests of the twin's parsers and validators: any input gives a valid result or the documented
refusal (ValueError for request bodies, a reason string, RuleError, ConfigValidationError), never another
exception."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness import strategies as hs

# The package's fixtures are function-scoped (moto per test); these parsers are pure and touch none of it.
pure = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

READING = {"iotDeviceId": "temperature-sensor-1", "time": "2030-01-01T00:00:00Z", "temperature": 20.5}
url_events = hs.http_api_events(path="/", body=st.just(READING) | hs.json_values()) | st.fixed_dictionaries(
    {"body": st.none() | st.text() | st.integers(), "isBase64Encoded": st.booleans()})
deep = {"body": "[" * 100_000, "isBase64Encoded": False}


@pure
@given(url_events | hs.mutated(hs.http_api_events(path="/", body=st.just({"payload": READING}))))
@example(deep)  # RecursionError (answered 500) before the fix
@example({"body": 7, "isBase64Encoded": False})  # TypeError before the fix
@example({"body": "é", "isBase64Encoded": True})
def test_request_bodies_decode_or_raise_value_error(load_function, event):
    for name in ("writer", "ingestion"):
        module = load_function(name)
        try:
            module._decode_body(event)
        except ValueError:
            pass


@pure
@given(hs.from_sample(READING) | hs.mutated(st.just(READING)) | hs.json_values())
def test_payload_and_record_validators_return_a_reason_or_none(load_function, payload):
    for name, validate in (("writer", "validate_payload"), ("persister", "validate_record")):
        reason = getattr(load_function(name), validate)(payload)
        assert reason is None or (isinstance(reason, str) and reason)


@pure
@given(hs.eventbridge_events(detail=hs.json_objects({"digitalTwinName": st.text(max_size=8),
                                                     "iotDeviceId": st.text(max_size=8),
                                                     "payload": hs.json_values(3)})) | hs.json_values())
def test_feedback_detail_is_valid_or_refused_with_a_reason(load_function, event):
    detail, reason = load_function("event-feedback").validate_detail(event)
    assert (detail is None) != (reason is None)
    if detail is not None:
        assert not any(c in detail["iotDeviceId"] for c in "#+/")


@pure
@given(st.sampled_from(["DOUBLE(", "INTEGER(", "STRING(", ""]).flatmap(
    lambda prefix: st.text(max_size=12).map(lambda rest: f"{prefix}{rest})")) | st.text(max_size=20))
@example("INTEGER(1_0)")
def test_rule_constants_parse_or_raise_rule_error(load_function, text):
    checker = load_function("event-checker")
    try:
        checker.extract_const_value(text)
    except checker.RuleError:
        pass


@pure
@given(hs.json_values() | hs.json_values().map(json.dumps) | st.binary(max_size=40) | st.text(max_size=40))
@example(b"\xff\xfe")  # UnicodeDecodeError before the fix
@example("[" * 100_000)
def test_dispatcher_events_parse_to_an_object_or_are_malformed(load_function, event):
    dispatcher = load_function("dispatcher")
    try:
        assert isinstance(dispatcher._parse_event(event), dict)
    except ValueError:
        pass


CONFIG_FILES = st.sampled_from(["config.json", "config_iot_devices.json", "config_events.json",
                                "config_providers.json", "config_inter_cloud.json", "other.json"])


@pure
@given(CONFIG_FILES, hs.json_values() | hs.json_values().map(json.dumps) | st.binary(max_size=30)
       | st.text(max_size=30))
@example("config.json", b"\xff")  # UnicodeDecodeError without the file name before the fix
@example("config_inter_cloud.json", '{"connections": {"a": {"provider": "aws"}}}')
@example("config.json", "[" * 100_000)
def test_config_files_validate_or_raise_config_validation_error(validator, filename, content):
    try:
        validator.validate_config_content(filename, content)
    except validator.ConfigValidationError as error:
        assert filename in str(error) or "Connection" in str(error) or "Entry" in str(error)


@pure
@given(st.text(max_size=60) | st.sampled_from(["def process(event):\n    return event\n",
                                               "def process(event, ctx=None): pass", "async def process(e): pass"]))
@example("x = '\x00'")  # NUL in source: ValueError from ast.parse (not a SyntaxError) before the fix
def test_user_process_code_is_accepted_or_refused_with_config_validation_error(validator, source):
    try:
        validator.validate_process_code(source)
    except validator.ConfigValidationError:
        pass
