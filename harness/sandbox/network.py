"""The sealed network: while a simulation runs, only loopback is reachable and no process can be started.

Enforced by audit hooks (harness.sandbox.audit), so it covers `socket`, `_socket`, C callers that go through
Python's socket module, UDP, DNS lookups and every way Python starts a process. Addresses are parsed with
`ipaddress`; the only host *name* accepted is `localhost`."""
from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

from harness.sandbox import state

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


class RefusedConnection(ConnectionRefusedError):
    """A connection or lookup the harness refused because it was not addressed to loopback."""


class RefusedProcess(PermissionError):
    """A child process handler code tried to start inside a simulation."""


def is_loopback_host(host: Any) -> bool:
    """True when `host` (text or bytes) is a loopback IP address or `localhost`; never by string prefix."""
    if host is None or host == "" or host == b"":
        return True  # passive/any-local lookups (getaddrinfo(None, port)) reach nothing outside
    if isinstance(host, (bytes, bytearray)):
        try:
            host = bytes(host).decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str):
        return False
    text = host.strip().strip("[]").split("%", 1)[0].rstrip(".").lower()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text in LOCAL_NAMES
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _address_is_local(sock: Any, address: Any) -> bool:
    family = getattr(sock, "family", None)
    if family == getattr(socket, "AF_UNIX", None):
        return True  # a path on this machine
    if isinstance(address, tuple) and address:
        return is_loopback_host(address[0])
    return False  # other families (raw, netlink, packet) never inside a simulation


def refuse(message: str, error: type[Exception] = RefusedConnection) -> None:
    """Record the refusal on the sealed simulation and raise it into the caller."""
    seal = state.active()
    if seal is not None:
        try:
            seal.refuse(message)
        except Exception:  # noqa: BLE001, S110 - recording must never turn a refusal into something else
            pass
    raise error(message)


def _refuse_address(what: str, target: Any) -> None:
    refuse(f"refused {what} {target!r}: inside a simulation only loopback addresses are reachable "
           f"(real AWS and the internet never are)")


def on_connect(sock: Any, address: Any) -> None:
    """Audit socket.connect / sendto / sendmsg."""
    if address is not None and not _address_is_local(sock, address):
        _refuse_address("connection to", address[0] if isinstance(address, tuple) and address else address)


def on_lookup(host: Any, *_: Any) -> None:
    """Audit getaddrinfo / gethostbyname(_ex) / gethostbyaddr."""
    if not is_loopback_host(host):
        _refuse_address("name lookup of", host)


def on_nameinfo(sockaddr: Any) -> None:
    """Audit getnameinfo."""
    if isinstance(sockaddr, tuple) and sockaddr and not is_loopback_host(sockaddr[0]):
        _refuse_address("name lookup of", sockaddr[0])


def on_process(*args: Any) -> None:
    """Audit subprocess.Popen, os.system, os.exec*, os.spawn*, os.posix_spawn, os.fork (from handler code;
    the test, the CLI and the harness's own threads may still start processes)."""
    from harness.sandbox.exits import in_handler_code
    if not in_handler_code():
        return
    what = args[0] if args else "a process"
    refuse(f"refused to start {what!r}: handler code cannot start processes inside a simulation (a child "
           f"process would escape the network seal and the virtual clock)", RefusedProcess)


def on_fork() -> None:
    """Audit os.fork / os.forkpty."""
    on_process("fork()")


def environ_path(path: str) -> bool:
    """True for /proc/<anything>/environ (the process's real start-up environment)."""
    return path.startswith("/proc/") and path.endswith("/environ")


def on_open(path: Any, *_: Any) -> None:
    """Audit open: the outer credentials (~/.aws) and the start-up environment are not readable."""
    seal = state.active()
    if seal is None or isinstance(path, int):
        return
    try:
        text = os.fsdecode(path)
    except TypeError:
        return
    if "environ" not in text and not any(os.path.basename(d) in text for d in seal.secret_dirs):
        return  # the common case: one substring test per open
    real = os.path.realpath(text)
    if environ_path(real) or environ_path(text) or any(
            real == d or real.startswith(d + os.sep) for d in seal.secret_dirs):
        refuse(f"refused to open {text!r}: inside a simulation the real credentials and the process's start-up "
               f"environment are not readable", PermissionError)
