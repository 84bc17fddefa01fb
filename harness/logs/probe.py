"""The probe line as an ``Event``: the line itself is an app contract (``harness.contracts.probe``).

Platform-neutral on purpose: the Android logcat path and the iOS syslog path both call
``parse_probe`` on a message and ``probe_event`` to get an ``Event``.
"""

from __future__ import annotations

from harness.contracts.probe import MARKER, ProbeRecord, parse_probe
from harness.logs.events import Event, EventKind

__all__ = ["MARKER", "ProbeRecord", "parse_probe", "probe_event"]

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
