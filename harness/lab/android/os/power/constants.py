"""DeviceIdleController's tunables (``DeviceIdleController.Constants``) and their ``  Settings:`` dump.

Defaults are the Android 15-era controller's (DIC-new, muhomorr/platform_frameworks_base-15
``apex/jobscheduler/service/java/com/android/server/DeviceIdleController.java`` @0898a28d5bbf) with
``COMPRESS_TIME`` off. Notably ``light_after_inactive_to`` is 4 min there (DIC-old: 60 s) and the temp-allowlist
keys are spelled ``*_allowlist_duration_ms``. All times are milliseconds, as in the Java class.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.lab.android.os.base import format_duration
from harness.lab.android.os.power._shell import java_bool, java_float

__all__ = ["DozeConstants", "settings_lines"]

MINUTE = 60_000


@dataclass
class DozeConstants:
    flex_time_short: int = 1 * MINUTE
    light_after_inactive_to: int = 4 * MINUTE
    light_idle_to: int = 5 * MINUTE
    light_idle_to_initial_flex: int = 1 * MINUTE
    light_max_idle_to_flex: int = 15 * MINUTE
    light_idle_factor: float = 2.0
    light_idle_increase_linearly: bool = False
    light_idle_linear_increase_factor_ms: int = 5 * MINUTE
    light_idle_flex_linear_increase_factor_ms: int = 1 * MINUTE
    light_max_idle_to: int = 15 * MINUTE
    light_idle_maintenance_min_budget: int = 1 * MINUTE
    light_idle_maintenance_max_budget: int = 5 * MINUTE
    min_light_maintenance_time: int = 5_000
    min_deep_maintenance_time: int = 30_000
    inactive_to: int = 30 * MINUTE
    sensing_to: int = 4 * MINUTE
    locating_to: int = 30_000
    location_accuracy: float = 20.0
    motion_inactive_to: int = 10 * MINUTE
    motion_inactive_to_flex: int = 1 * MINUTE
    idle_after_inactive_to: int = 30 * MINUTE
    idle_pending_to: int = 5 * MINUTE
    max_idle_pending_to: int = 10 * MINUTE
    idle_pending_factor: float = 2.0
    quick_doze_delay_to: int = 1 * MINUTE
    idle_to: int = 60 * MINUTE
    max_idle_to: int = 6 * 60 * MINUTE
    idle_factor: float = 2.0
    min_time_to_alarm: int = 30 * MINUTE
    max_temp_app_allowlist_duration_ms: int = 5 * MINUTE
    mms_temp_app_allowlist_duration_ms: int = 1 * MINUTE
    sms_temp_app_allowlist_duration_ms: int = 20_000
    notification_allowlist_duration_ms: int = 30_000
    wait_for_unlock: bool = True
    use_window_alarms: bool = True
    use_mode_manager: bool = False


# Constants.dump() prints the keys in this order. Durations go through TimeUtils.formatDuration, factors
# are Java floats, the two linear-increase keys are raw longs, location_accuracy gets an "m" suffix.
_DURATION = "d"
_FLOAT = "f"
_RAW = "r"
_BOOL = "b"
_METERS = "m"
_DUMP_ORDER: tuple[tuple[str, str], ...] = (
    ("flex_time_short", _DURATION),
    ("light_after_inactive_to", _DURATION),
    ("light_idle_to", _DURATION),
    ("light_idle_to_initial_flex", _DURATION),
    ("light_max_idle_to_flex", _DURATION),
    ("light_idle_factor", _FLOAT),
    ("light_idle_increase_linearly", _BOOL),
    ("light_idle_linear_increase_factor_ms", _RAW),
    ("light_idle_flex_linear_increase_factor_ms", _RAW),
    ("light_max_idle_to", _DURATION),
    ("light_idle_maintenance_min_budget", _DURATION),
    ("light_idle_maintenance_max_budget", _DURATION),
    ("min_light_maintenance_time", _DURATION),
    ("min_deep_maintenance_time", _DURATION),
    ("inactive_to", _DURATION),
    ("sensing_to", _DURATION),
    ("locating_to", _DURATION),
    ("location_accuracy", _METERS),
    ("motion_inactive_to", _DURATION),
    ("motion_inactive_to_flex", _DURATION),
    ("idle_after_inactive_to", _DURATION),
    ("idle_pending_to", _DURATION),
    ("max_idle_pending_to", _DURATION),
    ("idle_pending_factor", _FLOAT),
    ("quick_doze_delay_to", _DURATION),
    ("idle_to", _DURATION),
    ("max_idle_to", _DURATION),
    ("idle_factor", _FLOAT),
    ("min_time_to_alarm", _DURATION),
    ("max_temp_app_allowlist_duration_ms", _DURATION),
    ("mms_temp_app_allowlist_duration_ms", _DURATION),
    ("sms_temp_app_allowlist_duration_ms", _DURATION),
    ("notification_allowlist_duration_ms", _DURATION),
    ("wait_for_unlock", _BOOL),
    ("use_window_alarms", _BOOL),
    ("use_mode_manager", _BOOL),
)


def _value_text(value: object, kind: str) -> str:
    if kind == _DURATION:
        assert isinstance(value, int)
        return format_duration(value / 1000)
    if kind == _BOOL:
        return java_bool(bool(value))
    if kind == _RAW:
        return str(value)
    assert isinstance(value, float)
    return java_float(value) + ("m" if kind == _METERS else "")


def settings_lines(consts: DozeConstants) -> list[str]:
    """``  Settings:`` and one ``    key=value`` line per tunable, as ``Constants.dump`` prints them."""
    lines = ["  Settings:"]
    for key, kind in _DUMP_ORDER:
        lines.append(f"    {key}={_value_text(getattr(consts, key), kind)}")
    return lines
