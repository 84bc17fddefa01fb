"""The probe line (docs/probe-line.md): ``BgProbe v1 <event> key=value …`` anywhere in a message.

Platform-neutral on purpose: the Android logcat path and the iOS syslog path both call
``parse_probe`` on a message and ``probe_event`` to get an ``Event``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.logs.events import Event, EventKind

__all__ = ["MARKER", "RING_BUFFER_FILE", "RUN_TASK_ARGUMENT", "ProbeRecord", "parse_probe", "probe_event"]

MARKER = "BgProbe v1 "
# The probe's debug trigger: a debug build launched with ``[RUN_TASK_ARGUMENT, "<task>"]`` runs the task at once
# (trigger=test). The iOS driver launches the app with it; the probe (``probe/``) and the lab's app honour it.
RUN_TASK_ARGUMENT = "--bgprobe-run-task"
# The ring buffer the probe keeps, relative to the app's documents directory (iOS) / files dir (Android).
RING_BUFFER_FILE = "bgprobe.jsonl"
_EVENT = re.compile(r"BgProbe v1 (\w+)")
# Values with spaces or "=" are double-quoted with \" and \\ escaped.
_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
_UNESCAPE = re.compile(r"\\(.)")

# Probe events → (event kind, the reason to record). A None reason means "take it from a key".
_KINDS: dict[str, tuple[EventKind, str | None]] = {
    "task_start": ("task_start", None),
    "task_end": ("task_end", None),
    "task_error": ("task_end", "error"),
    # The OS took the time away (iOS expiration, Android job stop): the run ended unfinished.
    "task_expired": ("task_end", "expired"),
    # The app was woken (push, boot, geofence, fetch): the reason is the ``reason`` key.
    "wake": ("wake", None),
}
# task_start's reason is what triggered it; task_end's is its result.
_REASON_KEY = {"task_start": "trigger", "task_end": "result", "wake": "reason"}


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


def probe_event(record: ProbeRecord, *, time: float | None = None, time_text: str | None = None,
                package: str | None = None, pid: int | None = None, line: int | None = None,
                raw: str = "") -> Event | None:
    """The ``Event`` for a probe record; None for records of an event this version does not know."""
    mapping = _KINDS.get(record.event)
    if mapping is None:
        return None
    kind, reason = mapping
    if reason is None:
        reason = record.fields.get(_REASON_KEY[kind])
    extra = {k: v for k, v in record.fields.items() if k != "task"}
    extra["event"] = record.event
    return Event(kind, time=time, time_text=time_text, package=package, pid=pid, task=record.task,
                 reason=reason, line=line, raw=raw, extra=extra)
