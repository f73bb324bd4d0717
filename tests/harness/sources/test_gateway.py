"""The HTTP gateway: API Gateway REST proxy (payload 1.0) and Function URLs (payload 2.0)
(AWS_BEHAVIOUR "API Gateway and Function URLs")."""
import json
import os
import resource
import socket

import pytest

from harness import InputError


def test_post_to_function_url_whose_handler_raises_returns_502(sim):
    response = sim.http("POST", "/boom", body={"x": 1}, function_url="UrlFn")
    assert response.status == 502
    assert response.json() == {"Message": "Internal Server Error"}
    (invocation,) = sim.invocations
    assert invocation.status == "error"


def test_function_url_event_is_payload_format_2(sim):
    response = sim.http("POST", "/orders", body="raw text", query={"a": ["1", "2"]}, function_url="UrlFn",
                        headers={"Content-Type": "text/plain", "X-Custom": "v"})
    assert response.status == 201  # the function's own status code is kept
    body = response.json()
    assert body == {"path": "/orders", "method": "POST", "query": {"a": "1,2"}, "body": "raw text",
                    "version": "2.0", "now": sim.clock.start}


def test_function_url_result_without_status_code_is_json_200(sim):
    response = sim.http("GET", "/plain", function_url="UrlFn")
    assert (response.status, response.json()) == (200, {"hello": "world"})
    assert response.header("content-type") == "application/json"


def test_get_att_function_url_is_the_gateway_loopback_port(sim):
    url = sim.resource("UrlFnUrl")["FunctionUrl"]
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")
    assert url != sim.gateway_url + "/"
    assert sim.http("GET", url + "plain").json() == {"hello": "world"}


def test_rest_api_event_is_payload_format_1_with_path_parameters_and_stage(sim):
    response = sim.http("GET", "/items/42", query={"q": "x"})
    assert response.status == 200
    body = response.json()
    assert body == {"resource": "/items/{id}", "path": "/items/42", "pathParameters": {"id": "42"},
                    "query": {"q": "x"}, "body": None, "stage": "Prod",
                    "host": "serverlessrestapi.execute-api.us-east-1.amazonaws.com"}
    assert sim.http("GET", "/Prod/items/7").json()["pathParameters"] == {"id": "7"}  # stage prefix optional


def test_rest_api_function_error_and_malformed_proxy_response_are_502(sim):
    assert sim.http("GET", "/misc/raise").status == 502
    malformed = sim.http("GET", "/misc/malformed")
    assert (malformed.status, malformed.json()) == (502, {"message": "Internal server error"})


def test_rest_api_integration_timeout_is_504_at_29_seconds(sim):
    response = sim.http("GET", "/misc/slow")
    assert (response.status, response.json()) == (504, {"message": "Endpoint request timed out"})
    assert sim.now == pytest.approx(29.0)


def test_unknown_route_or_method_is_403_missing_authentication_token(sim):
    for method, path in [("GET", "/nothing-here"), ("DELETE", "/items/1")]:
        response = sim.http(method, path)
        assert (response.status, response.json()) == (403, {"message": "Missing Authentication Token"})


def test_throttled_function_answers_500_on_rest_and_429_on_function_url(sim, monkeypatch):
    monkeypatch.setattr(sim.runtime, "throttled", lambda config: True)
    assert sim.http("GET", "/items/1").status == 500
    assert sim.http("GET", "/plain", function_url="UrlFn").status == 429


def test_handler_calling_function_url_with_urllib_goes_through_the_gateway_in_virtual_time(sim):
    result = sim.invoke("Caller", {"target": "url", "path": "/hello?x=1", "method": "POST", "body": {"k": 1}})
    assert result.payload["status"] == 201
    assert json.loads(result.payload["body"])["query"] == {"x": "1"}
    assert [e.data["caller"] for e in sim.trace.of("gateway")] == ["app-Caller"]


def test_handler_calling_the_execute_api_url_reaches_the_rest_api(sim):
    result = sim.invoke("Caller", {"path": "/items/5"})
    assert result.payload["status"] == 200
    assert json.loads(result.payload["body"])["pathParameters"] == {"id": "5"}


def test_handler_urllib_timeout_is_virtual(sim):
    result = sim.invoke("Caller", {"target": "url", "path": "/slow", "timeout": 5})
    assert result.payload == {"status": "timeout", "took": 5.0}
    sim.run_until_idle()
    assert sim.now == pytest.approx(40.0)  # the function kept running, as on AWS


def test_handler_sees_http_error_status_from_the_gateway(sim):
    result = sim.invoke("Caller", {"target": "url", "path": "/boom"})
    assert result.payload["status"] == 502


