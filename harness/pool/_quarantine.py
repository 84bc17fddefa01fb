"""Failures per device and run, and the quarantine they lead to.

One file per run, ``quarantine/<run_id>.json``, shared by every xdist worker of that run and
updated under its own file lock::

    {"run_id": "nightly-42",
     "devices": {"pixel-8": {"failures": [{"source": "health", "reason": "adb: device offline",
                                           "holder": "tests/test_doze.py::test_x", "at": 1732800000.0}],
                             "quarantined_at": null}}}

Quarantine lasts for the run only: the next run (or an engineer's ad-hoc run beside the nightly one)
starts with a clean slate, because the usual cure, a replug or a reboot, happens between runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from harness.pool._records import atomic_write_json, file_lock, read_json, safe_name

__all__ = ["FailureSource", "Quarantined", "quarantine_of", "quarantined", "record_failure"]

FailureSource = Literal["health", "report"]
_LOCK_TIMEOUT_S = 10.0  # the lock is held for one small read and write; 10 s means something is stuck


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A device out of the pool for the rest of a run, and why."""

    device: str
    run_id: str
    reason: str  # one line for the report: every failure, oldest first
    failures: tuple[str, ...]
    since: float  # wall time of the failure that crossed the limit


def _path(state_dir: Path, run_id: str) -> Path:
    return state_dir / "quarantine" / f"{safe_name(run_id)}.json"


def _devices(data: dict[str, Any] | None) -> dict[str, Any]:
    devices = (data or {}).get("devices")
    return devices if isinstance(devices, dict) else {}


def _failure_texts(entry: dict[str, Any]) -> tuple[str, ...]:
    failures = entry.get("failures")
    if not isinstance(failures, list):
        return ()
    return tuple(f"{f.get('source', '?')}: {f.get('reason', '?')}" for f in failures if isinstance(f, dict))


def _as_quarantined(run_id: str, device: str, entry: Any) -> Quarantined | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("quarantined_at"), (int, float)):
        return None
    texts = _failure_texts(entry)
    reason = f"failed {len(texts)} times in this run: " + "; ".join(texts)
    return Quarantined(device=device, run_id=run_id, reason=reason, failures=texts,
                       since=float(entry["quarantined_at"]))


def record_failure(
    state_dir: Path,
    run_id: str,
    device: str,
    reason: str,
    *,
    source: FailureSource,
    holder: str,
    limit: int,
) -> tuple[int, Quarantined | None]:
    """Count one failure of ``device`` in ``run_id``; quarantine it on reaching ``limit``.

    Returns the run's failure count for the device and, once quarantined, the quarantine. The count
    is shared by all processes of the run, so two workers each seeing one failure quarantine it.
    """
    path = _path(state_dir, run_id)
    with file_lock(path.with_suffix(".lock"), _LOCK_TIMEOUT_S, device, "quarantine"):
        data = read_json(path) or {}
        devices = _devices(data)
        entry = devices.get(device)
        if not isinstance(entry, dict):
            entry = devices[device] = {}
        failures = entry.setdefault("failures", [])
        if not isinstance(failures, list):
            failures = entry["failures"] = []
        now = time.time()
        failures.append({"source": source, "reason": reason, "holder": holder, "at": now})
        if len(failures) >= limit and not isinstance(entry.get("quarantined_at"), (int, float)):
            entry["quarantined_at"] = now
        atomic_write_json(path, {"run_id": run_id, "devices": devices})
    return len(failures), _as_quarantined(run_id, device, entry)


def quarantine_of(state_dir: Path, run_id: str, device: str) -> Quarantined | None:
    """The device's quarantine in this run, if any. Takes no lock (the file is replaced atomically)."""
    return _as_quarantined(run_id, device, _devices(read_json(_path(state_dir, run_id))).get(device))


def quarantined(state_dir: Path, run_id: str) -> list[Quarantined]:
    """Every device quarantined in ``run_id``, sorted by name: the report's "taken out of the run" list."""
    devices = _devices(read_json(_path(state_dir, run_id)))
    found = (_as_quarantined(run_id, name, entry) for name, entry in sorted(devices.items()))
    return [q for q in found if q is not None]
