"""The probe the app's JS runs (docs/probe-line.md): one ``BgProbe v1`` line per event plus a ring buffer.

``console.log`` in React Native reaches logcat as ``I ReactNativeJS: <text>`` from the JS thread.
The ring buffer ``files/bgprobe.jsonl`` keeps the last ``RING_SIZE`` events, one JSON object per line with the
same keys plus ``event`` and ``time`` (ms since 1970); the ``run`` counter is derived from it, so it
survives process death and restarts when the app's data is cleared. The line and the file are the app
contracts the harness reads (``harness.contracts.probe``, ``harness.contracts.ring``).
"""

from __future__ import annotations

from harness.contracts.probe import format_probe_line
from harness.contracts.ring import RING_SIZE, parse_ring, ring_line, ring_path
from harness.lab.android.os.apps._host import AppHost

__all__ = ["Probe"]


class Probe:
    def __init__(self, host: AppHost) -> None:
        self.host = host

    @property
    def path(self) -> str:
        return f"/data/user/0/{self.host.package}/{ring_path('android')}"

    def events(self) -> list[dict[str, object]]:
        fs = self.host.dev.fs
        if fs.get(self.path) is None:
            return []
        return parse_ring(fs.read(self.path))

    def next_run(self, task: str) -> int:
        runs = [int(str(e.get("run", 0))) for e in self.events() if e.get("task") == task and "run" in e]
        return max(runs, default=0) + 1

    def emit(self, event: str, **fields: object) -> None:
        self.host.log("I", "ReactNativeJS", format_probe_line(event, fields), thread="js")
        self._append({"event": event, **fields, "time": round(self.host.dev.clock.now() * 1000)})

    def _append(self, item: dict[str, object]) -> None:
        fs = self.host.dev.fs
        directory = self.path.rsplit("/", 1)[0]
        if fs.get(directory) is None:
            fs.mkdirs(directory, uid=self.host.uid)
        lines = [ring_line(e) for e in [*self.events(), item]]
        data = "".join(line + "\n" for line in lines[-RING_SIZE:]).encode()
        fs.write(self.path, data, mode=0o600, uid=self.host.uid)
