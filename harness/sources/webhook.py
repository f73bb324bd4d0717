"""Webhook senders: a Twilio-like sender (form body, `X-Twilio-Signature`, Twilio's retries, connection overrides
and fallback URL) and a plain JSON sender. Both call from outside the simulation, through the real gateway server.

Twilio's connection overrides travel in the URL fragment (`https://host/sms#rc=3&rp=all&rt=2000`); the fragment is
never sent and is not part of the signed URL. Defaults, per Twilio's documentation: ct 5000 ms, rt 15000 ms,
tt 15000 ms, rc 1, rp ct (retry only when the connection fails). Retries follow at once; timeouts are virtual time.
"""
from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from twilio.request_validator import RequestValidator

from harness.errors import InputError
from harness.sources.httpmodel import HttpRequest, HttpResponse

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources

RETRY_POLICIES = {"ct", "rt", "4xx", "5xx", "all"}
DEFAULT_AUTH_TOKEN = "harness-twilio-auth-token"
NO_RESPONSE = 0  # HttpResponse.status when the last attempt got no HTTP answer (timeout, connection failure)


@dataclass(frozen=True)
class ConnectionOverrides:
    """Twilio's per-URL connection settings (milliseconds, retry count, retry policy)."""

    ct: int = 5000
    rt: int = 15000
    tt: int = 15000
    rc: int = 1
    rp: frozenset = frozenset({"ct"})

    @classmethod
    def parse(cls, fragment: str) -> ConnectionOverrides:
        """From a URL fragment like `rc=3&rp=5xx,rt&rt=2000`; bad values raise InputError with the valid range."""
        values: dict[str, Any] = {}
        limits = {"ct": (100, 10000), "rt": (100, 15000), "tt": (100, 15000), "rc": (0, 5)}
        for key, value in parse_qsl(fragment, keep_blank_values=True):
            if key in limits:
                low, high = limits[key]
                if not value.isdigit() or not low <= int(value) <= high:
                    raise InputError(f"Twilio connection override #{key}={value!r}: expected {low}-{high}")
                values[key] = int(value)
            elif key == "rp":
                policies = {p.strip() for p in value.split(",") if p.strip()}
                if not policies <= RETRY_POLICIES:
                    raise InputError(f"Twilio connection override #rp={value!r}: expected a comma list of "
                                     f"{', '.join(sorted(RETRY_POLICIES))}")
                values["rp"] = frozenset(policies)
            elif key not in ("e", "sni"):
                raise InputError(f"unknown Twilio connection override #{key} (known: ct, rt, tt, rc, rp, e, sni)")
        return cls(**values)

    def retries(self, failure: str) -> bool:
        """True when the policy retries this kind of failure (ct, rt, 4xx, 5xx)."""
        return "all" in self.rp or failure in self.rp


