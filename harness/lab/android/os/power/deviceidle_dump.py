"""``dumpsys deviceidle`` with no arguments: DeviceIdleController.dump() of the Android 15-era tree (DIC-new).

Sections in source order: ``  Flags:`` (15 only), ``  Settings:``, ``  Idling history:``, the allowlists, then the
scalar lines, of which ``  mState=IDLE mLightState=OVERRIDE`` is the one scripts grep for. Times the source
prints with ``TimeUtils.formatDuration(time, now)`` are relative to now (``-5m0s0ms``, ``+29m59s999ms``).
"""

from __future__ import annotations

from harness.lab.android.os.base import format_duration
from harness.lab.android.os.power._shell import java_bool
from harness.lab.android.os.power.allowlist import Allowlist, app_id_section, by_hash
from harness.lab.android.os.power.constants import settings_lines
from harness.lab.android.os.power.doze import (
    EVENT_DEEP_IDLE,
    EVENT_DEEP_MAINTENANCE,
    EVENT_LIGHT_IDLE,
    EVENT_LIGHT_MAINTENANCE,
    EVENT_NORMAL,
    DeviceIdleController,
)

__all__ = ["dump_lines", "state_line"]

_EVENT_LABELS = {
    EVENT_NORMAL: "     normal",
    EVENT_LIGHT_IDLE: " light-idle",
    EVENT_LIGHT_MAINTENANCE: "light-maint",
    EVENT_DEEP_IDLE: "  deep-idle",
    EVENT_DEEP_MAINTENANCE: " deep-maint",
}
# aconfig flags DIC-new prints first (com.android.server.deviceidle.Flags); both off on release builds.
_FLAGS = ("com.android.server.deviceidle.remove_idle_location",
          "com.android.server.deviceidle.stop_power_save_temp_whitelist_broadcast")
# Sensor.toString() of the significant-motion sensor DIC registers [inferred: vendor, power and version vary].
MOTION_SENSOR = ('{Sensor name="Significant Motion Detector", vendor="Google", version=1, type=17, '
                 'maxRange=1.0, resolution=1.0, power=0.0, minDelay=-1}')


def state_line(doze: DeviceIdleController) -> str:
    """What ``force-inactive``, ``unforce``, ``motion`` and ``force-active`` print."""
    return f"Light state: {doze.light_state.name}, deep state: {doze.state.name}"


def _relative(time_ms: int, now_ms: int) -> str:
    """``TimeUtils.formatDuration(time, now)``: ``--`` for an unset time."""
    return "--" if time_ms == 0 else format_duration((time_ms - now_ms) / 1000)


def _history(doze: DeviceIdleController, now: int) -> list[str]:
    if not doze.events:
        return []
    lines = ["  Idling history:"]
    for cmd, when, reason in reversed(doze.events):  # oldest first, as the source walks the ring backwards
        suffix = f" ({reason})" if reason is not None else ""
        lines.append(f"    {_EVENT_LABELS[cmd]}: {_relative(when, now)}{suffix}")
    return lines


def _allowlists(allow: Allowlist) -> list[str]:
    lines: list[str] = []
    for title, names in (("Whitelist (except idle) system apps", allow.except_idle),
                         ("Whitelist system apps", allow.system),
                         ("Removed from whitelist system apps", allow.removed_system),
                         ("Whitelist user apps", allow.user)):
        if names:
            lines += [f"  {title}:", *(f"    {name}" for name, _ in by_hash(names))]
    lines += app_id_section("Whitelist (except idle) all app ids", allow.except_idle_app_ids())
    lines += app_id_section("Whitelist user app ids", allow.user_app_ids())
    lines += app_id_section("Whitelist all app ids", allow.all_app_ids())
    schedule = allow.temp_schedule(prefix="    ")
    if schedule:
        lines += ["  Temp whitelist schedule:", *schedule]
    lines += app_id_section("Temp whitelist app ids", allow.temp_app_ids())
    return lines


def _device_lines(doze: DeviceIdleController) -> list[str]:
    lines = [
        f"  mLightEnabled={java_bool(doze.light_enabled)}  mDeepEnabled={java_bool(doze.deep_enabled)}",
        f"  mForceIdle={java_bool(doze.force_idle)}",
        f"  mUseMotionSensor=true mMotionSensor={MOTION_SENSOR}",
        f"  mScreenOn={java_bool(doze.screen_on)}",
        f"  mScreenLocked={java_bool(doze.screen_locked)}",
        f"  mNetworkConnected={java_bool(doze.network_connected)}",
        f"  mCharging={java_bool(doze.charging)}",
        "  activeEmergencyCall=false",
        f"  mMotionActive={java_bool(doze.motion_active)}",
        f"  mNotMoving={java_bool(doze.not_moving)}",
        f"  mMotionListener.activatedTimeElapsed={doze.motion_activated_at}",
        f"  mLastMotionEventElapsed={doze.last_motion_event}",
        "  0 stationary listeners registered",
    ]
    if doze.location_prefetch:
        lines.append(f"  mLocating={java_bool(doze.locating)} mHasGps={java_bool(doze.has_gps)} "
                     f"mHasFused={java_bool(doze.has_fused)} mLocated={java_bool(doze.located)}")
    else:
        lines.append("  Location prefetching disabled")
    return lines


def _timing_lines(doze: DeviceIdleController, now: int, jobs_active: bool) -> list[str]:
    lines = [f"  mState={doze.state.name} mLightState={doze.light_state.name}",
             f"  mInactiveTimeout={format_duration(doze.inactive_timeout / 1000)}"]
    if doze.active_idle_ops:
        lines.append(f"  mActiveIdleOpCount={doze.active_idle_ops}")
    if doze.next_alarm:
        lines.append(f"  mNextAlarmTime={_relative(doze.next_alarm, now)}")
    if doze.next_idle_pending_delay:
        lines.append(f"  mNextIdlePendingDelay={format_duration(doze.next_idle_pending_delay / 1000)}")
    if doze.next_idle_delay:
        lines.append(f"  mNextIdleDelay={format_duration(doze.next_idle_delay / 1000)}")
    if doze.next_light_idle_delay:
        lines.append(f"  mNextLightIdleDelay={format_duration(doze.next_light_idle_delay / 1000)} "
                     f"(flex={format_duration(doze.next_light_idle_delay_flex / 1000)})")
    if doze.next_light_alarm:
        lines.append(f"  mNextLightAlarmTime={_relative(doze.next_light_alarm, now)}")
    if doze.cur_light_idle_budget:
        lines.append(f"  mCurLightIdleBudget={format_duration(doze.cur_light_idle_budget / 1000)}")
    if doze.maintenance_start:
        lines.append(f"  mMaintenanceStartTime={_relative(doze.maintenance_start, now)}")
    if jobs_active:
        lines.append("  mJobsActive=true")
    return lines


def dump_lines(doze: DeviceIdleController, allow: Allowlist, *, sdk: int, jobs_active: bool) -> list[str]:
    now = doze.now()
    lines: list[str] = []
    if sdk >= 35:
        lines += ["  Flags:", *(f"    {flag}=false" for flag in _FLAGS), ""]
    lines += settings_lines(doze.c)
    lines += _history(doze, now)
    lines += _allowlists(allow)
    lines += _device_lines(doze)
    lines += _timing_lines(doze, now, jobs_active)
    return lines
