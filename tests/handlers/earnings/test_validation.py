"""The event schema: what a valid event is, and how every kind of invalid event is reported."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

IDENTIFIER_RULE = "must be a string of 1-128 characters from A-Z a-z 0-9 _ . : - (starting alphanumeric)"
TIMESTAMP_RULE = "must be an ISO-8601 timestamp with a UTC offset"


def parse(handler, event):
    return handler.validation.parse_event(
        event, expected_source="com.example.earnings", expected_detail_type="EarningsProcessingCompleted"
    )


def issues_of(handler, event) -> list[tuple[str, str]]:
    with pytest.raises(handler.validation.EventValidationError) as caught:
        parse(handler, event)
    return [(issue.field, issue.problem) for issue in caught.value.issues]


def test_valid_event_is_parsed_with_timestamp_normalised_to_utc(handler, make_event):
    parsed = parse(handler, make_event("earn-9", processedAt="2026-11-23T10:00:00+01:00"))

    assert parsed == handler.validation.EarningsProcessedEvent(
        event_id="evt-earn-9",
        source="com.example.earnings",
        detail_type="EarningsProcessingCompleted",
        earnings_id="earn-9",
        processed_by="payout-batch",
        processed_at="2026-11-23T09:00:00.000Z",
        correlation_id="corr-earn-9",
    )


def test_correlation_id_defaults_to_the_event_id(handler, make_event):
    event = make_event()
    del event["detail"]["correlationId"]

    assert parse(handler, event).correlation_id == "evt-earn-001"


def test_unknown_detail_fields_are_ignored(handler, make_event):
    parsed = parse(handler, make_event(amount=1234.5, payeeIban="DE89370400440532013000"))

    assert parsed.earnings_id == "earn-001"


def test_event_that_is_not_an_object_is_rejected(handler):
    assert issues_of(handler, ["not", "an", "event"]) == [("event", "must be a JSON object")]


def test_every_problem_is_reported_at_once(handler):
    assert issues_of(handler, {"source": "other.app", "detail": "text"}) == [
        ("id", "is required"),
        ("source", "must be 'com.example.earnings'"),
        ("detail-type", "must be 'EarningsProcessingCompleted'"),
        ("detail", "must be a JSON object"),
    ]


def test_missing_detail_fields_are_each_named(handler, make_event):
    event = make_event()
    event["detail"] = {}

    assert issues_of(handler, event) == [
        ("detail.earningsId", "is required"),
        ("detail.processedBy", "is required"),
        ("detail.processedAt", "is required"),
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"earningsId": ""}, ("detail.earningsId", IDENTIFIER_RULE)),
        ({"earningsId": 42}, ("detail.earningsId", IDENTIFIER_RULE)),
        ({"earningsId": "a" * 129}, ("detail.earningsId", IDENTIFIER_RULE)),
        ({"earningsId": "earn 1"}, ("detail.earningsId", IDENTIFIER_RULE)),
        ({"earningsId": "earn-1\n"}, ("detail.earningsId", IDENTIFIER_RULE)),
        ({"processedBy": "-leading-dash"}, ("detail.processedBy", IDENTIFIER_RULE)),
        ({"processedAt": "yesterday"}, ("detail.processedAt", TIMESTAMP_RULE)),
        ({"processedAt": "2026-11-23T09:00:00"}, ("detail.processedAt", TIMESTAMP_RULE)),
        ({"processedAt": 1795425876}, ("detail.processedAt", TIMESTAMP_RULE)),
        ({"correlationId": "has spaces"}, ("detail.correlationId", IDENTIFIER_RULE)),
    ],
)
def test_malformed_detail_field_is_reported_with_its_rule(handler, make_event, overrides, expected):
    assert issues_of(handler, make_event(**overrides)) == [expected]


def test_malformed_envelope_time_is_reported(handler, make_event):
    event = make_event()
    event["time"] = "not-a-time"

    assert issues_of(handler, event) == [("time", TIMESTAMP_RULE)]


def test_summary_names_fields_and_rules_but_never_values(handler, make_event):
    secret = "4111-1111-1111-1111 Jane Doe"
    event = make_event(earningsId=secret, processedAt=secret)

    with pytest.raises(handler.validation.EventValidationError) as caught:
        parse(handler, event)

    assert str(caught.value) == f"detail.earningsId: {IDENTIFIER_RULE}; detail.processedAt: {TIMESTAMP_RULE}"
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"id": "evt-1", "detail": {"correlationId": "corr-1"}}, "corr-1"),
        ({"id": "evt-1", "detail": {"correlationId": "bad value"}}, "evt-1"),
        ({"id": "evt-1", "detail": "text"}, "evt-1"),
        ({"id": "bad id", "detail": {}}, None),
        ("not a dict", None),
    ],
)
def test_correlation_id_of_an_unvalidated_event_is_only_ever_a_well_formed_identifier(handler, event, expected):
    assert handler.validation.correlation_id_of(event) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values | st.just("evt-1"),
        "source": json_values | st.just("com.example.earnings"),
        "detail-type": json_values | st.just("EarningsProcessingCompleted"),
        "time": json_values | st.just("2026-11-23T09:00:00Z"),
        "detail": st.fixed_dictionaries(
            {},
            optional={
                "earningsId": json_values | st.just("earn-1"),
                "processedBy": json_values | st.just("batch"),
                "processedAt": json_values | st.just("2026-11-23T09:00:00Z"),
                "correlationId": json_values | st.just("corr-1"),
            },
        ) | json_values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=event_like | json_values)
def test_any_json_input_is_either_parsed_or_rejected_with_named_issues(handler, event):
    try:
        parsed = parse(handler, event)
    except handler.validation.EventValidationError as exc:
        assert exc.issues, "a rejection always names at least one issue"
        assert all(issue.field and issue.problem for issue in exc.issues)
    else:
        assert handler.validation.IDENTIFIER.fullmatch(parsed.earnings_id)
        assert parsed.processed_at.endswith("Z")
