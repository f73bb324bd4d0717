"""core.signature: X-Twilio-Signature checked with the twilio library against the Secrets Manager token."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator


@pytest.fixture
def signature(mod, aws):
    return mod("webhook_handler.core.signature")


def test_valid_signature_passes(signature, h):
    assert signature.is_valid_twilio_request(h.twilio_event("whatsapp")) is True


def test_signature_made_with_another_token_fails(signature, h):
    assert signature.is_valid_twilio_request(h.twilio_event("whatsapp", token="wrong")) is False


def test_tampered_body_fails(signature, h):
    event = h.twilio_event("sms")
    event["body"] = event["body"].replace("Hello", "Goodbye")
    assert signature.is_valid_twilio_request(event) is False


def test_signature_for_another_url_fails(signature, h):
    event = h.twilio_event("sms")
    event["requestContext"]["path"] = "/prod/sms"
    assert signature.is_valid_twilio_request(event) is False


def test_missing_header_fails_without_reading_the_secret(signature, h, fail_call, mod):
    state = fail_call(mod("shared.secrets").secretsmanager, "GetSecretValue", h.client_error("ThrottlingException"))
    event = h.twilio_event("sms")
    event["headers"].pop("X-Twilio-Signature")
    assert signature.is_valid_twilio_request(event) is False
    assert state["calls"] == 0


def test_header_lookup_is_case_insensitive(signature, h):
    event = h.twilio_event("sms")
    event["headers"] = {key.lower(): value for key, value in event["headers"].items()}
    assert signature.is_valid_twilio_request(event) is True


def test_missing_body_fails(signature, h):
    event = h.twilio_event("sms")
    event["body"] = None
    assert signature.is_valid_twilio_request(event) is False


def test_repeated_form_fields_are_all_signed(signature, h):
    params = h.twilio_params("sms")
    pairs = list(params.items()) + [("MediaUrl", "https://a.example/1"), ("MediaUrl", "https://a.example/2")]
    url = f"https://{h.API_HOST}/dev/sms"

    class Multi(dict):
        def getlist(self, key):
            return self[key]

    multi = Multi({key: [value for k, value in pairs if k == key] for key, _ in pairs})
    sig = RequestValidator(h.AUTH_TOKEN).compute_signature(url, multi)
    event = h.api_event("/sms", urlencode(pairs), headers={"X-Twilio-Signature": sig})
    assert signature.is_valid_twilio_request(event) is True


def test_base_url_override_for_custom_domains(signature, h, monkeypatch):
    monkeypatch.setenv("TWILIO_WEBHOOK_BASE_URL", "https://hooks.example.com/replies/")
    params = h.twilio_params("whatsapp")
    sig = RequestValidator(h.AUTH_TOKEN).compute_signature("https://hooks.example.com/replies/whatsapp", params)
    event = h.api_event("/whatsapp", urlencode(params), headers={"X-Twilio-Signature": sig})
    assert signature.webhook_url(event) == "https://hooks.example.com/replies/whatsapp"
    assert signature.is_valid_twilio_request(event) is True


def test_query_string_is_part_of_the_signed_url(signature, h):
    event = h.api_event("/sms", "", multiValueQueryStringParameters={"tenant": ["acme"]},
                        queryStringParameters={"tenant": "acme"})
    assert signature.webhook_url(event) == f"https://{h.API_HOST}/dev/sms?tenant=acme"
    event["multiValueQueryStringParameters"] = None
    assert signature.webhook_url(event) == f"https://{h.API_HOST}/dev/sms?tenant=acme"


def test_url_falls_back_to_event_path_and_https(signature):
    event = {"path": "/sms", "headers": {"Host": "h.example"}, "requestContext": {}}
    assert signature.webhook_url(event) == "https://h.example/sms"


def test_forwarded_proto_is_respected(signature):
    event = {"path": "/sms", "headers": {"Host": "h.example", "X-Forwarded-Proto": "http, https"}}
    assert signature.webhook_url(event) == "http://h.example/sms"


def test_auth_token_is_cached_per_container(signature, h, record_calls, mod):
    calls = record_calls(mod("shared.secrets").secretsmanager, "GetSecretValue")
    for _ in range(3):
        assert signature.is_valid_twilio_request(h.twilio_event("sms")) is True
    assert len(calls) == 1


def test_rotated_token_is_picked_up_after_the_cache_ttl(signature, h, aws, monkeypatch):
    monkeypatch.setenv("SECRET_CACHE_TTL_SECONDS", "0")
    assert signature.is_valid_twilio_request(h.twilio_event("sms")) is True
    aws.secrets.put_secret_value(
        SecretId=h.SECRET_NAME,
        SecretString=json.dumps({"twilio_account_sid": h.ACCOUNT_SID, "twilio_auth_token": "rotated"}),
    )
    assert signature.is_valid_twilio_request(h.twilio_event("sms")) is False
    assert signature.is_valid_twilio_request(h.twilio_event("sms", token="rotated")) is True


def test_rotated_token_is_accepted_within_the_cache_ttl_after_one_fresh_read(signature, h, aws, record_calls, mod,
                                                                             monkeypatch):
    calls = record_calls(mod("shared.secrets").secretsmanager, "GetSecretValue")
    clock = [1000.0]
    monkeypatch.setattr(mod("shared.secrets").time, "time", lambda: clock[0])
    assert signature.is_valid_twilio_request(h.twilio_event("sms")) is True
    aws.secrets.put_secret_value(
        SecretId=h.SECRET_NAME,
        SecretString=json.dumps({"twilio_account_sid": h.ACCOUNT_SID, "twilio_auth_token": "rotated"}),
    )
    clock[0] += signature.ROTATION_RECHECK_SECONDS + 1
    assert signature.is_valid_twilio_request(h.twilio_event("sms", token="rotated")) is True
    assert signature.is_valid_twilio_request(h.twilio_event("sms", token="rotated")) is True
    assert len(calls) == 2


def test_forged_signatures_reread_the_secret_at_most_once_per_recheck_interval(signature, h, record_calls, mod,
                                                                               monkeypatch):
    calls = record_calls(mod("shared.secrets").secretsmanager, "GetSecretValue")
    clock = [1000.0]
    monkeypatch.setattr(mod("shared.secrets").time, "time", lambda: clock[0])
    assert signature.is_valid_twilio_request(h.twilio_event("sms")) is True
    clock[0] += signature.ROTATION_RECHECK_SECONDS + 1
    for _ in range(5):
        assert signature.is_valid_twilio_request(h.twilio_event("sms", token="forged")) is False
    assert len(calls) == 2
