"""One device's restore journal: an append-only JSON-lines file, written and fsynced before each change.

Lines (oldest first)::

    {"op": "change", "id": "5f0c…", "key": "appops com.x RUN_ANY_IN_BACKGROUND", "undo": {…}, "at": 1765…,
     "by": "host:pid"}
    {"op": "failed", "id": "5f0c…", "error": "[pixel-8] cmd appops set …: exit 255: …", "at": …}
    {"op": "done", "id": "5f0c…", "at": …}

An entry is pending until a ``done`` line names it; a ``failed`` line only notes the last error (the entry
stays pending, to be tried again and reported). ``record`` keeps the first pending entry of a key: a second
change of the same thing must not replace the undo to the original state with an undo to the first change.
Undo runs newest first, as a stack. Every read-check-append holds the file's lock (``harness._flock``), so two
processes never interleave lines; the device actions themselves run outside the lock (the pool's lease
already makes one holder per device), and each outcome is appended under the lock again.

A line torn by a crash mid-write is skipped when read: the change it announced had not been made yet.
Once nothing is pending the file is removed, so a clean phone has no journal.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harness._flock import LockTimeout, acquire
from harness.errors import DeviceError, HarnessError
from harness.journal._undo import Undo

__all__ = ["Entry", "Journal", "Replay", "journal_path"]

log = logging.getLogger("harness.journal")

LOCK_TIMEOUT_S = 10.0  # the lock covers one small read and one append; 10 s means a process is stuck in it


def journal_path(state_dir: Path, device: str) -> Path:
    """``<state_dir>/journal/<device>.jsonl`` (odd characters of the name percent-encoded)."""
    return Path(state_dir) / "journal" / f"{quote(device, safe='') or '%00'}.jsonl"


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    key: str
    undo: Undo
    at: float
    by: str
    error: str | None = None  # the last failed attempt's error, if any

    def describe(self) -> str:
        return f"{self.key}: {self.undo.describe()}"


@dataclass
class Replay:
    """What one replay did: the entries undone and the problems (each entry that could not be undone)."""

    undone: list[Entry]
    problems: list[str]
    failed: list[Entry]


class Journal:
    """The journal of one device. ``path=None`` keeps it in memory (a driver built without a config)."""

    def __init__(self, device: str, path: Path | None) -> None:
        self.device = device
        self.path = path
        self._lines: list[dict[str, Any]] = []  # the in-memory journal's lines

    @classmethod
    def on_disk(cls, state_dir: Path, device: str) -> Journal:
        return cls(device, journal_path(state_dir, device))

    @classmethod
    def in_memory(cls, device: str) -> Journal:
        return cls(device, None)

    # -- writing -------------------------------------------------------------------------------------
    def record(self, key: str, undo: Undo) -> Entry:
        """Note how to undo a change of ``key`` before it is made; returns the entry that will undo it
        (an older pending entry of the same key, if there is one: the first change knew the original)."""
        with self._locked():
            pending = _fold(self._read())
            existing = next((e for e in pending if e.key == key), None)
            if existing is not None:
                return existing
            entry = Entry(uuid.uuid4().hex, key, undo, time.time(), f"{socket.gethostname()}:{os.getpid()}")
            self._append({"op": "change", "id": entry.id, "key": key, "undo": undo.to_json(), "at": entry.at,
                          "by": entry.by})
            return entry

    def forget(self, key: str) -> None:
        """The change of ``key`` was put back by the test itself (``plug()`` after ``unplug()``)."""
        with self._locked():
            for entry in _fold(self._read()):
                if entry.key == key:
                    self._append({"op": "done", "id": entry.id, "at": time.time()})
            self._drop_if_clean()

    # -- reading and replaying -----------------------------------------------------------------------
    def pending(self) -> list[Entry]:
        """The entries not undone yet, newest first (the order they are undone in)."""
        if self.path is not None and not self.path.exists():
            return []  # the usual case at a lease: no journal, and no need to create its lock file
        with self._locked():
            return list(reversed(_fold(self._read())))

    def replay(self, run: Callable[[Undo], None]) -> Replay:
        """Undo every pending entry, newest first, with ``run``; an entry whose undo raises a HarnessError
        stays pending with its error and the replay carries on with the next one."""
        result = Replay([], [], [])
        for entry in self.pending():
            try:
                run(entry.undo)
            except (HarnessError, ValueError) as exc:  # ValueError: an entry missing an argument its kind needs
                self._note({"op": "failed", "id": entry.id, "error": str(exc), "at": time.time()})
                result.failed.append(replace(entry, error=str(exc)))
                result.problems.append(f"{entry.key}: {exc}")
                log.warning("[%s] could not undo %s: %s", self.device, entry.describe(), exc)
                continue
            self._note({"op": "done", "id": entry.id, "at": time.time()})
            result.undone.append(entry)
        with self._locked():
            self._drop_if_clean()
        return result

    # -- the file ------------------------------------------------------------------------------------
    def _note(self, line: dict[str, Any]) -> None:
        with self._locked():
            self._append(line)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        path = self.path.with_suffix(".lock")
        try:
            held = acquire(path, LOCK_TIMEOUT_S, poll_s=0.005)  # a descriptor per use: nothing crosses a fork
        except LockTimeout as exc:
            raise DeviceError(self.device, "restore journal", f"its lock {path} stayed taken for "
                              f"{LOCK_TIMEOUT_S:g} s", "a process is stuck writing it; `fuser` on the file finds "
                              "it") from exc
        try:
            yield
        finally:
            held.release()

    def _read(self) -> list[dict[str, Any]]:
        if self.path is None:
            return list(self._lines)
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        lines: list[dict[str, Any]] = []
        for raw in text.splitlines():
            try:
                item = json.loads(raw)
            except ValueError:
                log.warning("[%s] skipping a torn line of %s: %r", self.device, self.path, raw[:120])
                continue
            if isinstance(item, dict):
                lines.append(item)
        return lines

    def _append(self, line: dict[str, Any]) -> None:
        """Append one line and fsync it: the entry must be on disk before the change is made."""
        if self.path is None:
            self._lines.append(line)
            return
        data = (json.dumps(line, separators=(",", ":")) + "\n").encode()
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # a crash tore the last line: start ours on a line of its own
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:  # the new file's name must survive a power cut too
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _drop_if_clean(self) -> None:
        if _fold(self._read()):
            return
        if self.path is None:
            self._lines.clear()
        else:
            self.path.unlink(missing_ok=True)


def _fold(lines: list[dict[str, Any]]) -> list[Entry]:
    """The pending entries, oldest first, with each one's last error."""
    pending: dict[str, Entry] = {}
    for line in lines:
        op, entry_id = line.get("op"), str(line.get("id", ""))
        if op == "change" and entry_id not in pending:
            try:
                undo = Undo.from_json(line.get("undo"))
            except ValueError as exc:
                log.warning("skipping a journal entry that is not understood (%s): %r", exc, line)
                continue
            pending[entry_id] = Entry(entry_id, str(line.get("key", "")), undo, float(line.get("at", 0.0)),
                                      str(line.get("by", "?")))
        elif op == "failed" and entry_id in pending:
            pending[entry_id] = replace(pending[entry_id], error=str(line.get("error", "")))
        elif op == "done":
            pending.pop(entry_id, None)
    return list(pending.values())
