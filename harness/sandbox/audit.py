"""The one process-wide audit hook (PEP 578). Installed once, it dispatches to the sandbox's checks only while
a simulation is sealed; an event no check watches returns after one dictionary lookup."""
from __future__ import annotations

import sys
from typing import Any

from harness.sandbox import exits, network, state, threads

_installed = False

# event -> check(*args); every check raises to refuse the operation.
CHECKS = {
    "socket.connect": network.on_connect,
    "socket.sendto": network.on_connect,
    "socket.sendmsg": network.on_connect,
    "socket.getaddrinfo": network.on_lookup,
    "socket.gethostbyname": network.on_lookup,
    "socket.gethostbyaddr": network.on_lookup,
    "socket.getnameinfo": network.on_nameinfo,
    "subprocess.Popen": network.on_process,
    "os.system": network.on_process,
    "os.exec": network.on_process,
    "os.spawn": lambda mode, path, *rest: network.on_process(path),
    "os.posix_spawn": network.on_process,
    "os.fork": network.on_fork,
    "os.forkpty": network.on_fork,
    "pty.spawn": network.on_process,
    "open": network.on_open,
    "os.kill": exits.on_kill,
    "os.killpg": exits.on_killpg,
    "signal.pthread_kill": exits.on_pthread_kill,
}


def _hook(event: str, args: tuple) -> None:
    check = CHECKS.get(event)  # first: most events (os.putenv, twenty-four per invocation) have no check
    if check is not None and state._seal is not None:
        check(*args)


def install() -> None:
    """Add the audit hook and the exit guards (once per process)."""
    global _installed
    if _installed:
        return
    sys.addaudithook(_hook)
    exits.install()
    threads.install()
    _installed = True


def installed() -> bool:
    """True once the hook is in place."""
    return _installed


def check(event: str, *args: Any) -> None:
    """Run the check for `event` as the hook would (for code paths that raise no audit event)."""
    _hook(event, args)
