"""HTTP/1.1 framing for the lab's WebDriver endpoint, with no sockets: bytes in, requests out.

What WebDriver clients send is small and regular: selenium's ``RemoteConnection._request`` (the transport
appium-python-client 6 uses) sends one request per call through urllib3, with ``Content-Length`` and a
keep-alive connection. The parser accepts exactly that (RFC 9112 §3 request line, §5 fields, §6.3 body
length from ``Content-Length``) and refuses the rest with the status a server would answer: 400 for a
malformed request, 411 for a body without a length, 413 for an oversized one, 501 for ``Transfer-Encoding``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus

__all__ = ["HttpError", "Request", "RequestParser", "response_bytes"]

MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
_METHODS = frozenset({"GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", "PATCH"})


class HttpError(Exception):
    """The bytes are not a request this server can read; ``status`` is the answer before closing."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str  # the path with its query, as sent
    version: str  # "HTTP/1.1" or "HTTP/1.0"
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased; repeated fields joined by ", "
    body: bytes = b""

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def keep_alive(self) -> bool:
        """HTTP/1.1 keeps the connection unless ``Connection: close``; 1.0 only with ``keep-alive``."""
        tokens = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens


class RequestParser:
    """Feed it bytes as they arrive; it returns every complete request, in order."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._head: tuple[str, str, str, dict[str, str]] | None = None
        self._need = 0

    def feed(self, data: bytes) -> list[Request]:
        self._buf += data
        out: list[Request] = []
        while True:
            request = self._next()
            if request is None:
                return out
            out.append(request)

    def _next(self) -> Request | None:
        if self._head is None:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buf) > MAX_HEAD:
                    raise HttpError(431, "request header fields too large")
                return None
            self._head = _parse_head(bytes(self._buf[:end]).decode("latin-1"))
            del self._buf[: end + 4]
            self._need = _body_length(self._head[3])
        if len(self._buf) < self._need:
            return None
        method, target, version, headers = self._head
        body = bytes(self._buf[: self._need])
        del self._buf[: self._need]
        self._head, self._need = None, 0
        return Request(method, target, version, headers, body)


def _parse_head(text: str) -> tuple[str, str, str, dict[str, str]]:
    lines = text.split("\r\n")
    while lines and not lines[0]:  # RFC 9112 §2.2: ignore empty lines before the request line
        lines.pop(0)
    parts = lines[0].split(" ") if lines else []
    if len(parts) != 3 or parts[0] not in _METHODS or not parts[1].startswith("/"):
        raise HttpError(400, f"bad request line {lines[0][:80]!r}" if lines else "empty request")
    if parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
        raise HttpError(505, f"unsupported version {parts[2][:20]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise HttpError(400, f"bad header line {line[:80]!r}")
        key = name.lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return parts[0], parts[1], parts[2], headers


def _body_length(headers: dict[str, str]) -> int:
    if "transfer-encoding" in headers:
        raise HttpError(501, "Transfer-Encoding is not supported; send Content-Length")
    raw = headers.get("content-length")
    if raw is None:
        return 0
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # "³" is a digit to isdigit, not to int()
        raise HttpError(400, f"bad Content-Length {raw[:20]!r}")
    length = int(raw)
    if length > MAX_BODY:
        raise HttpError(413, f"body of {length} bytes is over the {MAX_BODY} byte limit")
    return length


def response_bytes(status: int, body: bytes, *, content_type: str = "application/json; charset=utf-8",
                   keep_alive: bool = True) -> bytes:
    """One HTTP/1.1 response, as Appium's express server frames it (JSON, explicit length)."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}",
            "Connection: keep-alive" if keep_alive else "Connection: close", "Vary: X-HTTP-Method-Override"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
