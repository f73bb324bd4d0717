"""One `sim.http`/`sim.webhook` exchange with the gateway's server in memory, on the test thread.

The test thread is both the server's client and the simulation's driver. Over the loopback socket an exchange
crossed three threads: the server's (accept), a connection thread (http.server parses the request, then waits for
the answer) and the test thread (writes the request, answers it by driving the scheduler, reads the reply),
with a thread hand-off at each step. Here the bytes `http.client` writes are handed to the server's own request
handler class (`BaseHTTPRequestHandler`, the gateway's `_Handler`) on the test thread, which parses them exactly
as over the socket and answers through the same gateway task; the bytes it writes back are read by
harness.sources.reply_reader as a socket's would be. What a socket adds is mirrored:
- the client has sent its whole request and waits for the reply: a read past its end waits for the server's
  `timeout` over the socket and raises TimeoutError, so it raises TimeoutError at once here (http.server then
  closes the connection without a reply, as it does after waiting);
- the server closes the connection after its reply (`Connection: close`): the reply ends there;
- an error in the handler's own code is reported as socketserver reports it for a connection thread
  (`handle_error`) and the connection closes after what it wrote, while an error raised by answering the request
  (driving the simulation) reaches the caller, as it did on the test thread.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

CLIENT_ADDRESS = ("127.0.0.1", 0)


class ClientEnd:
    """The caller's end: what `http.client` sends is kept for the server; the server's reply is read from it."""

    def __init__(self) -> None:
        self.sent = bytearray()
        self._reply = memoryview(b"")

    def sendall(self, data: Any) -> None:
        """http.client's writes (request line, headers, body)."""
        self.sent += data

    def recv(self, size: int) -> bytes:
        """The reply's next bytes; b'' once the server closed the connection after it."""
        chunk, self._reply = bytes(self._reply[:size]), self._reply[size:]
        return chunk

    def recv_into(self, target: Any) -> int:
        """The reply's next bytes into `target`; 0 at its end."""
        size = min(len(target), len(self._reply))
        target[:size] = self._reply[:size]
        self._reply = self._reply[size:]
        return size

    def replied(self, data: bytes) -> None:
        """The server's whole reply (its connection is closed after it)."""
        self._reply = memoryview(data)

    def close(self) -> None:
        """Nothing to release."""


class _Request(io.RawIOBase):
    """The request's bytes as the server's socket gives them: then nothing more ever comes (the client waits for
    the reply), which a socket reports as a timeout."""

    def __init__(self, data: bytes):
        self._data = memoryview(data)

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        if not self._data:
            raise TimeoutError("timed out")
        size = min(len(target), len(self._data))
        target[:size] = self._data[:size]
        self._data = self._data[size:]
        return size


class ServerEnd:
    """The server's end, as `StreamRequestHandler` uses a socket: `makefile('rb')`, `sendall`, `settimeout`."""

    def __init__(self, request: bytes, answer: Callable[[Any], None]):
        self._request = request
        self._answer = answer
        self.written = bytearray()
        self.answer_failed = False

    def makefile(self, mode: str = "rb", buffering: int = -1) -> io.BufferedReader:
        """The request's bytes, buffered as `socket.makefile('rb')` buffers them."""
        return io.BufferedReader(_Request(self._request), io.DEFAULT_BUFFER_SIZE if buffering < 0 else buffering)

    def sendall(self, data: Any) -> None:
        """The handler's reply."""
        self.written += data

    def settimeout(self, seconds: float | None) -> None:
        """Nothing waits here."""

    def setsockopt(self, *args: Any) -> None:
        """No socket options to set."""

    def answer(self, pending: Any) -> None:
        """Answer the parsed request by driving the simulation; an error doing so reaches the caller."""
        try:
            self._answer(pending)
        except BaseException:
            self.answer_failed = True
            raise


def serve(httpd: Any, client: ClientEnd, answer: Callable[[Any], None]) -> None:
    """Run `httpd`'s request handler over what `client` sent, answering parsed requests with `answer(pending)`,
    and give `client` the reply."""
    end = ServerEnd(bytes(client.sent), answer)
    try:
        httpd.RequestHandlerClass(end, CLIENT_ADDRESS, httpd)
    except Exception:
        if end.answer_failed:
            raise
        httpd.handle_error(end, CLIENT_ADDRESS)  # as socketserver does for a connection thread, then it closes
    client.replied(bytes(end.written))
