"""uvicorn's HTTP protocols with the API's error body for requests that are not HTTP.

A request uvicorn's parser cannot read (a raw UTF-8 ``김`` in the URL instead of
``%EA%B9%80``, a broken request line or header) never reaches the app: uvicorn answers 400
itself, in plain text. These subclasses answer it in the body every other error has
(``api.errors``), saying what to do. ``http_protocol()`` is the one to pass as uvicorn's
``http`` option.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.errors import error_body

MALFORMED_BODY = json.dumps(
    error_body(
        "malformed_request",
        "not a valid HTTP request: write non-ASCII characters in the URL percent-encoded"
        " as UTF-8 (김 is %EA%B9%80), and headers in ASCII",
    ),
    ensure_ascii=False,
).encode()


def _headers(extra: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [
        *extra,
        (b"content-type", b"application/json"),
        (b"content-length", str(len(MALFORMED_BODY)).encode()),
        (b"connection", b"close"),
    ]


class JsonHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        lines = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in _headers(list(self.server_state.default_headers)):
            lines.append(name + b": " + value + b"\r\n")
        self.transport.write(b"".join(lines) + b"\r\n" + MALFORMED_BODY)
        self.transport.close()


class JsonH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        import h11

        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        event = h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
        self.transport.write(self.conn.send(event))
        self.transport.write(self.conn.send(h11.Data(data=MALFORMED_BODY)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()


def http_protocol() -> type[HttpToolsProtocol] | type[H11Protocol]:
    """httptools when installed (what uvicorn picks by itself), else h11."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return JsonH11Protocol
    return JsonHttpToolsProtocol
