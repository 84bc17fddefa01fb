"""Chrome for Android's DevTools endpoint on ``localabstract:chrome_devtools_remote``: its HTTP ``/json`` API.

What ``adb forward tcp:9222 localabstract:chrome_devtools_remote`` then ``curl localhost:9222/json/version``
reads. Texts follow Chromium's ``content/browser/devtools/devtools_http_handler.cc``: ``SendJson`` writes
``JSONWriter`` pretty-printed JSON (three-space indent, keys sorted, a trailing newline) plus a message, as
``application/json; charset=UTF-8``; ``/json/version`` carries Browser, Protocol-Version, User-Agent,
V8-Version, WebKit-Version, ``webSocketDebuggerUrl`` = ``ws://<Host header>/devtools/browser`` (the browser
target is discoverable on Android, so no GUID) and, on Android, ``Android-Package``; an unknown ``/json/X`` is a
404 ``Unknown command: X``. ``net/server/http_server_response_info.cc`` writes headers as ``Name:value``.
The Chrome build is a fixed one (131 stable); the User-Agent is the reduced one Chrome sends since 110.
No tab is open, so the target list is empty; ``/json/protocol``, ``/json/new`` and the WebSocket protocol are
not modelled (they answer as unknown commands).
"""

from __future__ import annotations

import json

from harness.lab.android.streams import Stream

__all__ = ["SOCKET", "serve_devtools"]

SOCKET = "localabstract:chrome_devtools_remote"
CHROME = "131.0.6778.135"
_VERSION = {
    "Android-Package": "com.android.chrome",
    "Browser": f"Chrome/{CHROME}",
    "Protocol-Version": "1.3",
    "User-Agent": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                  f"Chrome/{CHROME.split('.', maxsplit=1)[0]}.0.0.0 Mobile Safari/537.36",
    "V8-Version": "13.1.201.16",
    "WebKit-Version": "537.36 (@2b36d3ba2fd0a5a9e6c5ff0da0cd1f4b2e7cf3b2)",
}
_REASONS = {200: "OK", 404: "Not Found"}
_MAX_REQUEST = 64 * 1024


async def serve_devtools(stream: Stream) -> None:
    """HTTP/1.1 requests on one connection, until the client closes it."""
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            chunk = await stream.read_some()
            if not chunk or len(buf) > _MAX_REQUEST:
                return
            buf += chunk
        head, _, buf = buf.partition(b"\r\n\r\n")
        stream.send(answer(head.decode("latin-1")))


def answer(head: str) -> bytes:
    """The response to one request head (request line and headers, without the blank line)."""
    lines = head.split("\r\n")
    path = lines[0].partition(" ")[2].partition(" ")[0].partition("?")[0]
    host = next((line.partition(":")[2].strip() for line in lines[1:] if line.lower().startswith("host:")), "")
    if not path.startswith("/json"):
        return _response(404, "text/html", b"")
    command = path[len("/json"):].strip("/")
    if command in ("", "list"):
        return _json(200, [])
    if command == "version":
        return _json(200, {**_VERSION, "webSocketDebuggerUrl": f"ws://{host}/devtools/browser"})
    return _response(404, "application/json; charset=UTF-8", f"Unknown command: {command}".encode())


def _json(status: int, value: object) -> bytes:
    body = json.dumps(value, indent=3, sort_keys=True, ensure_ascii=False, separators=(",", ": "))
    return _response(status, "application/json; charset=UTF-8", (_empty_list(body) + "\n").encode())


def _empty_list(body: str) -> str:
    return "[  ]" if body == "[]" else body  # JSONWriter pads an empty list with its pretty-print spaces


def _response(status: int, content_type: str, body: bytes) -> bytes:
    head = (f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Length:{len(body)}\r\n"
            f"Content-Type:{content_type}\r\n\r\n")
    return head.encode() + body
