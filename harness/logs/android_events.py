"""Turn logcat records into the typed ``Event``s that expectations and reports read.

Pure: ``LogLine``s in, ``Event``s out, in line order. Each tag has a handler (a dict lookup per
line, so the many lines nobody cares about cost almost nothing); the probe marker and
``sys.boot_completed`` are looked for in every message. Message strings are the ones in
shared/reference/android.md §3.4 (ActivityManager), §6.4 (event tags), §2.5 (JobScheduler),
§7 (WorkManager, Expo) and §8 (OEM killers); kill attribution lives in ``attribution``.

App-side lines (WorkManager, Expo, the probe) do not name their package: it comes from the
pid's ``Start proc`` line seen earlier, or from Android Studio's process column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from harness.logs import _handlers
from harness.logs._handlers import Handler
from harness.logs.attribution import HINT_WINDOW_LINES, Attributor, Hint, hint_signature
from harness.logs.events import Event, EventKind, Killer
from harness.logs.logcat import LogLine
from harness.logs.probe import MARKER, parse_probe, probe_event

__all__ = ["EventBuilder", "android_events", "for_package"]

# The same process start / death / kill can arrive twice, as an ActivityManager line (system
# buffer) and as an am_* entry (events buffer); keep the first.
_DEDUPE_KINDS = frozenset({"process_start", "process_died", "kill", "freeze"})
_DEDUPE_S = 2.0
_DEDUPE_LINES = 20
_SYS_BOOT = re.compile(r"sys\.boot_completed[ =]1\b")
_LATE_HINT_S = 1.0  # an OEM line this soon after "its" force-stop still explains it
_HINT_PACKAGE = re.compile(r"(?i)(?:force.?stop|kill\w*|clean\w*)\s+([A-Za-z]\w*(?:\.\w+)+)")


class EventBuilder:
    """Incremental: ``feed`` records as they come, ``finish`` for the events so far."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.attr = Attributor()
        self.pid_package: dict[int, str] = {}
        self.appid_package: dict[int, str] = {}
        self.work_job: dict[str, int] = {}  # WorkManager work id → JobScheduler job id
        self.run_open: dict[tuple[str | int | None, ...], bool] = {}  # (library, pid[, request]) → a run is open
        self.run_line: dict[tuple[str, int | None], str] = {}  # (library, pid) → the wording that last opened/closed
        # requesting pid → recent force-stops it asked for: (package, time, line)
        self.stop_requests: dict[int, list[tuple[str, float | None, int]]] = {}
        self._seen: dict[tuple[str, int | str], tuple[float | None, int]] = {}
        self._hint_lines: dict[int, tuple[LogLine, str]] = {}
        self._handlers: dict[str, tuple[Handler, ...]] = {}

    def feed(self, records: Iterable[LogLine]) -> None:
        known, row_of, marker = self._handlers, self._row, MARKER  # locals: a lookup per record shows in the rate
        for ln in records:
            tag = ln.tag or ""
            handlers = known.get(tag)
            if handlers is None:
                # OEM context lines are noted before anything else reads the row.
                hint: tuple[Handler, ...] = (_note_hint,) if hint_signature(tag) else ()
                handlers = known[tag] = hint + _handlers.for_tag(tag)
            msg = ln.msg
            if "\n" not in msg:
                # Most rows of a real capture are other apps' and daemons' lines: a tag no handler reads, with no
                # probe marker and no boot property. Those are passed over here, without a call (the rate of a
                # noisy capture into events is this test's: bench/logs_field.py).
                if handlers or marker in msg or "boot_completed" in msg:
                    row_of(ln, handlers, ln.first_msg_line, msg, ln.raw)
            else:
                for line_no, row, raw in ln.rows():
                    row_of(ln, handlers, line_no, row, raw)

    def finish(self) -> list[Event]:
        """All events in line order, with OEM kill announcements nothing followed up on."""
        for hint in self.attr.unused():
            self._emit_hint(hint)
        self.events.sort(key=lambda e: e.line or 0)
        return self.events

    # -- used by the handlers -------------------------------------------------------------------
    def emit(self, kind: EventKind, ln: LogLine, line_no: int, raw: str, *, package: str | None = None,
             pid: int | None = None, job_id: int | None = None, task: str | None = None,
             reason: str | None = None, killer: Killer | None = None,
             extra: dict[str, str] | None = None) -> None:
        if pid is not None and kind in _DEDUPE_KINDS and self._duplicate(kind, pid, ln.time, line_no):
            self._enrich(kind, pid, package, killer)
            return
        if pid is None and kind == "freeze" and package is not None \
                and self._duplicate(kind, package, ln.time, line_no):
            return  # an OEM freezer telling one freeze twice (Freecess' state line and its FZ record, field c001)
        self.events.append(Event(kind, time=ln.time, time_text=ln.time_text, package=package, pid=pid,
                                 job_id=job_id, task=task, reason=reason, killer=killer, line=line_no,
                                 raw=raw, extra=extra or {}))

    def app_package(self, ln: LogLine) -> str | None:
        if ln.process:
            return ln.process.split(":", 1)[0]
        return self.pid_package.get(ln.pid) if ln.pid is not None else None

    def known_process(self, pid: int, package: str) -> None:
        self.pid_package[pid] = package

    def note_process(self, pid: int | None, process: str, appid: int | None) -> str:
        package = process.split(":", 1)[0]
        if pid is not None:
            self.pid_package[pid] = package
        if appid is not None and appid >= 10_000:
            self.appid_package[appid] = package
        return package

    # -- internals ------------------------------------------------------------------------------
    def _row(self, ln: LogLine, handlers: tuple[Handler, ...], line_no: int, row: str, raw: str) -> None:
        for handler in handlers:
            handler(self, ln, line_no, row, raw)
        if MARKER in row:
            self._probe(ln, line_no, row, raw)
        if "boot_completed" in row and _SYS_BOOT.search(row):
            self.emit("boot", ln, line_no, raw, reason="sys.boot_completed")

    def _probe(self, ln: LogLine, line_no: int, row: str, raw: str) -> None:
        record = parse_probe(row)
        if record is None:
            return
        event = probe_event(record, time=ln.time, time_text=ln.time_text, package=self.app_package(ln),
                            pid=ln.pid, line=line_no, raw=raw)
        if event is not None:
            self.events.append(event)

    def note_hint(self, ln: LogLine, line_no: int, row: str, raw: str) -> None:
        hint = self.attr.observe(ln.tag or "", row, ln.pid, ln.time, line_no)
        if hint is not None:
            self._hint_lines[line_no] = (ln, raw)
            self._late_hint(hint)

    def _late_hint(self, hint: Hint) -> None:
        """An OEM line logged just *after* the force-stop its own pid requested (OnePlus' OHPD, field a056): that
        force-stop, and the kills that followed it, were the OEM's."""
        stopped: set[str] = set()
        for i in range(len(self.events) - 1, -1, -1):
            event = self.events[i]
            if (event.line or 0) < hint.line - HINT_WINDOW_LINES:
                break
            if event.kind == "force_stop" and event.killer in ("user", "unknown") and hint.pid is not None \
                    and event.extra.get("requester_pid") == str(hint.pid) and _shortly_before(event, hint):
                self.events[i] = replace(event, killer=hint.sig.killer)
                stopped.add(event.package or "")
        if not stopped:
            return
        hint.used = True
        for i, event in enumerate(self.events):
            stop_of = event.reason[5:].split(",", 1)[0].split(" ", 1)[0] if event.reason else ""
            if event.kind == "kill" and event.reason and event.reason.startswith("stop ") and stop_of in stopped \
                    and (event.line or 0) <= hint.line:
                self.events[i] = replace(event, killer=hint.sig.killer)
        for package in stopped:
            self.attr.note_force_stop(package, hint.sig.killer, hint.time, hint.line)

    def _duplicate(self, kind: str, pid: int | str, time: float | None, line: int) -> bool:
        key = (kind, pid)
        prior = self._seen.get(key)
        self._seen[key] = (time, line)
        if prior is None:
            return False
        t0, l0 = prior
        if t0 is not None and time is not None:
            return abs(time - t0) <= _DEDUPE_S
        return line - l0 <= _DEDUPE_LINES

    def _enrich(self, kind: str, pid: int, package: str | None, killer: Killer | None) -> None:
        """A second report of one death or kill may know what the first did not: Zygote's "Process N exited"
        names no package, the ActivityManager line after it does (field b016); a kill first read without
        evidence of its killer may be named by the next line. Fill in what the kept event lacks."""
        for i in range(len(self.events) - 1, max(len(self.events) - _DEDUPE_LINES, 0) - 1, -1):
            event = self.events[i]
            if event.kind != kind or event.pid != pid:
                continue
            if event.package is None and package is not None:
                event = replace(event, package=package)
            if event.killer == "unknown" and killer not in (None, "unknown"):
                event = replace(event, killer=killer)
            self.events[i] = event
            return

    def _emit_hint(self, hint: Hint) -> None:
        hint.used = True  # once: finish() may be called again after more input
        ln, raw = self._hint_lines[hint.line]
        named = _HINT_PACKAGE.search(hint.text)
        package = named.group(1) if named else None
        extra = {"source": ln.tag or ""}
        if hint.appids:
            appid = min(hint.appids)
            extra["uid"] = str(appid)
            package = package or self.appid_package.get(appid)
        self.emit("force_stop", ln, hint.line, raw, package=package, reason=hint.text,
                  killer=hint.sig.killer, extra=extra)


def _shortly_before(event: Event, hint: Hint) -> bool:
    if event.time is not None and hint.time is not None:
        return 0.0 <= hint.time - event.time <= _LATE_HINT_S
    return 0 <= hint.line - (event.line or 0) <= HINT_WINDOW_LINES


def _note_hint(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    b.note_hint(ln, line_no, row, raw)


def android_events(records: Iterable[LogLine]) -> list[Event]:
    builder = EventBuilder()
    builder.feed(records)
    return builder.finish()


def for_package(events: Iterable[Event], package: str) -> list[Event]:
    """Drop the events that name another package; device-wide ones (Doze, boot) and app lines
    whose package is unknown stay."""
    return [e for e in events if e.package is None or e.package == package]
