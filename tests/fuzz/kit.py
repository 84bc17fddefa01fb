"""What every fuzz test shares: a lab serving one Android phone and one iPhone on free ports, a socket
exchange that never waits long, and a watch on the lab's log for unhandled exceptions.

``BGH_FUZZ_EXAMPLES`` raises the number of examples per test (default 40, so the whole suite stays
within ~30 s in `make test`); the opt-in long run uses 2000.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, settings

from harness.config import Config
from tests.labkit import test_config

__all__ = ["EXAMPLES", "LogWatch", "exchange", "fuzz_settings", "lab_config", "still_serves"]

EXAMPLES = int(os.environ.get("BGH_FUZZ_EXAMPLES", "40"))
_READ_S = 3.0  # a listener that neither answers nor closes within this is reported, not waited on


def fuzz_settings(factor: float = 1.0) -> settings:
    return settings(max_examples=max(1, int(EXAMPLES * factor)), deadline=None, derandomize=EXAMPLES <= 40,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def lab_config() -> Config:
    return test_config(names=("pixel-8", "iphone-15"))


def exchange(address: tuple[str, int], data: bytes, prefix: bytes = b"", read_s: float = _READ_S) -> bytes:
    """Send ``prefix`` + ``data``, close our side, and read whatever comes back until the listener closes.

    Closing our side (SHUT_WR) is what lets a listener waiting for the rest of a frame see the end at once.
    """
    with socket.create_connection(address, timeout=min(read_s, _READ_S)) as sock:
        try:
            sock.sendall(prefix + data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the listener already dropped us (it may, for garbage): that is an answer
            return b""
        chunks: list[bytes] = []
        deadline = time.monotonic() + read_s  # a streaming service (a log relay) never closes first
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def still_serves(address: tuple[str, int]) -> None:
    """The listener still accepts connections (one bad client never takes it down)."""
    with socket.create_connection(address, timeout=_READ_S):
        pass


class LogWatch(logging.Handler):
    """Every record of the lab's loggers at ERROR or with a traceback: an unhandled exception in a listener."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.bad: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.bad.append(f"{record.name}: {record.getMessage()}")

    @contextmanager
    def watching(self, loggers: tuple[str, ...] = ("harness", "asyncio")) -> Iterator[LogWatch]:
        """``asyncio`` too: an exception escaping a connection callback is logged there, not by the lab."""
        logs = [logging.getLogger(name) for name in loggers]
        levels = [log.level for log in logs]
        for log in logs:
            log.addHandler(self)
            log.setLevel(logging.DEBUG)
        try:
            yield self
        finally:
            for log, level in zip(logs, levels, strict=True):
                log.removeHandler(self)
                log.setLevel(level)
