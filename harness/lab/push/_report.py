"""A lab phone's wake report over the host network (what an iPhone on Wi-Fi does; no ``adb reverse`` on iOS).

The iOS app model calls ``report_wake`` after its probe's ``wake`` line, with the config the harness wrote to
``Documents/bgprobe-collector.json`` (``{"url", "token", "device"}``, docs/push.md). It posts
``{"device", "reason", "task", "time_ms"}`` with ``Authorization: Bearer <token>`` and returns the HTTP
status, or raises ``ConnectionError`` / ``TimeoutError`` as a phone's URLSession would fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.parse

__all__ = ["report_wake", "wake_request"]

TIMEOUT_S = 10.0


def wake_request(url: str, token: str, body: dict[str, object]) -> bytes:
    """The HTTP/1.1 request bytes for one report (``Connection: close``: one report per connection)."""
    parts = urllib.parse.urlsplit(url)
    data = json.dumps(body, separators=(",", ":")).encode()
    head = (f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n")
    return head.encode() + data


async def report_wake(url: str, token: str, body: dict[str, object], timeout_s: float = TIMEOUT_S) -> int:
    """POST one wake record to ``url`` over TCP; the response's status code."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ConnectionError(f"unsupported collector URL {url!r} (the lab posts over http://)")
    reader, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port or 80), timeout_s)
    try:
        writer.write(wake_request(url, token, body))
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), timeout_s)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    line = response.split(b"\r\n", 1)[0].split()
    if len(line) < 2 or not line[1].isdigit():
        raise ConnectionResetError("the collector closed the connection without an HTTP response")
    return int(line[1])
