"""Webhook senders (AWS_BEHAVIOUR "Twilio webhooks")."""
import pytest

from harness import InputError
from harness.sources.webhook import ConnectionOverrides


def test_twilio_webhook_is_signed_and_the_handler_validates_it(sim):
    response = sim.webhook("/sms", {"From": "+15550001", "Body": "hi"}, auth_token="test-token")
    assert response.status == 200
    assert response.body == "<Response><Message>got hi from +15550001</Message></Response>"


def test_wrong_auth_token_fails_validation(sim):
    response = sim.webhook("/sms", {"From": "+15550001", "Body": "hi"}, auth_token="other-token")
    assert response.status == 403


def test_twilio_form_has_the_documented_fields(sim):
    from harness.sources import of
    from harness.sources.webhook import WebhookSender
    form = WebhookSender(of(sim)).twilio_params({"Body": "x"})
    assert {"From", "To", "Body", "MessageSid", "AccountSid", "NumMedia"} <= set(form)
    assert form["MessageSid"].startswith("SM") and len(form["MessageSid"]) == 34


def test_twilio_retries_5xx_when_the_retry_policy_says_so(sim):
    response = sim.webhook("/misc/flaky#rc=3&rp=5xx", {"Body": "x"})
    assert response.status == 200
    assert [e.data["status"] for e in sim.trace.of("webhook")] == [503, 503, 200]


def test_twilio_default_policy_does_not_retry_5xx(sim):
    response = sim.webhook("/misc/flaky", {"Body": "x"})
    assert response.status == 503
    assert len(sim.trace.of("webhook")) == 1


def test_twilio_read_timeout_is_retried_and_bounded_by_total_time(sim):
    response = sim.webhook("/misc/slow#rt=2000&rc=2&rp=rt&tt=5000", {"Body": "x"})
    attempts = sim.trace.of("webhook")
    assert [e.data["failure"] for e in attempts] == ["rt", "rt", "rt"]
    assert [round(e.t, 3) for e in attempts] == [2.0, 4.0, 5.0]  # the third attempt only had 1 s of tt left
    assert response.status == 0


def test_twilio_falls_back_to_the_fallback_url(sim):
    response = sim.webhook("http://127.0.0.1:1/down#rc=1", {"From": "+1", "Body": "hi"}, auth_token="test-token",
                           fallback_url="/sms")
    assert response.status == 200
    assert [e.data["failure"] for e in sim.trace.of("webhook")] == ["ct", "ct", None]


def test_json_sender_retries_5xx_with_backoff(sim):
    response = sim.webhook("/misc/flaky", {"a": 1}, kind="json", retries=3)
    assert response.status == 200
    assert [round(e.t) for e in sim.trace.of("webhook")] == [0, 1, 3]


def test_connection_overrides_defaults_and_errors():
    assert ConnectionOverrides.parse("") == ConnectionOverrides(5000, 15000, 15000, 1, frozenset({"ct"}))
    assert ConnectionOverrides.parse("rc=3&rp=5xx,rt").retries("rt")
    with pytest.raises(InputError, match="#rc='9': expected 0-5"):
        ConnectionOverrides.parse("rc=9")
    with pytest.raises(InputError, match="unknown Twilio connection override #xx"):
        ConnectionOverrides.parse("xx=1")
