"""The probe line (docs/probe-line.md): ``BgProbe v1 <event> key=value …`` anywhere in a log message.

The app-side probe (``probe/src/format.ts``) and the lab's modelled app write it with ``format_probe_line``'s
rules; the harness reads it back with ``parse_probe`` (``harness.logs.probe`` turns a record into an ``Event``).
``tests/probe/test_probe_lines.py`` checks the TypeScript formatter against this one byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["MARKER", "RUN_TASK_ARGUMENT", "ProbeRecord", "format_probe_line", "parse_probe"]

MARKER = "BgProbe v1 "
# The probe's debug trigger: a debug build launched with ``[RUN_TASK_ARGUMENT, "<task>"]`` runs the task at once
# (trigger=test). The iOS driver launches the app with it; the probe (``probe/``) and the lab's app honour it.
RUN_TASK_ARGUMENT = "--bgprobe-run-task"
_EVENT = re.compile(r"BgProbe v1 (\w+)")
# Values with spaces or "=" are double-quoted with \" and \\ escaped.
_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
_UNESCAPE = re.compile(r"\\(.)")
_BARE = re.compile(r'[^\s="\\]+')  # a value written without quotes (fullmatch: a trailing newline is quoted)


@dataclass(frozen=True, slots=True)
class ProbeRecord:
    event: str  # task_start, task_end, task_error, task_expired, wake, or a newer one
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def task(self) -> str | None:
        return self.fields.get("task")


def parse_probe(text: str) -> ProbeRecord | None:
    """The probe record in ``text`` (a log message), or None when there is none."""
    start = text.find(MARKER)
    if start < 0:
        return None
    m = _EVENT.match(text, start)
    if m is None:
        return None
    fields: dict[str, str] = {}
    for pair in _PAIR.finditer(text, m.end()):
        value = pair.group(2)
        if value.startswith('"') and len(value) >= 2:
            value = _UNESCAPE.sub(r"\1", value[1:-1])
        fields[pair.group(1)] = value
    return ProbeRecord(m.group(1), fields)


def _value(value: object) -> str:
    text = str(value)
    if _BARE.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_probe_line(event: str, fields: dict[str, object]) -> str:
    """One probe line: the marker, the event, then ``key=value`` per field in order (bare, or quoted)."""
    return " ".join([MARKER.rstrip(), event, *(f"{k}={_value(v)}" for k, v in fields.items())])
