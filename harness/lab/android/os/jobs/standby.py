"""App Standby buckets (``dev.standby``) and the ``usagestats`` service.

Bucket values are UsageStatsManager's (EXEMPTED 5, ACTIVE 10, WORKING_SET 20, FREQUENT 30, RARE 40,
RESTRICTED 45, NEVER 50). System apps (uid below 10000) and apps on the Doze power-save whitelist
are EXEMPTED (AppStandbyController.getAppStandbyBucket). Unused apps decay by AppStandbyController's
elapsed thresholds (12 h → WORKING_SET, 24 h → FREQUENT, 48 h → RARE; the screen-on-time thresholds
are not modelled), except a bucket set with ``am set-standby-bucket``, which stays until the user
opens the app again (REASON_MAIN_FORCED_BY_USER). ``am set-standby-bucket``/``get-standby-bucket``
are parsed by the activity part with :func:`parse_bucket` and :func:`bucket_name`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.lab.android.os.base import format_duration
from harness.lab.android.shell.runtime import Invocation
from harness.lab.clock import Timer

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = [
    "ACTIVE", "EXEMPTED", "FREQUENT", "NEVER", "RARE", "RESTRICTED", "WORKING_SET", "StandbyTracker",
    "UnknownBucketError", "UsageStatsService", "bucket_index", "bucket_name", "parse_bucket",
]

log = logging.getLogger(__name__)

EXEMPTED, ACTIVE, WORKING_SET, FREQUENT, RARE, RESTRICTED, NEVER = 5, 10, 20, 30, 40, 45, 50
_NAMES = {EXEMPTED: "EXEMPTED", ACTIVE: "ACTIVE", WORKING_SET: "WORKING_SET", FREQUENT: "FREQUENT", RARE: "RARE",
          RESTRICTED: "RESTRICTED", NEVER: "NEVER"}
# ActivityManagerShellCommand.bucketNameToBucketValue: matched by prefix, case-insensitively.
_PREFIXES = (("ac", ACTIVE), ("wo", WORKING_SET), ("fr", FREQUENT), ("ra", RARE), ("re", RESTRICTED), ("ne", NEVER))
HOUR = 3600.0
_DECAY = ((12 * HOUR, WORKING_SET), (24 * HOUR, FREQUENT), (48 * HOUR, RARE))
_FORCED = "f"  # UsageStatsManager.reasonToString(REASON_MAIN_FORCED_BY_USER)


class UnknownBucketError(ValueError):
    """``str()`` is the exact stderr line of ``am set-standby-bucket`` for a bad bucket name."""

    def __init__(self, text: str) -> None:
        super().__init__(f"Error: Unknown bucket: {text}")


def parse_bucket(text: str) -> int:
    """``active``/``ac``…, ``rare``, ``restricted``, ``never`` or an integer; else :class:`UnknownBucketError`."""
    lower = text.lower()
    for prefix, value in _PREFIXES:
        if lower.startswith(prefix):
            return value
    try:
        return int(lower, 10)
    except ValueError:
        raise UnknownBucketError(text) from None


def bucket_name(bucket: int) -> str:
    """``ACTIVE``, ``RARE``, … (the integer as text for a value with no name)."""
    return _NAMES.get(bucket, str(bucket))


def bucket_index(bucket: int) -> int:
    """``JobSchedulerService.standbyBucketToBucketIndex``: ACTIVE 0 … RARE 3, NEVER 4, RESTRICTED 5, EXEMPTED 6."""
    if bucket == EXEMPTED:
        return 6
    if bucket == NEVER:
        return 4
    if bucket == RESTRICTED:
        return 5
    return 3 if bucket > FREQUENT else 2 if bucket > WORKING_SET else 1 if bucket > ACTIVE else 0


@dataclass(slots=True)
class _Entry:
    bucket: int
    reason: str  # d default, f forced by user, u-mf used, t timeout
    last_used_s: float
    timer: Timer | None = None


class StandbyTracker:
    """``dev.standby`` (StandbyModel)."""

    def __init__(self, dev: AndroidDevice) -> None:
        self._dev = dev
        self._entries: dict[str, _Entry] = {}
        self._listeners: list[Callable[[str, int], None]] = []

    # -- StandbyModel ------------------------------------------------------------------------
    def bucket(self, package: str) -> int:
        if self._exempted(package):
            return EXEMPTED
        return self._entry(package).bucket

    def set_bucket(self, package: str, bucket: int, reason: str) -> None:
        """An explicit set (``am set-standby-bucket``) pins the bucket: timeouts leave it alone."""
        entry = self._entry(package)
        entry.reason = _FORCED if reason != "timeout" else "t"
        self._change(package, entry, bucket)

    def note_used(self, package: str) -> None:
        entry = self._entry(package)
        entry.last_used_s = self._dev.clock.now()
        if entry.bucket == RESTRICTED and entry.reason == _FORCED:
            return  # a user-restricted app is not elevated by use
        entry.reason = "u-mf"
        self._change(package, entry, ACTIVE)
        self._arm_decay(package, entry)

    def on_change(self, listener: Callable[[str, int], None]) -> None:
        self._listeners.append(listener)

    # -- am set-inactive / get-inactive ----------------------------------------------------------
    def set_inactive(self, package: str, inactive: bool) -> None:
        """``am set-inactive PKG true|false``: forces RARE or ACTIVE (AppStandbyController.forceIdleState)."""
        self.set_bucket(package, RARE if inactive else ACTIVE, "shell")

    def is_inactive(self, package: str) -> bool:
        """``am get-inactive``'s ``Idle=`` value: the app sits in RARE or lower (isAppIdleFiltered)."""
        bucket = self.bucket(package)
        return bucket != EXEMPTED and bucket >= RARE

    # -- internals ----------------------------------------------------------------------------
    def _exempted(self, package: str) -> bool:
        pkg = self._dev.packages.get(package)
        if pkg is not None and (pkg.uid < 10_000 or pkg.system):
            return True
        power = getattr(self._dev, "power", None)
        return bool(power is not None and power.whitelisted(package))

    def _entry(self, package: str) -> _Entry:
        entry = self._entries.get(package)
        if entry is None:
            entry = self._entries[package] = _Entry(ACTIVE, "d", self._dev.clock.now())
            self._arm_decay(package, entry)
        return entry

    def _change(self, package: str, entry: _Entry, bucket: int) -> None:
        if entry.bucket == bucket:
            return
        entry.bucket = bucket
        for listener in list(self._listeners):
            listener(package, bucket)

    def _arm_decay(self, package: str, entry: _Entry) -> None:
        if entry.timer is not None:
            entry.timer.cancel()
        now = self._dev.clock.now()
        due = [entry.last_used_s + after for after, _ in _DECAY if entry.last_used_s + after > now]
        entry.timer = self._dev.clock.call_at(min(due), lambda: self._decay(package)) if due else None

    def _decay(self, package: str) -> None:
        entry = self._entries[package]
        entry.timer = None
        activity = getattr(self._dev, "activity", None)
        if activity is not None and activity.in_foreground(package):
            entry.last_used_s = self._dev.clock.now()
        elif entry.reason != _FORCED:
            unused = self._dev.clock.now() - entry.last_used_s
            target = max((bucket for after, bucket in _DECAY if unused >= after), default=ACTIVE)
            if target > entry.bucket:
                entry.reason = "t"
                self._change(package, entry, target)
        self._arm_decay(package, entry)

    def dump_lines(self, now: float) -> list[str]:
        """AppIdleHistory.dumpUsers-style lines (best effort: the field set is abridged)."""
        lines = []
        for name in sorted(self._entries):
            entry = self._entries[name]
            lines.append(f"    package={name} u=0 bucket={self.bucket(name)} reason={entry.reason} "
                         f"used={format_duration(entry.last_used_s - now)} "
                         f"idle={'y' if self.is_inactive(name) else 'n'}")
        return lines


class UsageStatsService:
    """``dumpsys usagestats`` (minimal: the App Standby part) and ``cmd usagestats`` (help only)."""

    def __init__(self, dev: AndroidDevice, tracker: StandbyTracker) -> None:
        self.dev = dev
        self.tracker = tracker

    def dump(self, inv: Invocation, args: list[str]) -> int:
        inv.out("user=0\n")
        inv.out("\nApp Standby States:\n")
        inv.out(" user=0\n")
        inv.out("".join(line + "\n" for line in self.tracker.dump_lines(self.dev.clock.now())))
        inv.out("  mAppIdleEnabled=true\n")
        return 0

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        if args and args[0] not in ("help", "-h"):
            inv.out(f"Unknown command: {args[0]}\n")
            return -1
        inv.out("UsageStats service (usagestats) commands:\n  help\n    Print this help text.\n")
        return -1
