"""AlarmManagerService.Constants' app-standby limits and how the ``alarm_manager`` DeviceConfig flags set them.

Keys, defaults and rules are the 14/15-era ``Constants`` (``updateStandbyQuotasLocked``,
``updateStandbyWindowsLocked``; apex/jobscheduler/service/java/com/android/server/alarm/AlarmManagerService.java):
``standby_quota_{active,working,frequent,rare,never}`` deliveries per ``app_standby_window`` (a missing key
defaults to the lesser of the previous bucket's quota and its own default), ``standby_quota_restricted`` (at least
1) per ``app_standby_restricted_window``. The window cannot exceed its 1 h default; the restricted window is at
least the window. Both groups are read whole from DeviceConfig whenever one of their keys changes, so puts
accumulate. The other ``alarm_manager`` keys are stored but not read by the lab.
"""

from __future__ import annotations

from harness.lab.android.os.base import format_duration
from harness.lab.android.os.jobs import standby
from harness.lab.android.os.power._shell import JavaException, parse_int, parse_long

__all__ = ["NAMESPACE", "AlarmConstants"]

NAMESPACE = "alarm_manager"  # DeviceConfig.NAMESPACE_ALARM_MANAGER
_BUCKETS = (("active", standby.ACTIVE, 720), ("working", standby.WORKING_SET, 10),
            ("frequent", standby.FREQUENT, 2), ("rare", standby.RARE, 1), ("never", standby.NEVER, 0))
_WINDOW_MS, _RESTRICTED_WINDOW_MS = 3_600_000, 86_400_000
_KEYS = frozenset([f"standby_quota_{name}" for name, _, _ in _BUCKETS]
                  + ["standby_quota_restricted", "app_standby_window", "app_standby_restricted_window"])


def _read(text: str | None, default: int, *, long: bool = False) -> int:
    """``Properties.getInt``/``getLong``: the default when the key is missing or does not parse."""
    if text is None:
        return default
    try:
        return parse_long(text) if long else parse_int(text)
    except JavaException:
        return default


class AlarmConstants:
    def __init__(self) -> None:
        self.load({})

    def load(self, props: dict[str, str]) -> None:
        """Both groups from the whole namespace (what a change of any of their keys rereads)."""
        self.quota: dict[int, int] = {}
        previous: int | None = None
        for name, bucket, default in _BUCKETS:
            fallback = default if previous is None else min(previous, default)
            previous = self.quota[bucket] = _read(props.get(f"standby_quota_{name}"), fallback)
        self.quota[standby.RESTRICTED] = max(1, _read(props.get("standby_quota_restricted"), 1))
        window_ms = min(_WINDOW_MS, _read(props.get("app_standby_window"), _WINDOW_MS, long=True))
        restricted_ms = max(window_ms, _read(props.get("app_standby_restricted_window"), _RESTRICTED_WINDOW_MS,
                                             long=True))
        self.window_s, self.restricted_window_s = window_ms / 1000, restricted_ms / 1000

    @staticmethod
    def concerns(changed: dict[str, str | None]) -> bool:
        return any(key in _KEYS for key in changed)

    def settings_lines(self) -> list[str]:
        """The standby part of the ``Settings:`` dump, in ``Constants.dump`` order."""
        lines = [f"app_standby_window={format_duration(self.window_s)}"]
        lines += [f"standby_quota_{name}={self.quota[bucket]}" for name, bucket, _ in _BUCKETS]
        return [*lines, f"standby_quota_restricted={self.quota[standby.RESTRICTED]}",
                f"app_standby_restricted_window={format_duration(self.restricted_window_s)}"]
