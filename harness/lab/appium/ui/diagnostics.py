"""What the probe's diagnostics screen shows for a ring buffer (``probe/src/rows.ts``, ``diagnostics.tsx``).

One row per event, newest first: a head line ``<ISO time>  <event>  <task>[ #<run>]`` and, when the event
has other fields, a detail line of ``key=value`` pairs quoted like the probe line (``format.ts``
``formatProbeValue``). The screen's title is ``Background task probe`` and its button reads
``Refresh (<n> events)``. The screen reads the file when it mounts and on Refresh, not continuously.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from harness.contracts.ring import parse_ring  # the file the screen reads is the app contract's

__all__ = ["REFRESH_LABEL", "TITLE", "DiagnosticRow", "diagnostic_rows", "parse_ring"]

TITLE = "Background task probe"
_SHOWN = ("event", "time", "task", "run")
_BARE = re.compile(r'^[^\s="\\]+$')


def REFRESH_LABEL(count: int) -> str:  # noqa: N802 - mirrors the template literal in diagnostics.tsx
    return f"Refresh ({count} events)"


@dataclass(frozen=True, slots=True)
class DiagnosticRow:
    key: str
    time: str
    event: str
    task: str
    run: str
    detail: str

    @property
    def head(self) -> str:
        return f"{self.time}  {self.event}  {self.task}{'' if self.run == '' else f' #{self.run}'}"


def diagnostic_rows(events: list[dict[str, object]]) -> list[DiagnosticRow]:
    rows = [DiagnosticRow(str(i), _iso(e.get("time")), _js(e.get("event", "")),
                          "" if e.get("task") is None else _js(e["task"]),
                          "" if e.get("run") is None else _js(e["run"]),
                          " ".join(f"{k}={_value(v)}" for k, v in e.items() if k not in _SHOWN))
            for i, e in enumerate(events)]
    return rows[::-1]


def _iso(ms: object) -> str:
    """``new Date(ms).toISOString()``: millisecond precision, ``Z``; ``String(ms)`` when not a date."""
    try:
        stamp = datetime.fromtimestamp(float(ms) / 1000.0, UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return _js(ms)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _js(value: object) -> str:
    """JavaScript's ``String(value)`` for what JSON can hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return "[object Object]" if isinstance(value, dict) else ",".join(_js(v) for v in value)
    return str(value)


def _value(value: object) -> str:
    text = _js(value)
    if _BARE.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
