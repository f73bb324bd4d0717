"""HTTP effects on outbound requests from handler code (urllib and requests), on calls to the harness gateway,
and on third-party APIs declared on `sim.http_mock` (Twilio's own client)."""
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

TWILIO_MESSAGES = re.compile(r"https://api\.twilio\.com/2010-04-01/Accounts/AC0+/Messages\.json")
CLIENTS = ["urllib", "requests"]


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 that records what it receives (a stand-in for another cloud's API)."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            received.append({"method": self.command, "path": self.path, "body": self.rfile.read(length),
                             "content_type": self.headers.get("Content-Type")})
            body = json.dumps({"ok": True, "n": len(received)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


def fetch(sim, url, client="urllib", **extra):
    return sim.invoke("Fetch", {"url": url, "client": client, **extra}).payload


@pytest.mark.parametrize("client", CLIENTS)
def test_http_status_answers_with_that_status_and_the_request_never_arrives(simulate, server, client):
    url, received = server
    statuses = [400, 401, 403, 404, 429, 500, 502, 503, 504]
    rules = [{"match": {"service": "http", "url": f"/orders/{status}"},
              "effect": {"type": "http_status", "status": status}} for status in statuses]
    with simulate(rules) as sim:
        for status in statuses:
            outcome = fetch(sim, f"{url}/orders/{status}", client)
            assert outcome["status"] == status
            assert json.loads(outcome["body"])["message"]  # a JSON body like real gateways send
            if client == "urllib":
                assert outcome["error"] == "HTTPError"  # urllib raises for 4xx/5xx, as in production
                assert outcome["retry_after"] == ("1" if status == 429 else None)
    assert received == []


@pytest.mark.parametrize("client", CLIENTS)
def test_http_status_with_a_custom_body_and_headers(simulate, server, client):
    url, _ = server
    rules = [{"match": {"host": "127.0.0.1"},
              "effect": {"type": "http_status", "status": 503, "body": "<html>down</html>",
                         "headers": {"Content-Type": "text/html"}}}]
    with simulate(rules) as sim:
        outcome = fetch(sim, f"{url}/x", client)
    assert (outcome["status"], outcome["body"]) == (503, "<html>down</html>")


# (kind, what urllib raises or wraps, what requests raises)
ERRORS = [("refused", "URLError/ConnectionRefusedError", "ConnectionError"),
          ("reset", "ConnectionResetError", "ConnectionError"),
          ("closed", "RemoteDisconnected", "ConnectionError"),
          ("connect_timeout", "URLError/TimeoutError", "ConnectTimeout"),
          ("read_timeout", "TimeoutError", "ReadTimeout")]


@pytest.mark.parametrize("client", CLIENTS)
def test_connection_failures_raise_each_clients_own_exception(simulate, server, client):
    url, received = server
    rules = [{"match": {"service": "http", "url": f"/{kind}"}, "effect": {"type": "http_error", "error": kind}}
             for kind, _, _ in ERRORS]
    with simulate(rules) as sim:
        for kind, urllib_error, requests_error in ERRORS:
            started = sim.now
            outcome = fetch(sim, f"{url}/{kind}", client, timeout=4)
            if client == "urllib":
                got = outcome["error"] if outcome["error"] != "URLError" else f"URLError/{outcome['reason']}"
                assert got == urllib_error
            else:
                assert outcome["error"] == requests_error
            # timeouts wait the client's own timeout, in virtual time
            assert sim.now - started == (4.0 if "timeout" in kind else 0.0), kind
    assert received == []


def test_latency_delays_the_request_in_virtual_time(simulate, server):
    url, received = server
    rules = [{"match": {"url": f"{url}/slow"}, "effect": {"type": "latency", "seconds": 3}}]
    with simulate(rules) as sim:
        assert fetch(sim, f"{url}/slow")["status"] == 200
        assert sim.trace.of("http", path="/slow")[0].t == 3.0
    assert len(received) == 1


@pytest.mark.parametrize("client", CLIENTS)
def test_latency_beyond_the_clients_timeout_is_a_read_timeout_and_the_request_is_not_served(
        simulate, server, client):
    url, received = server
    rules = [{"match": {"url": f"{url}/slow"}, "effect": {"type": "latency", "seconds": 8}}]
    with simulate(rules) as sim:
        started = sim.now
        outcome = fetch(sim, f"{url}/slow", client, timeout=5)
        assert sim.now - started == 5.0
    assert outcome["error"] == ("TimeoutError" if client == "urllib" else "ReadTimeout")
    assert received == []


@pytest.mark.parametrize("client", CLIENTS)
def test_a_body_that_is_not_what_was_promised(simulate, server, client):
    url, _ = server
    rules = [{"match": {"url": "/html"}, "effect": {"type": "http_body", "body": "<html>maintenance</html>",
                                                   "content_type": "text/html"}},
             {"match": {"url": "/cut"}, "effect": {"type": "http_body", "mutator": "truncated_json"}}]
    with simulate(rules) as sim:
        html = fetch(sim, f"{url}/html", client)
        cut = fetch(sim, f"{url}/cut", client)
    assert (html["status"], html["body"], html["content_type"]) == (200, "<html>maintenance</html>", "text/html")
    assert cut["status"] == 200 and cut["body"].startswith('{"ok"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut["body"])


@pytest.mark.parametrize("client", CLIENTS)
def test_a_lost_response_reaches_the_server_but_the_client_times_out(simulate, server, client):
    url, received = server
    rules = [{"match": {"service": "http", "method": "POST"}, "effect": {"type": "response_lost"}}]
    with simulate(rules) as sim:
        outcome = fetch(sim, f"{url}/ingest", client, method="POST", body='{"reading": 1}', timeout=5)
        assert sim.trace.of("invoke_end", function="faults-fetch")[0].t == 5.0
    assert outcome["error"] == ("TimeoutError" if client == "urllib" else "ReadTimeout")
    assert [r["body"] for r in received] == [b'{"reading": 1}']


def test_a_duplicate_sends_the_request_twice(simulate, server):
    url, received = server
    rules = [{"match": {"url": "/hook"}, "effect": {"type": "duplicate"}}]
    with simulate(rules) as sim:
        outcome = fetch(sim, f"{url}/hook", "requests", method="POST", body="From=%2B1&Body=hi")
    assert json.loads(outcome["body"]) == {"ok": True, "n": 2}
    assert [r["body"] for r in received] == [b"From=%2B1&Body=hi"] * 2


def test_a_mutated_request_body_reaches_the_server(simulate, server):
    url, received = server
    rules = [{"match": {"url": "/hook"}, "effect": {"type": "mutate", "mutator": "duplicate_form_key", "path": "body",
                                                   "value": "second"}}]
    with simulate(rules) as sim:
        fetch(sim, f"{url}/hook", "urllib", method="POST", body="From=%2B1&Body=hi")
    assert received[0]["body"] in (b"From=%2B1&Body=hi&From=second", b"From=%2B1&Body=hi&Body=second")


@pytest.mark.parametrize("client", CLIENTS)
def test_only_loopback_or_mocked_endpoints_are_reachable(simulate, client):
    with simulate() as sim:
        outcome = fetch(sim, "https://api.example.com/v1/things?token=secret", client)
        refused = sim.trace.of("refused")
    assert outcome["error"] == ("URLError" if client == "urllib" else "ConnectionError")
    assert "inside a simulation only loopback and mocked endpoints are reachable" in outcome["message"]
    assert "sim.http_mock.add('GET', 'https://api.example.com/v1/things'" in outcome["message"]
    assert refused and "token=secret" not in refused[0].data["url"]


@pytest.mark.parametrize("client", CLIENTS)
def test_declared_third_party_endpoints_answer_and_can_be_faulted(simulate, client):
    rules = [{"match": {"host": "api.partner.example", "nth": 2}, "effect": {"type": "http_status", "status": 500}}]
    with simulate(rules) as sim:
        sim.http_mock.add("GET", "https://api.partner.example/v1/rates", json={"rate": 1.5})
        first, second = fetch(sim, "https://api.partner.example/v1/rates", client, times=2)
        assert sim.http_mock.calls[0].request.url == "https://api.partner.example/v1/rates"
    assert (first["status"], json.loads(first["body"])) == (200, {"rate": 1.5})
    assert second["status"] == 500


def test_twilio_client_sends_through_the_declared_mock(simulate):
    with simulate() as sim:
        sim.http_mock.add("POST", TWILIO_MESSAGES, status=201,
                          json={"sid": "SM" + "1" * 32, "status": "queued", "account_sid": "AC" + "0" * 32})
        assert sim.invoke("Sms", {"to": "+15005550001", "body": "hi"}).payload == {
            "sid": "SM" + "1" * 32, "status": "queued"}
        sent = sim.http_mock.calls[0].request
    assert "To=%2B15005550001" in sent.body and "Body=hi" in sent.body


def test_twilio_errors_and_timeouts_reach_the_handler_as_twilio_and_requests_exceptions(simulate):
    rules = [{"match": {"host": "api.twilio.com", "nth": 1},
              "effect": {"type": "http_status", "status": 429, "json": {"code": 20429, "message": "Too Many Requests",
                                                                       "status": 429}}},
             {"match": {"host": "api.twilio.com", "nth": 2}, "effect": {"type": "http_error", "error": "read_timeout"}}]
    with simulate(rules) as sim:
        sim.http_mock.add("POST", TWILIO_MESSAGES, status=201, json={"sid": "SM1", "status": "queued"})
        limited = sim.invoke("Sms", {"to": "+15005550001", "body": "hi"}).payload
        timed_out = sim.invoke("Sms", {"to": "+15005550001", "body": "hi"}).payload
        sent = sim.invoke("Sms", {"to": "+15005550001", "body": "hi"}).payload
    assert limited == {"error": "TwilioRestException", "status": 429, "code": 20429}
    assert timed_out == {"error": "ReadTimeout"}
    assert sent == {"sid": "SM1", "status": "queued"}


@pytest.mark.parametrize("client", CLIENTS)
def test_calls_to_the_harness_gateway_are_fault_injectable(simulate, client):
    rules = [{"match": {"service": "http", "url": "/echo*", "nth": 1}, "effect": {"type": "http_status", "status": 502}}]
    with simulate(rules) as sim:
        faulted = fetch(sim, "{ECHO_URL}echo", client)
        served = fetch(sim, "{ECHO_URL}echo", client)
        echoed = [r for r in sim.invocations if r.function == "faults-echo"]
    assert faulted["status"] == 502
    assert served["status"] == 200 and json.loads(served["body"])["event"]["rawPath"] == "/echo"
    assert len(echoed) == 1  # the faulted request never reached the function


def test_outbound_http_is_a_yield_point(simulate, server):
    url, _ = server
    with simulate(seed=3) as sim:
        for name in ("a", "b"):
            sim.invoke("Fetch", {"url": f"{url}/{name}", "times": 2}, type="Event")
        sim.run_until_idle()
        callers = [e.data["path"] for e in sim.trace.of("http")]
    # Both invocations were in flight at once: each request handed the baton back to the scheduler.
    assert sorted(callers) == ["/a", "/a", "/b", "/b"]
    assert callers not in (["/a", "/a", "/b", "/b"], ["/b", "/b", "/a", "/a"])


@pytest.mark.parametrize("kind,waited", [("connect_timeout", 2.0), ("read_timeout", 5.0)])
def test_requests_connect_and_read_timeouts_are_waited_apart(simulate, server, kind, waited):
    url, _ = server
    rules = [{"match": {"service": "http", "url": f"/{kind}"}, "effect": {"type": "http_error", "error": kind}}]
    with simulate(rules) as sim:
        outcome = fetch(sim, f"{url}/{kind}", "requests", timeout=[2, 5])  # requests' (connect, read) tuple
        assert outcome["error"] == ("ConnectTimeout" if kind == "connect_timeout" else "ReadTimeout")
        assert sim.now == pytest.approx(waited)
