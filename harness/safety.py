"""Safety by construction: dummy credentials and loopback-only networking while a simulation runs."""
from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from typing import Any

from harness.aws.wire import is_loopback

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}
# Variables that could point an SDK at a real account or real endpoint; removed inside the simulation.
STRIPPED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
            "AWS_CA_BUNDLE", "AWS_STS_REGIONAL_ENDPOINTS")


def safe_environment(base: dict[str, str], region: str, backend_env: dict[str, str]) -> dict[str, str]:
    """`base` with dummy credentials forced, risky variables removed and shared config files disabled."""
    env = {k: v for k, v in base.items() if k not in STRIPPED and not k.startswith("AWS_ENDPOINT_URL_")}
    env.update(DUMMY_CREDENTIALS)
    env.update({
        "AWS_DEFAULT_REGION": region, "AWS_REGION": region,
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    env.update(backend_env)
    return env


class RefusedConnection(ConnectionRefusedError):
    """A connection the harness refused because it was not addressed to loopback."""


def _address_is_loopback(host: Any) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like are local by definition
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return is_loopback(host)


class NetworkGuard:
    """Refuses every outbound connection and DNS lookup that is not loopback while installed."""

    def __init__(self, on_refuse: Callable[[str], None] | None = None):
        self._on_refuse = on_refuse or (lambda message: None)
        self._saved: dict[str, Any] = {}

    def install(self) -> None:
        """Patch socket.connect/connect_ex/getaddrinfo."""
        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
        real_getaddrinfo = socket.getaddrinfo
        self._saved = {"connect": real_connect, "connect_ex": real_connect_ex, "getaddrinfo": real_getaddrinfo}
        guard = self

        def check(address: Any) -> None:
            host = address[0] if isinstance(address, tuple) else address
            if not _address_is_loopback(host):
                message = (f"refused connection to {host!r}: inside a simulation only loopback addresses are "
                           f"reachable (real AWS and the internet never are)")
                guard._on_refuse(message)
                raise RefusedConnection(message)

        def connect(sock, address):
            check(address)
            return real_connect(sock, address)

        def connect_ex(sock, address):
            check(address)
            return real_connect_ex(sock, address)

        def getaddrinfo(host, *args, **kwargs):
            if host is not None:
                check((host.decode() if isinstance(host, bytes) else host,))
            return real_getaddrinfo(host, *args, **kwargs)

        socket.socket.connect = connect
        socket.socket.connect_ex = connect_ex
        socket.getaddrinfo = getaddrinfo

    def uninstall(self) -> None:
        """Restore the real socket functions."""
        if self._saved:
            socket.socket.connect = self._saved["connect"]
            socket.socket.connect_ex = self._saved["connect_ex"]
            socket.getaddrinfo = self._saved["getaddrinfo"]
            self._saved = {}
