"""The app's data container and the probe (docs/probe-line.md) the app's JS runs.

The probe line is the app contract's (``harness.contracts.probe``): one ``BgProbe v1`` line per event, written
with ``console.log``. On iOS React Native hands it to ``os_log_with_type(…, "%{public}s", …)`` on
``os_log_create("com.facebook.react.log", "javascript")`` at ``OS_LOG_TYPE_INFO`` (React/Base/RCTLog.mm
``RCTDefaultLogFunction``, ``RCTLogTypeForLogLevel``): an Info line from the app's own process with that
subsystem and category. The ring buffer ``Documents/bgprobe.jsonl`` (``harness.contracts.ring``) keeps the last
``RING_SIZE`` events; the run counter is derived from it, so it survives process death.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.contracts.probe import format_probe_line
from harness.contracts.ring import RING_SIZE, parse_ring, ring_line, ring_path
from harness.lab.ios.contracts import ContainerFile

__all__ = ["RING_PATH", "RING_SIZE", "Container", "Probe"]

RING_PATH = ring_path("ios")
_DIRECTORIES = ("Documents/", "Library/", "Library/Caches/", "Library/Preferences/", "tmp/")
RN_SUBSYSTEM, RN_CATEGORY = "com.facebook.react.log", "javascript"


class Container:
    """An app's data container (what house_arrest VendContainer shows): the standard directories, files."""

    def __init__(self, created_s: float) -> None:
        self.files: dict[str, ContainerFile] = {d: ContainerFile(d, b"", created_s) for d in _DIRECTORIES}

    def read(self, path: str) -> bytes | None:
        item = self.files.get(path)
        return item.data if item is not None else None

    def write(self, path: str, data: bytes, now_s: float) -> None:
        self.files[path] = ContainerFile(path, data, now_s)

    def listing(self) -> list[ContainerFile]:
        return [self.files[path] for path in sorted(self.files)]


class Probe:
    """The JS probe. ``log`` writes one line from the app's process (None when it has no process).

    The parsed ring is cached and reloaded only when the file is not the one the probe last wrote, so a
    busy task (location every minute) costs one append, not a re-parse of the ring, per event."""

    def __init__(self, container: Container, now: Callable[[], float], log: Callable[[str], None]) -> None:
        self.container = container
        self.now = now
        self.log = log
        self._data: bytes | None = None
        self._lines: list[str] = []
        self._events: list[dict[str, object]] = []
        self._max_run: dict[str, int] = {}  # task → highest run in the ring (filled lazily)

    def _load(self) -> None:
        data = self.container.read(RING_PATH) or b""
        if data is self._data:
            return
        self._events = parse_ring(data)
        self._data, self._lines, self._max_run = data, [ring_line(item) for item in self._events], {}

    def events(self) -> list[dict[str, object]]:
        self._load()
        return list(self._events)

    def next_run(self, task: str) -> int:
        """One more than the highest run of ``task`` still in the ring."""
        self._load()
        if task not in self._max_run:
            runs = [_run_of(e) for e in self._events if e.get("task") == task]
            self._max_run[task] = max(runs, default=0)
        return self._max_run[task] + 1

    def emit(self, event: str, **fields: object) -> None:
        self.log(format_probe_line(event, fields))
        self._load()
        now = self.now()
        item: dict[str, object] = {"event": event, **fields, "time": round(now * 1000)}
        self._lines = [*self._lines, ring_line(item)][-RING_SIZE:]
        dropped = self._events[: max(0, len(self._events) + 1 - RING_SIZE)]
        self._events = [*self._events, item][-RING_SIZE:]
        task = str(item.get("task"))
        if task in self._max_run:
            self._max_run[task] = max(self._max_run[task], _run_of(item))
        for gone in dropped:  # the highest run may have left the ring: derive it again when asked
            if self._max_run.get(str(gone.get("task"))) == _run_of(gone):
                self._max_run.pop(str(gone.get("task")), None)
        self._data = "".join(line + "\n" for line in self._lines).encode()
        self.container.write(RING_PATH, self._data, now)


def _run_of(event: dict[str, object]) -> int:
    try:
        return int(str(event.get("run", 0)))
    except ValueError:
        return 0
