"""The sealed network: every route out of loopback is refused (audit hooks, parsed addresses), no process can
be started, and neither the outer credentials nor the start-up environment can be read."""
import os
import socket

import pytest

ROUTES = ["connect_bytes", "udp_sendto", "low_level_socket", "prefix_name", "gethostbyname", "gethostbyname_ex",
          "gethostbyaddr", "mapped_ipv6", "subprocess", "os_system", "fork", "proc_environ", "home_credentials"]


@pytest.mark.parametrize("route", ROUTES)
def test_every_escape_route_is_refused_inside_the_handler(hostile, route):
    result = hostile.invoke("Escape", {"route": route})
    assert result.ok and "escaped" not in result.payload, result.payload
    assert result.payload["refused"] in ("RefusedConnection", "RefusedProcess", "PermissionError",
                                         "FileNotFoundError"), result.payload


def test_outer_credentials_file_is_unreadable_and_home_is_empty(hostile):
    outer = hostile._saved_env["HOME"]
    with pytest.raises(PermissionError, match="real credentials"):
        open(os.path.join(outer, ".aws", "credentials"), "rb")  # noqa: SIM115 - the open itself is refused
    assert os.environ["HOME"] != outer and os.listdir(os.environ["HOME"]) == []


def test_refusals_are_recorded_in_the_trace(hostile):
    before = len(hostile.trace.of("refused"))
    hostile.invoke("Escape", {"route": "udp_sendto"})
    assert len(hostile.trace.of("refused")) == before + 1


def test_the_test_thread_is_sealed_too_but_may_still_start_processes(hostile):
    with pytest.raises(ConnectionRefusedError, match="only loopback"):
        socket.create_connection(("192.0.2.10", 443), timeout=1)
    import subprocess
    assert subprocess.run(["true"], check=False).returncode == 0


def test_loopback_by_name_and_address_still_works_inside_the_seal(hostile):
    assert socket.getaddrinfo("localhost", 80)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    socket.create_connection(server.getsockname(), timeout=1).close()
    server.close()
