"""sim.http and sim.webhook answered in memory by the gateway server's own request handler agree with the loopback
socket: the same replies (status, headers, body), errors and traces."""
import pytest

from harness import Simulation
from harness.sources.gateway import Gateway

from .conftest import APP

# (what the test does, as a function of the simulation); each returns something comparable
EXCHANGES = {
    "rest": lambda sim: sim.http("GET", "/items/42", query={"q": "x"}),
    "rest_post": lambda sim: sim.http("POST", "/echo", body={"a": [1, "é"]}, headers={"X-Custom": "v  "}),
    "url": lambda sim: sim.http("POST", "/orders", body="raw", function_url="UrlFn",
                                headers={"Content-Type": "text/plain"}),
    "error_502": lambda sim: sim.http("POST", "/boom", body={"x": 1}, function_url="UrlFn"),
    "timeout_504": lambda sim: sim.http("GET", "/misc/slow"),
    "unknown_route_403": lambda sim: sim.http("DELETE", "/nothing/here"),
    "refused_by_the_server": lambda sim: sim.http("POST", "/echo", body="zz\r\n",
                                                  headers={"Transfer-Encoding": "chunked"}),
    "chunk_longer_than_sent": lambda sim: sim.http("POST", "/echo", body="5\r\nab",
                                                   headers={"Transfer-Encoding": "chunked"}),
    "head": lambda sim: sim.http("HEAD", "/plain", function_url="UrlFn"),
    "webhook": lambda sim: sim.webhook("/sms", {"From": "+15550001", "Body": "hi"}, auth_token="test-token"),
    "webhook_retries": lambda sim: sim.webhook("/misc/flaky#rc=3&rp=5xx", {"Body": "x"}),
    "webhook_read_timeout": lambda sim: sim.webhook("/misc/slow#rt=2000&rc=2&rp=rt&tt=5000", {"Body": "x"}),
    "webhook_fallback": lambda sim: sim.webhook("http://127.0.0.1:1/down#rc=1", {"From": "+1", "Body": "hi"},
                                                auth_token="test-token", fallback_url="/sms"),
}


def _run(name, in_memory, monkeypatch):
    from harness.sources import gateway
    monkeypatch.setattr(Gateway, "in_memory", in_memory)
    # A request that promises more than it sends waits for the server's timeout over the socket (10 s): the client
    # has sent everything, so no byte ever comes; in memory that is a TimeoutError at once.
    monkeypatch.setattr(gateway._Handler, "timeout", 0.05)
    with Simulation(APP, seed=5) as sim:
        try:
            response = EXCHANGES[name](sim)
            outcome = ("reply", response.status, sorted(response.headers.items()), response.body)
        except Exception as exc:  # noqa: BLE001 - the error is what is compared
            outcome = ("error", type(exc).__name__)
        return outcome, sim.trace.hash()


@pytest.mark.parametrize("name", sorted(EXCHANGES))
def test_an_exchange_in_memory_is_the_exchange_over_the_socket(name, monkeypatch):
    def comparable(outcome):  # the Date header is the wall clock's second
        if outcome[0] != "reply":
            return outcome
        return (*outcome[:2], [(k, v) for k, v in outcome[2] if k.lower() != "date"], outcome[3])

    memory, socket = _run(name, True, monkeypatch), _run(name, False, monkeypatch)
    assert (comparable(memory[0]), memory[1]) == (comparable(socket[0]), socket[1])


def test_an_exchange_in_memory_opens_no_connection_to_the_server(monkeypatch):
    from harness.sources import gateway
    used = []
    monkeypatch.setattr(gateway._PooledHTTPServer, "process_request", lambda *args: used.append(args))
    with Simulation(APP, seed=5) as sim:
        assert sim.http("POST", "/echo", body={"a": 1}).status == 200
        assert sim.webhook("/sms", {"From": "+15550001", "Body": "hi"}, auth_token="test-token").status == 200
    assert used == []


def test_an_error_answering_in_memory_reaches_the_caller(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the simulation broke")

    with Simulation(APP, seed=5) as sim:
        monkeypatch.setattr(Gateway, "exchange", fail)
        with pytest.raises(RuntimeError, match="the simulation broke"):
            sim.http("GET", "/plain", function_url="UrlFn")


def test_an_error_in_the_request_handler_closes_the_connection_as_over_the_socket(monkeypatch, capsys):
    from harness.sources import gateway

    def broken(self):
        raise ValueError("handler bug")

    outcomes = []
    for in_memory in (True, False):
        monkeypatch.setattr(Gateway, "in_memory", in_memory)
        with Simulation(APP, seed=5) as sim:
            monkeypatch.setattr(gateway._Handler, "_serve", broken)
            with pytest.raises(Exception) as raised:  # the error's type is compared below
                sim.http("GET", "/plain", function_url="UrlFn")
            monkeypatch.undo()
            outcomes.append(type(raised.value).__name__)
    assert outcomes == ["RemoteDisconnected", "RemoteDisconnected"]
    assert capsys.readouterr().err.count("ValueError: handler bug") == 2  # socketserver's report, both ways
