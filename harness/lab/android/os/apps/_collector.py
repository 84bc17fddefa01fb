"""The app's wake report: ``POST /wake`` to the harness's collector, through the phone's ``adb reverse`` port.

The probe reads ``files/bgprobe-collector.json`` (``{"url", "token", "device"}``, written by the harness
with ``run-as <pkg>``) at each wake and posts ``{"device", "reason", "task", "time_ms"}`` with
``Authorization: Bearer <token>`` to ``url``. On a phone, ``http://127.0.0.1:<port>`` is the phone's own
loopback: it reaches the host only through ``adb reverse tcp:<port> tcp:<collector port>``, which is
what the lab's adbd implements (``harness.lab.android.reverse``). No config file: no report. A failed
report logs one warning from the JS thread and is not retried (the probe's ring buffer still has it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from typing import Any

from harness.lab.android.os.apps._host import AppHost
from harness.lab.android.reverse import reverse_of
from harness.lab.android.streams import Stream
from harness.lab.push._report import wake_request

__all__ = ["CONFIG_FILE", "CollectorClient"]

log = logging.getLogger("harness.lab.android.apps")

CONFIG_FILE = "bgprobe-collector.json"
TIMEOUT_S = 10.0


class CollectorClient:
    def __init__(self, host: AppHost) -> None:
        self.host = host
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def path(self) -> str:
        return f"/data/user/0/{self.host.package}/files/{CONFIG_FILE}"

    def config(self) -> dict[str, Any] | None:
        fs = self.host.dev.fs
        if fs.get(self.path) is None:
            return None
        try:
            cfg = json.loads(fs.read(self.path))
        except ValueError:
            return None
        return cfg if isinstance(cfg, dict) and isinstance(cfg.get("url"), str) else None

    def report(self, reason: str, task: str | None) -> None:
        """Post one wake now (device time), if the harness configured a collector."""
        cfg = self.config()
        if cfg is None:
            return
        url = urllib.parse.urlsplit(cfg["url"])
        body: dict[str, object] = {"device": str(cfg.get("device", "")), "reason": reason, "task": task,
                "time_ms": round(self.host.dev.clock.now() * 1000)}
        table = reverse_of(self.host.dev)
        port = url.port or 80
        if url.hostname not in ("127.0.0.1", "localhost") or table is None or f"tcp:{port}" not in table.listeners:
            self._failed(cfg["url"], f"connect to {url.hostname}:{port} failed: ECONNREFUSED (Connection refused)")
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a model test on a ManualClock: no network at all
            self._failed(cfg["url"], "Network request failed")
            return
        task_ = loop.create_task(self._post(cfg, url, body))
        self._tasks.add(task_)
        task_.add_done_callback(self._tasks.discard)
        self.host.dev.outbound.add(task_)  # a virtual clock's step waits for it (harness/lab/timectl.py)
        task_.add_done_callback(self.host.dev.outbound.discard)

    async def _post(self, cfg: dict[str, Any], url: urllib.parse.SplitResult, body: dict[str, object]) -> None:
        table = reverse_of(self.host.dev)
        assert table is not None
        request = wake_request(cfg["url"], str(cfg.get("token", "")), body)
        try:
            stream = await table.connect(url.port or 80, TIMEOUT_S)
            status = await asyncio.wait_for(_exchange(stream, request), TIMEOUT_S)
        except (ConnectionError, TimeoutError) as exc:
            self._failed(cfg["url"], str(exc) or type(exc).__name__)
            return
        if not 200 <= status < 300:
            self._failed(cfg["url"], f"HTTP {status}")

    def _failed(self, url: str, why: str) -> None:
        self.host.log("W", "ReactNativeJS", f"bgprobe: wake report to {url} failed: {why}", thread="js")


async def _exchange(stream: Stream, request: bytes) -> int:
    """Send ``request``, read the response until the server closes, return its status code."""
    stream.send(request)
    response = b""
    while chunk := await stream.read_some():  # Connection: close — the collector closes, the adb server sends CLSE
        response += chunk
    await stream.close()
    line = response.split(b"\r\n", 1)[0].split()
    if len(line) < 2 or not line[1].isdigit():
        raise ConnectionResetError("the collector closed the connection without an HTTP response")
    return int(line[1])
