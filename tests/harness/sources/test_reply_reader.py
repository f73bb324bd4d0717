"""The test thread reads the gateway's replies (harness/sources/reply_reader.py) as `http.client` reads them:
the same status, headers and body, or the same error, for plain replies and for every odd one."""
import http.client
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.sources.reply_reader import parse_head, read_reply


def over_socket(data: bytes, read):
    """What `read(sock)` makes of `data` arriving on a socket that is then closed: a value or (error, message)."""
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(data)
        theirs.shutdown(socket.SHUT_WR)
        ours.settimeout(5)
        try:
            return read(ours)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return type(exc).__name__, str(exc)
    finally:
        ours.close()
        theirs.close()


def by_http_client(method: str):
    def read(sock):
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            response.close()
    return read


def agree(data: bytes, method: str = "GET"):
    ours = over_socket(data, lambda sock: read_reply(sock, method))
    assert ours == over_socket(data, by_http_client(method)), data
    return ours


PLAIN = (b"HTTP/1.1 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.7\r\nDate: Tue, 01 Jan 2030 00:00:00 GMT\r\n"
         b"Content-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{\"ok\": true}")


def test_a_plain_reply_is_read_directly_as_http_client_reads_it():
    assert parse_head(PLAIN[:PLAIN.index(b"\r\n\r\n") + 4]) is not None
    status, headers, body = agree(PLAIN)
    assert (status, body, headers["Content-Type"]) == (200, b'{"ok": true}', "application/json")


@pytest.mark.parametrize("data", [
    b"",                                                                     # closed without a reply
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",                       # short body
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabcdef",                   # more than its length
    b"HTTP/1.1 200 OK\r\nX:  padded \t\r\nContent-Length: 0\r\n\r\n",        # blanks around a value
    b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n",      # a folded line
    b"HTTP/1.1 200 OK\r\nX : a\r\nContent-Length: 1\r\n\r\nz",                # not a header line: body for email
    b"HTTP/1.1 200 OK\r\nX: 1\r\nX: 2\r\nx: 3\r\nContent-Length: 0\r\n\r\n",  # repeated names
    b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 3\r\n\r\nabc",  # two lengths
    b"HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX: caf\xe9\r\nContent-Length: 0\r\n\r\n",           # latin-1
    b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nabc",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nk",
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 2\r\n\r\nno",
    b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",                            # no reason phrase
    b"HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n",
    b"garbage\r\n\r\n",
    b"HTTP/1.1 200 OK\nContent-Length: 0\n\n",                                # bare newlines
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n",                              # no end of headers
    b"HTTP/1.1 200 OK\r\nX: a\x0bb\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nrest",                 # no length: read to the end
    b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 101 + b"Content-Length: 0\r\n\r\n",  # over 100 headers
    b"HTTP/1.1 200 OK\r\nX: " + b"v" * 70000 + b"\r\nContent-Length: 0\r\n\r\n",  # an over-long line
])
def test_odd_replies_are_read_as_http_client_reads_them(data):
    agree(data)


def test_a_head_reply_has_no_body():
    assert agree(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", method="HEAD")[2] == b""


header_name = st.one_of(st.sampled_from(["Content-Type", "X-Amz-Id", "content-length", "Set-Cookie", "From",
                                         "Transfer-Encoding"]),
                        st.text(st.characters(min_codepoint=0, max_codepoint=255), min_size=0, max_size=8))
header_value = st.one_of(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
                         st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=12),
                         st.integers(0, 40).map(str), st.just("chunked"))
status_line = st.one_of(st.sampled_from(["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.0 500 Internal",
                                         "HTTP/1.1 302 Found", "HTTP/1.1 204 No Content", "HTTP/1.1 304 X",
                                         "HTTP/1.1 599", "HTTP/1.1 200  two  spaces", "HTTP/1.1\t200\tOK"]),
                        st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=20))


@settings(max_examples=300, deadline=None)
@given(status_line, st.lists(st.tuples(header_name, st.sampled_from([": ", ":", ":\t", " : "]), header_value),
                             max_size=6),
       st.one_of(st.none(), st.integers(0, 30)), st.binary(max_size=40), st.sampled_from(["GET", "POST", "HEAD"]),
       st.sampled_from(["\r\n", "\n"]))
def test_made_up_replies_are_read_as_http_client_reads_them(status, headers, length, body, method, newline):
    lines = [status] + [f"{name}{colon}{value}" for name, colon, value in headers]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    agree(newline.join(lines + ["", ""]).encode("latin-1") + body, method)
