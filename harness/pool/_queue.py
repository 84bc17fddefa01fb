"""First come, first served among the processes waiting for one device.

Without an order, polling is unfair in the way that hurts most: an xdist worker that releases a phone
at teardown and asks for it again at the next setup does so within milliseconds, while a waiter from
another run looks only every ``poll_s``, so an engineer's ad-hoc run could starve behind a whole
nightly job. So a waiter that finds the device held writes itself into ``waiting/<device>.json``, and
a free device goes to the earliest live waiter.

A waiter proves it is alive by refreshing ``seen`` on each poll. One that stops (killed, timed out
without cleaning up) is dropped after ``max(10 polls, 2 s)`` of silence, or at once if it ran on this
host and its pid is dead, so a vanished waiter delays the others by seconds at most, never forever.

Every function here runs under the device's file lock, held by the caller (see ``_pool.py``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from harness.pool._records import atomic_write_json, pid_alive, read_json, safe_name

__all__ = ["Waiter", "leave_queue", "queue_turn"]

_MIN_SILENCE_S = 2.0
_SILENT_POLLS = 10


@dataclass(frozen=True, slots=True)
class Waiter:
    token: str
    pid: int
    hostname: str
    run_id: str
    holder: str
    since: float  # when it started waiting: the queue order
    seen: float  # its last poll
    poll_s: float

    def describe(self) -> str:
        return f"run {self.run_id} (pid {self.pid} on {self.hostname}, test {self.holder})"


def _path(state_dir: Path, device: str) -> Path:
    return state_dir / "waiting" / f"{safe_name(device)}.json"


def _load(path: Path) -> dict[str, Waiter]:
    data = read_json(path)
    waiters: dict[str, Waiter] = {}
    for token, entry in (data or {}).items():
        try:
            waiters[token] = Waiter(**entry)
        except TypeError:  # a hand-edited or older entry: drop it rather than wedge the queue
            continue
    return waiters


def _save(path: Path, waiters: dict[str, Waiter]) -> None:
    if waiters:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, {token: asdict(w) for token, w in waiters.items()})
    else:
        path.unlink(missing_ok=True)


def _alive(waiter: Waiter, host: str, now: float) -> bool:
    if now - waiter.seen > max(_SILENT_POLLS * waiter.poll_s, _MIN_SILENCE_S):
        return False
    return waiter.hostname != host or pid_alive(waiter.pid)


def queue_turn(state_dir: Path, device: str, me: Waiter, *, held: bool, host: str) -> Waiter | None:
    """Refresh ``me`` in the device's queue and return the waiter ahead of it, or None.

    ``held``: the device is leased right now, so ``me`` joins (or stays in) the queue whatever its
    place. Otherwise None means "your turn": ``me`` leaves the queue and may take the device.
    """
    path = _path(state_dir, device)
    waiters = _load(path)
    if not waiters and not held:
        return None  # the common, uncontended case: no queue file to write
    now = time.time()
    waiters = {t: w for t, w in waiters.items() if t == me.token or _alive(w, host, now)}
    previous = waiters.get(me.token)
    waiters[me.token] = replace(me, since=previous.since if previous else me.since, seen=now)
    first = min(waiters.values(), key=lambda w: (w.since, w.token))
    ahead = None if first.token == me.token else first
    if not held and ahead is None:
        del waiters[me.token]
    _save(path, waiters)
    return ahead


def leave_queue(state_dir: Path, device: str, token: str) -> None:
    """Drop a waiter that gave up (timeout, error), so the others need not wait for it to go silent."""
    path = _path(state_dir, device)
    waiters = _load(path)
    if waiters.pop(token, None) is not None:
        _save(path, waiters)