def test_malformed_request_gets_400_and_the_gateway_keeps_serving(sim):
    port = int(sim.gateway_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        reply = raw.recv(4096)
    assert reply.startswith(b"HTTP/1.") and b" 400 " in reply.split(b"\r\n")[0]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(b"POST /Prod/echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        reply = raw.recv(4096)
    assert b" 400 " in reply.split(b"\r\n")[0]
    assert sim.http("POST", "/echo", body={"still": "up"}).status == 200


def test_unknown_function_url_name_is_a_clear_error(sim):
    with pytest.raises(InputError, match="unknown function 'UrlFm'.*did you mean 'UrlFn'"):
        sim.http("GET", "/", function_url="UrlFm")


def test_same_seed_same_trace_hash(app_template):
    from harness import Simulation

    def run():
        with Simulation(app_template, seed=11) as sim:
            sim.http("POST", "/echo", body={"a": 1})
            sim.http("GET", "/boom", function_url="UrlFn")
            sim.send_message("WorkQueue", "fail-x")
            sim.run_until_idle()
            return sim.trace.hash()

    assert run() == run()


def test_a_request_the_server_refuses_itself_reaches_the_caller_without_the_simulation(sim):
    # sim.http is the server's client itself: a reply the server sends without asking the simulation (a body that is
    # not the chunked encoding it claims) must still come back, and no gateway exchange happens.
    response = sim.http("POST", "/echo", body="zz\r\n", headers={"Transfer-Encoding": "chunked"})
    assert response.status == 400 and "malformed chunked body" in response.body
    assert not sim.trace.of("gateway")
    assert sim.http("POST", "/echo", body={"still": "up"}).status == 200


def test_after_sim_http_the_test_threads_own_http_to_the_gateway_is_answered_in_memory_again(sim):
    import urllib.request
    assert sim.http("POST", "/echo", body={"a": 1}).status == 200  # the test thread used a real socket meanwhile
    # The test thread's own urllib call is answered through a gateway task, not by the server (which would wait
    # for a driver that is this very thread).
    with urllib.request.urlopen(urllib.request.Request(sim.gateway_url + "/Prod/echo", data=b"{}",
                                                       method="POST"), timeout=5) as reply:
        assert reply.status == 200
    assert [e.data["caller"] for e in sim.trace.of("gateway")] == ["test", "test"]



@pytest.mark.skipif(resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 1200,
                    reason="the open-file limit leaves no room above select()'s 1024")
def test_an_exchange_works_when_the_process_holds_descriptors_above_select_s_limit(sim):
    held = []
    try:
        while not held or held[-1] < 1100:  # the exchange's own sockets now land above FD_SETSIZE
            held.append(os.open(os.devnull, os.O_RDONLY))
        assert sim.http("GET", "/plain", function_url="UrlFn").json() == {"hello": "world"}
        # a reply the server sends on its own is noticed by looking at the socket, not through the simulation
        response = sim.http("POST", "/echo", body="zz\r\n", headers={"Transfer-Encoding": "chunked"})
        assert response.status == 400
    finally:
        for fd in held:
            os.close(fd)


def _handler(version: str = "HTTP/1.1", command: str = "POST"):
    """A gateway request handler that has read a request (no socket: it writes into a buffer)."""
    import io

    from harness.sources.gateway import _Handler
    handler = _Handler.__new__(_Handler)
    handler.request_version, handler.command, handler.requestline = version, command, f"{command} / {version}"
    handler.wfile = io.BytesIO()
    handler.close_connection = False
    handler.date_time_string = lambda timestamp=None: "Tue, 01 Jan 2030 00:00:00 GMT"
    return handler


def _written_by_http_server(handler, response):
    """What http.server's own send_response, send_header and end_headers write (the gateway's reply before)."""
    handler.send_response(response.status)
    for key, value in response.headers.items():
        if key.lower() not in ("content-length", "connection", "date", "server"):
            handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(response.content)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(response.content)
    return handler.wfile.getvalue(), handler.close_connection


@pytest.mark.parametrize("status", [200, 201, 302, 404, 429, 502, 299, 599])
@pytest.mark.parametrize("version,command", [("HTTP/1.1", "POST"), ("HTTP/1.0", "GET"), ("HTTP/1.1", "HEAD"),
                                             ("HTTP/0.9", "GET")])
def test_the_gateway_writes_a_reply_byte_for_byte_as_http_server_does(status, version, command):
    from harness.sources.httpmodel import HttpResponse
    response = HttpResponse.of(status, {"a": "é"}, headers={"X-Id": "7", "connection": "keep-alive", "Date": "x",
                                                            "Set-Cookie": "a=1; Path=/", "X-Number": 3})
    ours = _handler(version, command)
    ours._reply(response)
    assert (ours.wfile.getvalue(), ours.close_connection) == _written_by_http_server(_handler(version, command),
                                                                                      response)


def test_a_reply_header_latin_1_cannot_carry_fails_as_http_server_fails():
    from harness.sources.httpmodel import HttpResponse
    response = HttpResponse.of(200, "x", headers={"X-Name": "雪"})
    with pytest.raises(UnicodeEncodeError):
        _written_by_http_server(_handler(), response)
    ours = _handler()
    with pytest.raises(UnicodeEncodeError):
        ours._reply(response)
    assert ours.wfile.getvalue() == b""  # nothing half-written


def test_connections_reuse_parked_threads_and_stopping_waits_for_them(app_template, monkeypatch):
    from harness import Simulation
    from harness.scheduler import pooled_threads
    from harness.sources import connection_threads
    from harness.sources.gateway import Gateway
    monkeypatch.setattr(Gateway, "in_memory", False)  # the socket's way: a connection thread per exchange
    with Simulation(app_template, seed=3) as sim:
        for _ in range(3):
            assert sim.http("POST", "/echo", body={"a": 1}).status == 200
            assert sim.http("GET", "/plain", function_url="UrlFn").status == 200
    # stopping waited for every connection: each thread that served one is parked again, and listed as pooled
    threads = set(connection_threads.threads())
    assert threads and threads <= set(pooled_threads())
    assert all(t.is_alive() and t.name == "gateway-connection-idle" for t in threads)
    with Simulation(app_template, seed=3) as sim:
        assert sim.http("POST", "/echo", body={"a": 1}).status == 200  # served by a parked thread: none started
    assert set(connection_threads.threads()) == threads
