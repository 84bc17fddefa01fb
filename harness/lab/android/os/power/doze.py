"""The deep and light Doze state machines: a port of the Android 15-era DeviceIdleController (DIC-new).

Method names follow the Java ones (``becomeActiveLocked`` → ``become_active``) so each rule can be checked
against the source. Times are elapsed-realtime milliseconds (``dev.clock.uptime()``); the controller's
AlarmManager alarms are timers on the device clock that fire at the start of their window.

Modelled: screen, charging, network, motion, forced modes, enable/disable, both idle-period ladders, the light
maintenance budget, and early maintenance exit (``s:early``). Not modelled (left at "absent"): alarm clocks
(``min_time_to_alarm``), Battery Saver quick doze, emergency calls, TV constraints, stationary listeners.
The motion detector and location are stand-ins, see ``_enter_sensing`` and ``_enter_locating``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING

from harness.lab.android.os.power._shell import java_scale
from harness.lab.android.os.power.constants import DozeConstants
from harness.lab.android.os.power.notifier import Notifier
from harness.lab.clock import Timer

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["Deep", "DeviceIdleController", "Light"]

EVENT_BUFFER_SIZE = 100
EARLY_POLL_MS = 1000  # how often a maintenance window re-asks the work probe once its minimum time is up


class Deep(IntEnum):
    """``STATE_*``; the values are what the ``device_idle`` event logs."""

    ACTIVE = 0
    INACTIVE = 1
    IDLE_PENDING = 2
    SENSING = 3
    LOCATING = 4
    IDLE = 5
    IDLE_MAINTENANCE = 6
    QUICK_DOZE_DELAY = 7


class Light(IntEnum):
    """``LIGHT_STATE_*`` (DIC-new: no PRE_IDLE, hence the gap); logged by ``device_idle_light``."""

    ACTIVE = 0
    INACTIVE = 1
    IDLE = 4
    WAITING_FOR_NETWORK = 5
    IDLE_MAINTENANCE = 6
    OVERRIDE = 7


# addEvent() labels for the "Idling history:" section of the dump.
EVENT_NORMAL, EVENT_LIGHT_IDLE, EVENT_LIGHT_MAINTENANCE, EVENT_DEEP_IDLE, EVENT_DEEP_MAINTENANCE = 1, 2, 3, 4, 5


class DeviceIdleController:
    def __init__(self, dev: AndroidDevice, consts: DozeConstants, notifier: Notifier,
                 work_busy: Callable[[], bool]) -> None:
        self.dev = dev
        self.c = consts
        self._notifier = notifier
        self._work_busy = work_busy
        self.location_prefetch = True  # config_autoPowerModePrefetchLocation; no provider ever gets a fix
        self._deep_timer: Timer | None = None
        self._light_timer: Timer | None = None
        self._sensing_timer: Timer | None = None
        self._early_timer: Timer | None = None
        self.boot()

    # -- lifecycle ---------------------------------------------------------------------------------
    def boot(self) -> None:
        """``onStart``: starts out assuming screen on and charging until the first broadcasts say otherwise."""
        self.cancel_timers()
        self.light_enabled = self.deep_enabled = True
        self.force_idle = False
        self.screen_on, self.screen_locked, self.charging, self.network_connected = True, False, True, True
        self.state, self.light_state = Deep.ACTIVE, Light.ACTIVE
        self.inactive_timeout = self.c.inactive_to
        self.next_alarm = self.next_light_alarm = self.next_sensing_timeout = 0
        self.next_idle_pending_delay = self.next_idle_delay = 0
        self.next_light_idle_delay = self.next_light_idle_delay_flex = self.cur_light_idle_budget = 0
        self.maintenance_start = 0
        self.active_idle_ops = 0
        self.motion_active, self.motion_activated_at, self.last_motion_event = False, 0, 0
        self.not_moving = self.locating = self.located = False
        self.has_gps = self.has_fused = False
        self.pm_deep_idle = self.pm_light_idle = False  # what PowerManager was told (setDeviceIdleMode)
        self.events: deque[tuple[int, int, str | None]] = deque(maxlen=EVENT_BUFFER_SIZE)
        self._move(Deep.ACTIVE, "boot")
        self._move_light(Light.ACTIVE, "boot")

    def cancel_timers(self) -> None:
        for timer in (self._deep_timer, self._light_timer, self._sensing_timer, self._early_timer):
            if timer is not None:
                timer.cancel()
        self._deep_timer = self._light_timer = self._sensing_timer = self._early_timer = None

    def now(self) -> int:
        return round(self.dev.clock.uptime() * 1000)

    # -- inputs (the broadcasts DeviceIdleController listens to) -----------------------------------------
    def update_interactivity(self, screen_on: bool) -> None:
        """``updateInteractivityLocked`` (ACTION_SCREEN_ON/OFF)."""
        if not screen_on and self.screen_on:
            self.screen_on = False
            if not self.force_idle:
                self.become_inactive_if_appropriate()
        elif screen_on:
            self.screen_on = True
            if not self.force_idle and (not self.screen_locked or not self.c.wait_for_unlock):
                self.become_active("screen")

    def update_charging(self, charging: bool) -> None:
        """``updateChargingLocked``: ACTION_BATTERY_CHANGED with ``present && plugged != 0``."""
        if not charging and self.charging:
            self.charging = False
            if not self.force_idle:
                self.become_inactive_if_appropriate()
        elif charging:
            self.charging = True
            if not self.force_idle:
                self.become_active("charging")

    def update_connectivity(self, connected: bool) -> None:
        if connected != self.network_connected:
            self.network_connected = connected
            if connected and self.light_state == Light.WAITING_FOR_NETWORK:
                self.step_light("network")

    def motion(self) -> None:
        """``motionLocked``: the significant-motion sensor fired (or ``cmd deviceidle motion``)."""
        self.last_motion_event = self.now()
        self.handle_motion_detected(self.c.motion_inactive_to, "motion")

    def handle_motion_detected(self, timeout: int, kind: str) -> None:
        self._stop_monitoring_motion()
        # Only a light state of OVERRIDE (deep was idling) is reset; otherwise light Doze carries on.
        become_inactive = self.state != Deep.ACTIVE or self.light_state == Light.OVERRIDE
        self.become_active(kind, timeout, change_light=self.light_state == Light.OVERRIDE)
        if become_inactive:
            self.become_inactive_if_appropriate()

    # -- becoming active / inactive ---------------------------------------------------------------
    def become_active(self, reason: str, inactive_timeout: int | None = None, *, change_light: bool = True) -> None:
        if self.state == Deep.ACTIVE and self.light_state == Light.ACTIVE:
            return
        self._move(Deep.ACTIVE, reason)
        self.inactive_timeout = self.c.inactive_to if inactive_timeout is None else inactive_timeout
        self._reset_idle_management()
        if self.light_state != Light.IDLE_MAINTENANCE:  # the light budget still needs the window start
            self.maintenance_start = 0
        if change_light:
            self._move_light(Light.ACTIVE, reason)
            self._reset_light_idle_management()
            self._report_idle(deep=False, light=False)
            self._add_event(EVENT_NORMAL, reason)

    def become_inactive_if_appropriate(self) -> None:
        screen_blocks = self.screen_on and (not self.c.wait_for_unlock or not self.screen_locked)
        if not self.force_idle and (self.charging or screen_blocks):
            return
        if self.deep_enabled and self.state == Deep.ACTIVE:
            self._move(Deep.INACTIVE, "no activity")
            self._reset_idle_management()
            self._schedule_alarm(self.inactive_timeout)
        if self.light_state == Light.ACTIVE and self.light_enabled:
            self._move_light(Light.INACTIVE, "no activity")
            self._reset_light_idle_management()
            self._schedule_light_alarm(self.c.light_after_inactive_to)

    def exit_force_idle(self) -> None:
        if self.force_idle:
            self.force_idle = False
            if self.screen_on or self.charging:
                self.become_active("exit-force")

    def _reset_idle_management(self) -> None:
        self.next_idle_pending_delay = self.next_idle_delay = 0
        self._cancel_alarm()
        self._cancel_sensing()
        self.locating = False
        self._stop_monitoring_motion()

    def _reset_light_idle_management(self) -> None:
        self.next_light_idle_delay = self.c.light_idle_to
        self.maintenance_start = 0
        self.next_light_idle_delay_flex = self.c.light_idle_to_initial_flex
        self.cur_light_idle_budget = self.c.light_idle_maintenance_min_budget
        self._cancel_light_alarm()

    # -- deep: stepIdleStateLocked ------------------------------------------------------------------
    def step_deep(self, reason: str) -> None:
        step = {
            Deep.INACTIVE: self._enter_idle_pending,
            Deep.IDLE_PENDING: self._enter_sensing,
            Deep.SENSING: self._enter_locating,
            Deep.LOCATING: self._finish_locating,
            Deep.QUICK_DOZE_DELAY: self._enter_first_idle,
            Deep.IDLE_MAINTENANCE: self._enter_idle,
            Deep.IDLE: self._enter_deep_maintenance,
        }.get(self.state)
        if step is not None:  # ACTIVE does not step
            step(reason)

    def _enter_idle_pending(self, reason: str) -> None:
        self._start_monitoring_motion()
        self._schedule_alarm(self.c.idle_after_inactive_to)
        self._move(Deep.IDLE_PENDING, reason)

    def _enter_sensing(self, reason: str) -> None:
        self.locating = self.located = False
        self._move(Deep.SENSING, reason)
        # Stand-in for AnyMotionDetector: the phone lies still in the rack, and the detector's "stationary"
        # verdict (onAnyMotionResult → step "s:stationary") arrives when the sensing window ends, which is
        # the SENSING time the reference gives (§1.4: SENSING → LOCATING after sensing_to).
        self.not_moving = False
        self.next_sensing_timeout = self.now() + self.c.sensing_to
        self._sensing_timer = self._later(self.c.sensing_to, self._on_stationary)

    def _on_stationary(self) -> None:
        self._sensing_timer = None
        self.next_sensing_timeout = 0
        if self.state == Deep.SENSING:
            self.not_moving = True
            self.step_deep("s:stationary")

    def _enter_locating(self, reason: str) -> None:
        self._cancel_sensing()
        self._move(Deep.LOCATING, reason)
        if self.location_prefetch:
            # Fused and GPS providers exist, but indoors no fix reaches location_accuracy, so LOCATING
            # ends with its exact alarm after locating_to ("s:alarm").
            self._schedule_alarm(self.c.locating_to)
            self.has_fused = self.has_gps = self.locating = True
            return
        self.locating = False
        self._finish_locating(reason)

    def _finish_locating(self, reason: str) -> None:
        self._cancel_alarm()
        self.locating = False
        self._enter_first_idle(reason)

    def _enter_first_idle(self, reason: str) -> None:
        self.next_idle_pending_delay = self.c.idle_pending_to
        self.next_idle_delay = self.c.idle_to
        self._enter_idle(reason)

    def _enter_idle(self, reason: str) -> None:
        self._move(Deep.IDLE, reason)
        self._schedule_alarm(self.next_idle_delay)
        self.next_idle_delay = max(self.c.idle_to, min(java_scale(self.next_idle_delay, self.c.idle_factor),
                                                       self.c.max_idle_to))
        if self.light_state != Light.OVERRIDE:
            self._move_light(Light.OVERRIDE, "deep")
            self._cancel_light_alarm()
        self._add_event(EVENT_DEEP_IDLE, None)
        self._report_idle(deep=True, light=False)

    def _enter_deep_maintenance(self, reason: str) -> None:
        self._move(Deep.IDLE_MAINTENANCE, reason)
        self._schedule_alarm(self.next_idle_pending_delay)
        self.maintenance_start = self.now()
        self.next_idle_pending_delay = max(
            self.c.idle_pending_to,
            min(self.c.max_idle_pending_to, java_scale(self.next_idle_pending_delay, self.c.idle_pending_factor)))
        self._add_event(EVENT_DEEP_MAINTENANCE, None)
        self._report_idle(deep=False, light=False)
        self._begin_maintenance(self.c.min_deep_maintenance_time)

    # -- light: stepLightIdleStateLocked ----------------------------------------------------------------
    def step_light(self, reason: str) -> None:
        if self.light_state in (Light.ACTIVE, Light.OVERRIDE):
            return  # deep Doze owns the device, or the device is in use
        if self.light_state == Light.INACTIVE:
            self.cur_light_idle_budget = self.c.light_idle_maintenance_min_budget
            self.next_light_idle_delay = self.c.light_idle_to
            self.next_light_idle_delay_flex = self.c.light_idle_to_initial_flex
            self.maintenance_start = 0
        if self.light_state in (Light.INACTIVE, Light.IDLE_MAINTENANCE):
            self._enter_light_idle(reason)
        elif self.network_connected or self.light_state == Light.WAITING_FOR_NETWORK:
            self._enter_light_maintenance(reason)
        else:
            # No network for the maintenance window: wait one more idle period for it, then go anyway.
            self._schedule_light_alarm(self.next_light_idle_delay)
            self._move_light(Light.WAITING_FOR_NETWORK, reason)

    def _enter_light_idle(self, reason: str) -> None:
        if self.maintenance_start:
            # An unused part of the minimum budget is saved for the next window; overtime is paid back.
            used = self.now() - self.maintenance_start
            self.cur_light_idle_budget += self.c.light_idle_maintenance_min_budget - used
        self.maintenance_start = 0
        self._schedule_light_alarm(self.next_light_idle_delay)
        if self.c.light_idle_increase_linearly:
            self.next_light_idle_delay += self.c.light_idle_linear_increase_factor_ms
            self.next_light_idle_delay_flex += self.c.light_idle_flex_linear_increase_factor_ms
        else:
            self.next_light_idle_delay = java_scale(self.next_light_idle_delay, self.c.light_idle_factor)
            self.next_light_idle_delay_flex = java_scale(self.next_light_idle_delay_flex, self.c.light_idle_factor)
        self.next_light_idle_delay = min(self.c.light_max_idle_to, self.next_light_idle_delay)
        self.next_light_idle_delay_flex = min(self.c.light_max_idle_to_flex, self.next_light_idle_delay_flex)
        self._move_light(Light.IDLE, reason)
        self._add_event(EVENT_LIGHT_IDLE, None)
        self._report_idle(deep=False, light=True)

    def _enter_light_maintenance(self, reason: str) -> None:
        self.maintenance_start = self.now()
        self.cur_light_idle_budget = min(max(self.cur_light_idle_budget, self.c.light_idle_maintenance_min_budget),
                                         self.c.light_idle_maintenance_max_budget)
        self._schedule_light_alarm(self.cur_light_idle_budget)
        self._move_light(Light.IDLE_MAINTENANCE, reason)
        self._add_event(EVENT_LIGHT_MAINTENANCE, None)
        self._report_idle(deep=False, light=False)
        self._begin_maintenance(self.c.min_light_maintenance_time)

    # -- maintenance windows that end early ---------------------------------------------------------
    def _begin_maintenance(self, min_time: int) -> None:
        # mActiveIdleOpCount stays above 0 until the idle-mode broadcast has been delivered and
        # MIN_*_MAINTENANCE_TIME has passed (mIdleStartedDoneReceiver); only then can the window end early.
        self.active_idle_ops = 1
        if self._early_timer is not None:
            self._early_timer.cancel()
        self._early_timer = self._later(min_time, self._exit_maintenance_early_if_needed)

    def _exit_maintenance_early_if_needed(self) -> None:
        # DIC is told by JobScheduler/AlarmManager (setJobsActive/setAlarmsActive); the lab asks the probe.
        self._early_timer = None
        self.active_idle_ops = 0
        if self.state != Deep.IDLE_MAINTENANCE and self.light_state != Light.IDLE_MAINTENANCE:
            return
        if self._work_busy():
            self._early_timer = self._later(EARLY_POLL_MS, self._exit_maintenance_early_if_needed)
        elif self.state == Deep.IDLE_MAINTENANCE:
            self.step_deep("s:early")
        else:
            self.step_light("s:early")

    # -- state changes, alarms, bookkeeping -----------------------------------------------------------
    def _move(self, state: Deep, reason: str) -> None:
        self.state = state
        self.dev.event("device_idle", int(state), reason)  # EventLogTags.writeDeviceIdle
        self._notifier.changed("deep")

    def _move_light(self, state: Light, reason: str) -> None:
        self.light_state = state
        self.dev.event("device_idle_light", int(state), reason)
        self._notifier.changed("light")

    def _report_idle(self, *, deep: bool, light: bool) -> None:
        """MSG_REPORT_IDLE_ON / _ON_LIGHT / _OFF / MSG_REPORT_ACTIVE: PowerManager's idle modes."""
        self.pm_deep_idle, self.pm_light_idle = deep, light

    def _add_event(self, cmd: int, reason: str | None) -> None:
        if not self.events or self.events[0][0] != cmd:
            self.events.appendleft((cmd, self.now(), reason))

    def _later(self, delay_ms: int, fn: Callable[[], None]) -> Timer:
        return self.dev.clock.call_later(delay_ms / 1000, self._notifier.batched(fn))

    def _schedule_alarm(self, delay: int) -> None:
        """The deep alarm (``DeviceIdleController.deep``); it fires at the start of its window."""
        self._cancel_alarm()
        self.next_alarm = self.now() + delay
        self._deep_timer = self._later(delay, lambda: self._alarm_fired(deep=True))

    def _schedule_light_alarm(self, delay: int) -> None:
        self._cancel_light_alarm()
        self.next_light_alarm = self.now() + delay
        self._light_timer = self._later(delay, lambda: self._alarm_fired(deep=False))

    def _alarm_fired(self, *, deep: bool) -> None:
        if deep:
            self._deep_timer, self.next_alarm = None, 0
            self.step_deep("s:alarm")
        else:
            self._light_timer, self.next_light_alarm = None, 0
            self.step_light("s:alarm")

    def _cancel_alarm(self) -> None:
        if self._deep_timer is not None:
            self._deep_timer.cancel()
        self._deep_timer, self.next_alarm = None, 0

    def _cancel_light_alarm(self) -> None:
        if self._light_timer is not None:
            self._light_timer.cancel()
        self._light_timer, self.next_light_alarm = None, 0

    def _cancel_sensing(self) -> None:
        if self._sensing_timer is not None:
            self._sensing_timer.cancel()
        self._sensing_timer, self.next_sensing_timeout = None, 0

    def _start_monitoring_motion(self) -> None:
        if not self.motion_active:
            self.motion_active, self.motion_activated_at = True, self.now()

    def _stop_monitoring_motion(self) -> None:
        self.motion_active = False
