"""The wake collector: a small HTTP service the app under test calls on each wake.

``POST /wake`` with ``Authorization: Bearer <run token>`` and a JSON record (``_records.parse_wake``) →
``204``; a missing or wrong token → ``401``; a malformed record → ``400`` with ``{"error": …}``.
``GET /wakes`` (same token) → every record so far, for a person looking. It binds 127.0.0.1 by default
(Android phones reach it through ``adb reverse``); binding another address is for iPhones on the same
network and must be asked for in ``[collector] host``. The run token is random per collector and never
logged. Responses close the connection (HTTP/1.0), which is all a phone's one-shot report needs.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness.collector._records import WakeStore, parse_wake
from harness.config import CollectorConfig

__all__ = ["MAX_BODY", "Collector"]

log = logging.getLogger("harness.collector")

MAX_BODY = 4096


class Collector:
    """One collector per run. ``start()`` binds and serves on a daemon thread; ``stop()`` ends it."""

    def __init__(self, cfg: CollectorConfig | None = None, *, token: str | None = None) -> None:
        self.cfg = cfg or CollectorConfig()
        self.token = token or secrets.token_urlsafe(24)
        self.store = WakeStore()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the collector is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The host-side URL (``http://127.0.0.1:<port>``)."""
        return f"http://{self.cfg.host}:{self.port}"

    def start(self) -> Collector:
        handler = type("Handler", (_Handler,), {"collector": self})
        self._server = _Server((self.cfg.host, self.cfg.port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="wake-collector", daemon=True)
        self._thread.start()
        log.info("wake collector on %s", self.url)
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def __enter__(self) -> Collector:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def authorised(self, header: str | None) -> bool:
        scheme, _, value = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.encode(), self.token.encode())


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # socketserver prints the traceback to stderr, where no one reads it; the log is where errors go
        log.exception("collector: request from %s failed", client_address)


class _Handler(BaseHTTPRequestHandler):
    collector: Collector
    server_version = "bgharness-collector"

    def log_message(self, format: str, *args: object) -> None:
        log.debug("collector: " + format, *args)

    def _reply(self, status: HTTPStatus, body: object | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != "/wake":
            self._reply(HTTPStatus.NOT_FOUND, {"error": "POST /wake"})
            return
        if not self.collector.authorised(self.headers.get("Authorization")):
            self._reply(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong bearer token"})
            return
        length_text = (self.headers.get("Content-Length") or "0").strip()
        if not (length_text.isascii() and length_text.isdigit()) or len(length_text) > 18:  # int() refuses "³"
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "Content-Length must be a number of bytes"})
            return
        length = int(length_text)
        if length > MAX_BODY:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"body over {MAX_BODY} bytes"})
            return
        try:
            record = parse_wake(self.rfile.read(length), time.time())
        except ValueError as exc:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        self.collector.store.add(record)
        log.info("wake from %s: %s %s at device ms %d", record.device, record.reason, record.task or "-",
                 record.time_ms)
        self._reply(HTTPStatus.NO_CONTENT)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/wakes":
            self._reply(HTTPStatus.NOT_FOUND, {"error": "GET /wakes"})
            return
        if not self.collector.authorised(self.headers.get("Authorization")):
            self._reply(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong bearer token"})
            return
        self._reply(HTTPStatus.OK, [r.as_json() for r in self.collector.store.since()])
