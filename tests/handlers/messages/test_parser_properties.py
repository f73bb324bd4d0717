"""Property tests of the Message API's request parsing: any API Gateway event gives a valid request or
`RequestInvalid` (answered 400), never an unexpected exception (answered 500)."""
from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness import strategies as hs

# The package's fixtures are function-scoped; the parsers are pure and the handler test resets nothing it needs.
pure = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

VALID = {"recipient": "+15550100", "content": "Your code is 4711", "metadata": {"campaign": "spring"}}
bodies = hs.json_objects({"recipient": st.text(max_size=20), "content": st.text(max_size=20)},
                         optional={"metadata": st.dictionaries(st.text(max_size=8), hs.json_values(4), max_size=3)})
events = hs.api_gateway_events(path="/messages", body=bodies, headers=st.dictionaries(
    st.sampled_from(["Idempotency-Key", "X-Correlation-Id"]), st.text(max_size=20), max_size=2))
raw = st.fixed_dictionaries({"body": st.none() | st.text() | hs.json_values().map(json.dumps),
                             "isBase64Encoded": st.booleans(), "headers": st.none()})


def base64_event(text: str) -> dict:
    return {"body": text, "isBase64Encoded": True, "headers": {}}


@pure
@given(events | hs.mutated(events) | raw)
@example(base64_event("é"))  # non-ASCII "base64": ValueError (answered 500) before the fix
@example({"body": '{"recipient": "+1555", "content": "\\ud800"}', "headers": {}})  # lone surrogate: 500 before
@example({"body": '{"recipient": "+1555", "content": "x", "metadata": {"key\\n": "v"}}', "headers": {}})
@example({"body": "[" * 100_000, "headers": {}})
def test_request_parser_returns_a_request_or_request_invalid(import_src, event):
    validation = import_src("message_api.validation")
    try:
        request = validation.parse_request(event, 1024)
    except validation.RequestInvalid as invalid:
        assert invalid.problems and all(set(p) == {"field", "problem"} for p in invalid.problems)
        return
    assert request.recipient.strip() and request.content.strip()
    assert all(validation.METADATA_KEY.fullmatch(key) for key in request.metadata)
    assert len(request.fingerprint()) == 64  # the stored payload encodes


@pure
@given(st.dictionaries(st.text(max_size=20), st.text(max_size=20) | st.none() | st.integers(), max_size=4),
       st.text(max_size=20))
def test_header_lookup_is_case_insensitive_and_text_only(import_src, headers, name):
    http = import_src("message_api.http")
    found = http.get_header({"headers": headers, "multiValueHeaders": None}, name)
    assert found is None or (isinstance(found, str) and any(k.lower() == name.lower() for k in headers))


@pure
@given(st.datetimes(min_value=dt.datetime(1000, 1, 1), timezones=st.just(dt.UTC)))
def test_timestamps_round_trip_at_millisecond_precision(import_src, moment):
    clock = import_src("message_api.clock")
    text = clock.to_iso(moment)
    assert clock.from_iso(text) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@pure
@given(st.sampled_from(["é", "Zm9v\u00e9", "%%%", "eyJ9"]).map(base64_event)
       | hs.mutated(hs.api_gateway_events(path="/messages", body=st.just(VALID))))
@example(base64_event("é"))
def test_malformed_requests_are_answered_400_never_500(world, context, event):
    """A client's malformed request gets 400 VALIDATION_ERROR (or another 4xx), not SYSTEM_ERROR."""
    response = world.post().lambda_handler(event, context)
    assert response["statusCode"] < 500, response["body"]
