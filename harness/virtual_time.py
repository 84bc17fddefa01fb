"""The harness's side of the lab's time control: how a wait moves a virtual lab phone's clock.

Only the waiting primitive uses it (``EventStream`` and the waits built on it), and only for a ``lab = true`` phone
under ``[lab] clock = "virtual"``; every other phone, and every driver verb, never touches it. The lab's side, and
the wire, are described in ``harness/lab/timectl.py`` (the two meet only over that socket).
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass
from typing import Any

from harness.config import Config, DeviceConfig
from harness.errors import LabError

__all__ = ["MARKER_TAG", "LabTime", "Step", "lab_time"]

MARKER_TAG = "LabClock"  # the tag (Android) / process (iOS) of a step's marker line; the lab writes the same

_TIMEOUT_S = 60.0  # wall seconds for one step: it runs a phone's events up to one that logs, on a loaded host


@dataclass(frozen=True, slots=True)
class Step:
    now: float  # the device time the step reached
    marker: str  # the text of the marker line the step wrote into the phone's log, after everything it produced


class LabTime:
    """A client of the lab's time control for one phone. Thread-safe; one connection, opened on first use."""

    def __init__(self, host: str, port: int, device: str) -> None:
        self.host, self.port, self.device = host, port, device
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        return float(self._ask({"op": "now", "device": self.device})["now"])

    def step(self, until: float) -> Step:
        """Run the phone's events up to the first that logs a line, or up to ``until`` (device seconds)."""
        answer = self._ask({"op": "step", "device": self.device, "until": until})
        return Step(float(answer["now"]), str(answer["marker"]))

    def sync(self) -> Step:
        """Run nothing new: let the phone's outbound work finish and mark its log, so a wait's first look sees
        everything the phone did up to now (a step to a time already reached)."""
        return self.step(0.0)

    def advance(self, until: float) -> float:
        """Run every event up to ``until`` (a wait with nothing to watch: an iPhone left unplugged ``for_s``)."""
        now = self.now()
        while now < until:
            now = self.step(until).now
        return now

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _ask(self, request: dict[str, object]) -> dict[str, Any]:
        line = json.dumps(request).encode() + b"\n"
        with self._lock:
            for attempt in (1, 2):  # a connection the lab closed (it restarted) is opened once more
                try:
                    return self._exchange(line)
                except OSError as exc:
                    self._drop()
                    if attempt == 2:
                        raise LabError(f"{self.device}: the lab's time control at {self.host}:{self.port} did not "
                                       f"answer {request['op']!r} ({exc}); is the lab running? "
                                       "`harness lab status`") from exc
        raise AssertionError("unreachable")

    def _exchange(self, line: bytes) -> dict[str, Any]:
        if self._sock is None:
            self._sock = socket.create_connection((self.host, self.port), timeout=_TIMEOUT_S)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.sendall(line)
        reply = self._read_line()
        answer = json.loads(reply)
        if not isinstance(answer, dict):
            raise LabError(f"{self.device}: the lab's time control answered {reply[:200]!r}")
        if "error" in answer:
            raise LabError(f"{self.device}: the lab's time control: {answer['error']}")
        return answer

    def _read_line(self) -> bytes:
        assert self._sock is not None
        chunks = bytearray()
        while not chunks.endswith(b"\n"):
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("the lab closed the time control connection")
            chunks += chunk
        return bytes(chunks)

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = None


def lab_time(cfg: Config, dev: DeviceConfig) -> LabTime | None:
    """The time control for ``dev`` when its clock is virtual; None for a real phone or a real-time lab phone."""
    if not cfg.virtual_time(dev):
        return None
    return LabTime(cfg.lab.host, cfg.lab.time_port, dev.name)