class WebhookSender:
    """Sends provider-style webhooks to the gateway from the test thread."""

    def __init__(self, sources: EventSources):
        self.sources = sources
        self.sim = sources.sim
        self.rng = sources.rng("webhook")

    def twilio(self, url: str, params: dict, *, auth_token: str | None = None, fallback_url: str | None = None,
               account_sid: str | None = None) -> HttpResponse:
        """POST an inbound-message webhook like Twilio does; returns the last response Twilio got."""
        token = auth_token or DEFAULT_AUTH_TOKEN
        form = self.twilio_params(params, account_sid)
        response = self._twilio_attempts(url, form, token)
        if not _acceptable(response) and fallback_url:
            self.sim.trace.record("webhook_fallback", url=_strip(fallback_url))
            response = self._twilio_attempts(fallback_url, form, token)
        return response

    def twilio_params(self, params: dict, account_sid: str | None = None) -> dict[str, str]:
        """Twilio's inbound SMS/WhatsApp form fields, with the given ones on top."""
        sid = "SM" + self._hex()
        account = account_sid or "AC" + "0" * 32
        form = {"ToCountry": "US", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received",
                "Body": "", "To": "+15005550006", "From": "+15005550001", "NumSegments": "1", "MessageSid": sid,
                "AccountSid": account, "ApiVersion": "2010-04-01"}
        form.update({str(k): str(v) for k, v in params.items()})
        return form

    def _hex(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _twilio_attempts(self, url: str, form: dict, token: str) -> HttpResponse:
        base, _, fragment = url.partition("#")
        overrides = ConnectionOverrides.parse(fragment)
        public_url, server, host, target = self.sources.resolve_url(base)
        body = urlencode(form).encode()
        signature = RequestValidator(token).compute_signature(public_url, form)
        headers = (("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"),
                   ("X-Twilio-Signature", signature), ("User-Agent", "TwilioProxy/1.1"), ("Accept", "*/*"),
                   ("I-Twilio-Idempotency-Token", self._hex()))
        request = HttpRequest("POST", target, headers, body)
        started = self.sim.clock.now()
        response = HttpResponse(NO_RESPONSE)
        for attempt in range(overrides.rc + 1):
            left = overrides.tt / 1000.0 - (self.sim.clock.now() - started)
            if left <= 0:
                break
            response, failure = self._attempt(server, request, host, min(overrides.rt / 1000.0, left))
            self.sim.trace.record("webhook", provider="twilio", url=public_url, attempt=attempt + 1,
                                  status=response.status, failure=failure)
            if failure is None or not overrides.retries(failure):
                break
        return response

    def json(self, url: str, payload: Any, *, headers: dict | None = None, retries: int = 0,
             timeout: float = 10.0) -> HttpResponse:
        """POST a JSON document; retries on timeout, connection failure and 5xx with 1 s, 2 s, 4 s ... backoff."""
        public_url, server, host, target = self.sources.resolve_url(url.partition("#")[0])
        head = [("Content-Type", "application/json")] + [(str(k), str(v)) for k, v in (headers or {}).items()]
        request = HttpRequest("POST", target, tuple(head), json.dumps(payload).encode())
        response = HttpResponse(NO_RESPONSE)
        for attempt in range(retries + 1):
            if attempt:
                self.sim.advance(2.0 ** (attempt - 1))
            response, failure = self._attempt(server, request, host, timeout)
            self.sim.trace.record("webhook", provider="json", url=public_url, attempt=attempt + 1,
                                  status=response.status, failure=failure)
            if failure not in ("ct", "rt", "5xx"):
                break
        return response

    def _attempt(self, server: Any, request: HttpRequest, host: str,
                 timeout: float) -> tuple[HttpResponse, str | None]:
        """One POST: (response, failure kind or None)."""
        if server is None:  # a loopback URL nothing listens on in the simulation: a real connection attempt
            return self._unserved(request, host)
        answer = self.sources.gateway.external(server, request, host, client_timeout=timeout)
        if answer is None:
            self.sim.advance(0)  # the timeout already moved virtual time
            return HttpResponse(NO_RESPONSE, {"X-Harness-Failure": "read timeout"}), "rt"
        if answer.status >= 500:
            return answer, "5xx"
        if answer.status >= 400:
            return answer, "4xx"
        return answer, None

    def _unserved(self, request: HttpRequest, host: str) -> tuple[HttpResponse, str | None]:
        hostname, _, port = host.partition(":")
        try:
            conn = http.client.HTTPConnection(hostname, int(port or 80), timeout=1.0)
            conn.request(request.method, request.target, request.body, dict(request.headers))
            reply = conn.getresponse()
            content = reply.read()
            return HttpResponse(reply.status, dict(reply.getheaders()), content.decode("utf-8", "replace"),
                                content), None
        except OSError as exc:
            return HttpResponse(NO_RESPONSE, {"X-Harness-Failure": f"connection failed: {exc}"}), "ct"


def _acceptable(response: HttpResponse) -> bool:
    return 200 <= response.status < 400


def _strip(url: str) -> str:
    return url.partition("#")[0]


def public_parts(url: str) -> tuple[str, str]:
    """(host, target) of an absolute URL."""
    parts = urlsplit(url)
    return parts.netloc, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
