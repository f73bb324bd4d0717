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


def test_loopback_is_decided_on_parsed_addresses_never_prefixes():
    from harness.sandbox import is_loopback_host
    assert is_loopback_host("127.0.0.1") and is_loopback_host(b"127.3.2.1") and is_loopback_host("[::1]")
    assert is_loopback_host("::ffff:127.0.0.1") and is_loopback_host("LOCALHOST.")
    assert not is_loopback_host("127.attacker.example") and not is_loopback_host("127.0.0.1.nip.io")
    assert not is_loopback_host("::ffff:192.0.2.1") and not is_loopback_host("0.0.0.0")


def test_the_seal_is_lifted_when_the_simulation_stops(basic_template):
    from harness.sandbox import state
    with Simulation(basic_template) as sim:
        assert state.active() is not None and sim.invoke("Stamp").ok
    assert state.active() is None


def test_the_cli_re_executes_itself_with_the_outer_credentials_removed(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAOUTERKEY", AWS_PROFILE="production")
    # Without re-execution this child would go on to print "not re-executed"; execve replaces it instead.
    code = ("import sys; from harness.sandbox import credentials; credentials.reexec_scrubbed(sys.argv[1:]); "
            "print('not re-executed')")
    done = subprocess.run([sys.executable, "-c", code, "list", str(tmp_path / "none.yaml")], env=env,
                          capture_output=True, text=True, check=False, cwd=Path(__file__).parents[2])
    assert done.returncode == 2 and "no such file" in done.stdout and "not re-executed" not in done.stdout
    from harness.sandbox.credentials import scrubbed
    clean = scrubbed(env)
    assert "AWS_ACCESS_KEY_ID" not in clean and "AWS_PROFILE" not in clean
    assert clean["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull == clean["AWS_CONFIG_FILE"]
