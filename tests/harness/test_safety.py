"""Safety: dummy credentials are forced and nothing but loopback (or moto in-process) is ever contacted."""
import os
import socket

import boto3
import pytest

from harness import Simulation, UnsafeEndpointError


def test_handler_client_with_non_loopback_endpoint_is_refused(sim):
    result = sim.invoke("External", {"endpoint": "https://sqs.example.com"})
    assert result.payload["exception"] == "UnsafeEndpointError"
    assert "refused request to https://sqs.example.com" in result.payload["message"]
    assert sim.router.refusals and sim.trace.of("refused")


def test_test_thread_client_with_non_loopback_endpoint_is_refused(sim):
    client = boto3.client("sqs", endpoint_url="http://10.1.2.3:4566")
    with pytest.raises(UnsafeEndpointError, match="must point at loopback"):
        client.list_queues()


def test_real_looking_credentials_in_the_environment_are_replaced(basic_template, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_PROFILE", "production")
    with Simulation(basic_template) as sim:
        inside = dict(os.environ)
        credentials = boto3.session.Session().get_credentials()
        assert sim.invoke("Stamp").ok
    assert inside["AWS_ACCESS_KEY_ID"] == "testing" and "AWS_PROFILE" not in inside
    assert credentials.access_key == "testing"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAREALLOOKINGKEY"  # restored afterwards


def test_sockets_to_non_loopback_addresses_are_refused_inside_a_simulation(sim):
    with pytest.raises(ConnectionRefusedError, match="only loopback addresses are reachable"):
        socket.create_connection(("192.0.2.10", 443), timeout=1)
    with pytest.raises(ConnectionRefusedError):
        socket.getaddrinfo("aws.amazon.com", 443)


def test_loopback_sockets_still_work_inside_a_simulation(sim):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=1)
    client.close()
    server.close()
