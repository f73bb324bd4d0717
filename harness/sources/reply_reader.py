"""Reading an HTTP reply from a socket as `http.client` reads it, without its cost where the reply is plain.

The test thread reads the gateway's reply to each `sim.http`/`sim.webhook` exchange from a real loopback socket.
`http.client` parses the status line, then hands the header lines to the email package's feed parser (about 30 µs
a reply, and a buffered file over the socket). A reply of the shape the gateway writes is read directly instead:
an `HTTP/1.x` status line with a status of 200-599 (not 204 or 304), at most 100 header lines each
`Name: value` of printable ASCII (the name's characters those the email parser accepts in a header name), one
numeric Content-Length, no Transfer-Encoding, and that many bytes of body (not for HEAD). What it returns is what
`http.client` gives: the status, `dict(getheaders())` (the email parser keeps a value's trailing blanks and drops
its leading ones; the last of repeated names wins) and the body, reading exactly as far as http.client reads.
Anything else (a folded or over-long line, other bytes, chunked or short bodies, a closed connection) is read by
http.client itself, from the bytes already received followed by the rest of the socket, so its answers and its
errors are its own.
"""
from __future__ import annotations

import http.client
import io
import re
import socket
from typing import Any

_STATUS = re.compile(rb"HTTP/1\.[01] ([2-5][0-9][0-9])(?:[ \t][\t\x20-\x7e]*)?\r\n")
# The email parser's header-name characters (printable ASCII but ':' and space), then the value, blanks first.
_HEADER = re.compile(rb"([\x21-\x39\x3b-\x7e]+):[ \t]*([\t\x20-\x7e]*)\r\n")
_NO_BODY = (204, 304)
_HEAD_LIMIT = 1 << 20  # bytes read while looking for the end of the headers before http.client takes over
_CHUNK = 65536


def read_reply(sock: socket.socket, method: str) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of the reply to a `method` request that `sock` carries, as `http.client` reads it
    (its exceptions too: RemoteDisconnected when the peer closed without a reply, IncompleteRead...)."""
    buffer = bytearray()
    end = -1
    while len(buffer) < _HEAD_LIMIT:
        chunk = sock.recv(_CHUNK)
        if not chunk:
            break
        buffer += chunk
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            break
    head = parse_head(bytes(buffer[:end + 4])) if end >= 0 and method != "HEAD" else None
    if head is not None:
        status, headers, length = head
        start = end + 4
        while len(buffer) - start < length:
            chunk = sock.recv(max(_CHUNK, length - (len(buffer) - start)))
            if not chunk:
                break  # short: http.client raises IncompleteRead
            buffer += chunk
        else:
            return status, headers, bytes(buffer[start:start + length])
    return _read_by_http_client(bytes(buffer), sock, method)


def parse_head(head: bytes) -> tuple[int, dict[str, str], int] | None:
    """(status, headers, Content-Length) of a plain reply head (status line to the blank line), None otherwise."""
    match = _STATUS.match(head)
    if match is None:
        return None
    status = int(match.group(1))
    if status in _NO_BODY:
        return None
    headers: dict[str, str] = {}
    length, pos, count, end = None, match.end(), 0, len(head) - 2
    while pos < end:
        line = _HEADER.match(head, pos)
        if line is None or line.end() - pos > http.client._MAXLINE:
            return None
        count += 1
        name, value = line.group(1).decode("ascii"), line.group(2).decode("ascii")
        lowered = name.lower()
        if lowered == "transfer-encoding":
            return None
        if lowered == "content-length":
            if length is not None or not value.isdigit():
                return None
            length = int(value)
        headers[name] = value
        pos = line.end()
    if pos != end or count > http.client._MAXHEADERS or length is None:
        return None
    return status, headers, length


class _Replayed(io.RawIOBase):
    """The bytes already taken from a socket, then the rest of the socket."""

    def __init__(self, received: bytes, sock: socket.socket):
        self._received, self._sock = memoryview(received), sock

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        if self._received:
            size = min(len(target), len(self._received))
            target[:size] = self._received[:size]
            self._received = self._received[size:]
            return size
        return self._sock.recv_into(target)


class _ReplayedSocket:
    """What `http.client.HTTPResponse` needs of a socket: `makefile`."""

    def __init__(self, received: bytes, sock: socket.socket):
        self._raw = _Replayed(received, sock)

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        return io.BufferedReader(self._raw)


def _read_by_http_client(received: bytes, sock: socket.socket, method: str) -> tuple[int, dict[str, str], bytes]:
    response = http.client.HTTPResponse(_ReplayedSocket(received, sock), method=method)
    try:
        response.begin()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        response.close()
