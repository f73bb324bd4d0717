"""shared: masking, timestamps, env configuration, AWS error classification, JSON, secrets."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, NoCredentialsError


@pytest.fixture
def obs(mod):
    return mod("shared.observability")


@pytest.mark.parametrize(
    "raw, masked",
    [("whatsapp:+14155238886", "whatsapp:+*******8886"), ("+14155238886", "+*******8886"),
     ("jane.doe@example.com", "j***@example.com"), ("+123", "+***"), ("no digits", "***"), (None, None)],
)
def test_mask_address(obs, raw, masked):
    assert obs.mask_address(raw) == masked


def test_timestamps_are_fixed_width_and_sort_chronologically(mod):
    timeutil = mod("shared.timeutil")
    a = timeutil.to_iso(datetime(2026, 1, 1, 9, 0, 0, tzinfo=UTC))
    b = timeutil.to_iso(datetime(2026, 1, 1, 10, 0, 0, 5, tzinfo=UTC))
    assert a == "2026-01-01T09:00:00.000000Z"
    assert len(a) == len(b) == 27 and a < b
    assert timeutil.parse_iso(b) - timeutil.parse_iso(a) == timedelta(hours=1, microseconds=5)
    assert timeutil.parse_iso("2026-01-01T09:00:00") == datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert timeutil.parse_iso("2026-01-01T11:00:00+02:00") == datetime(2026, 1, 1, 9, tzinfo=UTC)


def test_env_helpers(mod, monkeypatch):
    config = mod("shared.config")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_BAD", "forty")
    monkeypatch.setenv("X_BLANK", "  ")
    monkeypatch.setenv("X_FLOAT", "-3")
    assert config.env_int("X_INT", 1) == 42
    assert config.env_int("X_INT", 1, maximum=10) == 10
    assert config.env_int("X_INT", 1, minimum=50) == 50
    assert config.env_int("X_BAD", 7) == 7
    assert config.env_int("X_UNSET", 7) == 7
    assert config.env_str("X_BLANK", "d") == "d"
    assert config.env_float("X_FLOAT", 1.0) == 0.0
    assert config.env_float("X_BAD", 1.5) == 1.5


def test_boto_config_limits_attempts(mod):
    config = mod("shared.config")
    assert config.BOTO_CONFIG.retries == {"mode": "standard", "total_max_attempts": 3}


def test_aws_error_classification(mod, h):
    errors = mod("shared.aws_errors")
    assert errors.is_transient(h.client_error("ThrottlingException"))
    assert errors.is_transient(h.client_error("Whatever", 500))
    assert errors.is_transient(EndpointConnectionError(endpoint_url="https://x"))
    assert errors.is_transient(ConnectTimeoutError(endpoint_url="https://x"))
    assert not errors.is_transient(h.client_error("ValidationException"))
    assert not errors.is_transient(NoCredentialsError())
    assert not errors.is_transient(ValueError())
    assert errors.error_code(ValueError()) == "ValueError"
    assert errors.is_conditional_check_failure(h.client_error("ConditionalCheckFailedException"))
    assert errors.is_aws_error(NoCredentialsError()) and not errors.is_aws_error(ValueError())


def test_json_dumps_handles_dynamodb_types(mod):
    jsonutil = mod("shared.jsonutil")
    value = {"n": Decimal(3), "f": Decimal("1.5"), "s": {"b", "a"}, "raw": b"x"}
    assert json.loads(jsonutil.dumps(value)) == {"n": 3, "f": 1.5, "s": ["a", "b"], "raw": "x"}
    with pytest.raises(TypeError):
        jsonutil.dumps({"x": object()})


def test_secret_name_defaults_to_the_environment(mod, monkeypatch):
    secrets = mod("shared.secrets")
    monkeypatch.delenv("TWILIO_SECRET_NAME")
    monkeypatch.setenv("ENVIRONMENT_NAME", "prod")
    assert secrets.twilio_secret_name() == "/replies-engine/prod/twilio"


@pytest.mark.parametrize("secret_string", ["not json", json.dumps({"twilio_account_sid": "AC1"}),
                                           json.dumps({"twilio_account_sid": "AC1", "twilio_auth_token": " "})])
def test_malformed_secret_is_a_permanent_error(mod, aws, h, secret_string):
    secrets = mod("shared.secrets")
    aws.secrets.put_secret_value(SecretId=h.SECRET_NAME, SecretString=secret_string)
    with pytest.raises(secrets.SecretUnavailableError) as raised:
        secrets.get_twilio_credentials()
    assert raised.value.transient is False


def test_secret_fetch_programming_errors_propagate(mod, aws, fail_call):
    secrets = mod("shared.secrets")
    fail_call(secrets.secretsmanager, "GetSecretValue", RuntimeError("bug"))
    with pytest.raises(RuntimeError):
        secrets.get_twilio_credentials()


def test_secret_fetch_throttling_is_transient(mod, aws, fail_call, h):
    secrets = mod("shared.secrets")
    fail_call(secrets.secretsmanager, "GetSecretValue", h.client_error("ThrottlingException"))
    with pytest.raises(secrets.SecretUnavailableError) as raised:
        secrets.get_twilio_credentials()
    assert raised.value.transient is True
    assert str(raised.value) == f"Could not read secret {h.SECRET_NAME}: ThrottlingException"
