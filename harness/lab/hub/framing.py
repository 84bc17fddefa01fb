"""Framing on the hub API's TCP port: bytes in, parsed JSON requests out. Pure: no sockets.

The port takes two forms (Cambrionix Hub API manual §3.3):

- raw: JSON-RPC requests written to the socket one JSON object after another, with no delimiter; each reply
  is one JSON object (no newline), which clients accumulate and json-parse. ``JsonStream`` cuts the byte
  stream into values; a value split across reads waits for the rest.
- HTTP GET: ``GET /?{"jsonrpc":"2.0",…}`` (the JSON possibly %-encoded, also ``GET /%7B…%7D``) or the JSON in
  the GET's body; one request per connection, answered as ``application/json`` and closed.

(WebSockets on the same port are not served.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = ["HTTP_PREFIX", "MAX_DEPTH", "Garbage", "HttpGet", "JsonStream", "http_json", "http_response", "loads",
           "parse_http_get"]

HTTP_PREFIX = b"GET "
_WHITESPACE = b" \t\r\n"
_LIMIT = 1 << 20  # a request this long without ending is not a request
_REASONS = {200: "OK", 400: "Bad Request"}
# No hub API request nests deeper than a few levels; Python's json recurses per level and raises
# RecursionError (not ValueError) near 1,000, so anything deeper than this is a parse error up front.
MAX_DEPTH = 32


def loads(data: bytes | str) -> object | Garbage:
    """One JSON value, or ``Garbage`` for anything that is not JSON or nests deeper than ``MAX_DEPTH``."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _depth(raw) > MAX_DEPTH:
        return Garbage(raw)
    try:
        value: object = json.loads(raw)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return Garbage(raw)
    return value


def _depth(buf: bytes) -> int:
    """The deepest nesting of objects and arrays in ``buf``, outside strings (bytes scan; see _container_end)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in buf:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"{[":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"}]":
            depth -= 1
    return deepest


@dataclass(frozen=True)
class Garbage:
    """Bytes that are not JSON: answered with a parse error, and the rest of the buffer is dropped."""

    data: bytes


class JsonStream:
    """Raw mode: JSON values back to back, whitespace between them allowed."""

    def __init__(self, limit: int = _LIMIT) -> None:
        self._buffer = b""
        self._limit = limit

    @property
    def pending(self) -> bytes:
        return self._buffer

    def feed(self, data: bytes) -> list[object]:
        """The complete values ``data`` finishes, in order; a ``Garbage`` ends the list and empties the buffer."""
        self._buffer += data
        values: list[object] = []
        while buf := self._buffer.lstrip(_WHITESPACE):
            end = _value_end(buf)
            if end is None:  # the value goes on in a later read
                self._buffer = buf
                if len(buf) > self._limit:
                    values.append(self._drop())
                return values
            self._buffer = buf[end:]
            value = loads(buf[:end])
            if isinstance(value, Garbage):
                values.append(Garbage(buf))
                self._buffer = b""
                return values
            values.append(value)
        self._buffer = b""
        return values

    def _drop(self) -> Garbage:
        garbage, self._buffer = Garbage(self._buffer), b""
        return garbage


def _value_end(buf: bytes) -> int | None:
    """Where the first JSON value in ``buf`` ends; None while an object or array is still open."""
    if buf[:1] in (b"{", b"["):
        return _container_end(buf)
    try:  # a bare scalar: JSON, but never a request (answered as an invalid request)
        text = buf.decode()
        _, end = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return len(buf)  # not JSON at all: json.loads fails on it and the stream reports garbage
    return len(text[:end].encode())


def _container_end(buf: bytes) -> int | None:
    # Braces, brackets, quotes and backslashes are ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte
    # character, so scanning bytes is exact.
    depth, in_string, escaped = 0, False, False
    for i, byte in enumerate(buf):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"{[":
            depth += 1
        elif byte in b"}]":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


@dataclass(frozen=True)
class HttpGet:
    target: str
    headers: dict[str, str]
    body: bytes


def parse_http_get(data: bytes, limit: int = _LIMIT) -> HttpGet | None:
    """The GET request in ``data``; None until its head and ``Content-Length`` body are in.
    Raises ValueError for a request that is not a well-formed GET."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        if len(data) > limit:
            raise ValueError("request head too long")
        return None
    lines = head.decode("latin-1").split("\r\n")
    words = lines[0].split(" ")
    if len(words) < 3 or words[0] != "GET" or not words[-1].startswith("HTTP/"):
        raise ValueError(f"not a GET request line: {lines[0][:80]!r}")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"bad header line: {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length < 0 or length > limit:
        raise ValueError(f"bad Content-Length {length}")
    if len(rest) < length:
        return None
    # An unencoded JSON in the URL may hold spaces: the target is everything between method and version.
    return HttpGet(" ".join(words[1:-1]), headers, rest[:length])


def http_json(request: HttpGet) -> str:
    """The JSON text of an HTTP-form request: after the ``/`` of the URL (``?`` optional, %-decoded), else the
    body."""
    path = request.target.partition("/")[2]
    text = unquote(path.removeprefix("?"))
    return text if text.strip() else request.body.decode("utf-8", errors="replace")


def http_response(body: bytes, status: int = 200) -> bytes:
    head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body
