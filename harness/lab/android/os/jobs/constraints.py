"""JobScheduler's constraint bits, and how the lab's controllers decide which are satisfied.

Bit values, names and their print order are JobStatus.java's (apex/jobscheduler/.../controllers/
JobStatus.java, 14-era @054fcdf7aaed): ``dumpConstraints`` prints the names in a fixed order, then the
mask as ``[0x…]`` (``Integer.toHexString``, so TIMING_DELAY alone is ``[0x80000000]``). Readiness is
``JobStatus.isReady``: quota (or satisfied dynamic constraints) first, then Doze and background
restriction, then the deadline or the explicit constraints under the ``cmd jobscheduler run`` override.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice
    from harness.lab.android.os.contracts import ActivityModel, AppOpsModel, PowerModel, StandbyModel
    from harness.lab.android.os.jobs.jobstatus import JobStatus

__all__ = [
    "BACKGROUND_NOT_RESTRICTED", "BATTERY_NOT_LOW", "CHARGING", "CONNECTIVITY", "DEADLINE", "DEVICE_NOT_DOZING",
    "IDLE", "OVERRIDE_FULL", "OVERRIDE_NONE", "OVERRIDE_SOFT", "OVERRIDE_SORTING", "TARE_WEALTH", "TIMING_DELAY",
    "WITHIN_QUOTA", "DeviceState", "Readiness", "constraint_text", "readiness", "satisfied_mask",
]

CHARGING = 1 << 0
BATTERY_NOT_LOW = 1 << 1
IDLE = 1 << 2
STORAGE_NOT_LOW = 1 << 3
TIMING_DELAY = 1 << 31
DEADLINE = 1 << 30
CONNECTIVITY = 1 << 28
TARE_WEALTH = 1 << 27
CONTENT_TRIGGER = 1 << 26
DEVICE_NOT_DOZING = 1 << 25
WITHIN_QUOTA = 1 << 24
PREFETCH = 1 << 23
BACKGROUND_NOT_RESTRICTED = 1 << 22
FLEXIBLE = 1 << 21

_PRINT_ORDER = (
    (CHARGING, "CHARGING"), (BATTERY_NOT_LOW, "BATTERY_NOT_LOW"), (STORAGE_NOT_LOW, "STORAGE_NOT_LOW"),
    (TIMING_DELAY, "TIMING_DELAY"), (DEADLINE, "DEADLINE"), (IDLE, "IDLE"), (CONNECTIVITY, "CONNECTIVITY"),
    (FLEXIBLE, "FLEXIBILITY"), (CONTENT_TRIGGER, "CONTENT_TRIGGER"), (DEVICE_NOT_DOZING, "DEVICE_NOT_DOZING"),
    (BACKGROUND_NOT_RESTRICTED, "BACKGROUND_NOT_RESTRICTED"), (PREFETCH, "PREFETCH"), (TARE_WEALTH, "TARE_WEALTH"),
    (WITHIN_QUOTA, "WITHIN_QUOTA"),
)
# All constraints besides the implicit ones and the deadline (JobStatus.CONSTRAINTS_OF_INTEREST).
OF_INTEREST = CHARGING | BATTERY_NOT_LOW | STORAGE_NOT_LOW | TIMING_DELAY | CONNECTIVITY | IDLE | CONTENT_TRIGGER \
    | PREFETCH | FLEXIBLE
# `cmd jobscheduler run` without -f ignores these "soft" ones (JobStatus.SOFT_OVERRIDE_CONSTRAINTS).
SOFT_OVERRIDE = CHARGING | BATTERY_NOT_LOW | STORAGE_NOT_LOW | TIMING_DELAY | IDLE | PREFETCH | FLEXIBLE
# What a RESTRICTED-bucket job must meet when it is out of quota (DYNAMIC_RESTRICTED_CONSTRAINTS);
# connectivity only for jobs that asked for a network (JobStatus.addDynamicConstraints).
DYNAMIC_RESTRICTED = BATTERY_NOT_LOW | CHARGING | CONNECTIVITY | IDLE

OVERRIDE_NONE, OVERRIDE_SORTING, OVERRIDE_SOFT, OVERRIDE_FULL = 0, 1, 2, 3


def constraint_text(mask: int) -> str:
    """``JobStatus.dumpConstraints``: `` TIMING_DELAY CONNECTIVITY [0x90000000]``, or ``""`` for none."""
    names = "".join(f" {name}" for bit, name in _PRINT_ORDER if mask & bit)
    return f"{names} [0x{mask & 0xFFFFFFFF:x}]" if mask else ""


class DeviceState:
    """What the controllers read from the other parts; a missing part answers as an idle phone would."""

    def __init__(self, dev: AndroidDevice, standby: StandbyModel, appops: AppOpsModel) -> None:
        self._dev = dev
        self.standby = standby
        self.appops = appops
        # DeviceIdlenessTracker's mIdle set early by ACTION_TRIGGER_IDLE (``am idle-maintenance``) while the
        # screen is off; the screen coming on clears it (the tracker's 31-min screen-off timer is power's).
        self.idle_triggered = False

    @property
    def power(self) -> PowerModel | None:
        power: PowerModel | None = getattr(self._dev, "power", None)
        return power

    @property
    def activity(self) -> ActivityModel | None:
        activity: ActivityModel | None = getattr(self._dev, "activity", None)
        return activity

    def charging(self) -> bool:
        return self.power.charging() if self.power is not None else False

    def battery_not_low(self) -> bool:
        return self.power.battery_not_low() if self.power is not None else True

    def device_idle(self) -> bool:
        """IdleController's IDLE: the screen has been off for the inactivity threshold, or idle was triggered."""
        if self.power is None:
            return False
        return self.power.device_idle() or (self.idle_triggered and not self.power.screen_on)

    def network(self) -> bool:
        return bool(self.power.network_connected) if self.power is not None else True

    def dozing(self) -> bool:
        return self.power.dozing() if self.power is not None else False

    def deep_idle(self) -> bool:
        return self.power.deep_state() == "IDLE" if self.power is not None else False

    def whitelisted(self, package: str) -> bool:
        return self.power.whitelisted(package) if self.power is not None else False

    def foreground(self, package: str) -> bool:
        return self.activity.in_foreground(package) if self.activity is not None else False

    def run_any_in_background(self, package: str) -> bool:
        return self.appops.run_any_in_background(package)

    def bg_allowed(self, package: str) -> bool:
        """BackgroundJobsController: not background-restricted, or the app is in the foreground."""
        return self.run_any_in_background(package) or self.foreground(package)

    def doze_allowed(self, package: str) -> bool:
        """DeviceIdleJobsController: not dozing, or the app is on the power-save whitelist."""
        return not self.dozing() or self.whitelisted(package)


def satisfied_mask(js: JobStatus, st: DeviceState, now: float, within_quota: bool) -> int:
    """The bits each controller would have set on ``js`` right now (only for what it tracks)."""
    tracked = js.required | js.dynamic
    checks = ((CHARGING, st.charging), (BATTERY_NOT_LOW, st.battery_not_low), (IDLE, st.device_idle),
              (CONNECTIVITY, st.network))
    mask = 0
    for bit, check in checks:
        if tracked & bit and check():
            mask |= bit
    if js.required & TIMING_DELAY and js.earliest_s is not None and now >= js.earliest_s:
        mask |= TIMING_DELAY
    if js.required & DEADLINE and js.latest_s is not None and now >= js.latest_s:
        mask |= DEADLINE
    if st.doze_allowed(js.package):
        mask |= DEVICE_NOT_DOZING
    if st.bg_allowed(js.package):
        mask |= BACKGROUND_NOT_RESTRICTED
    if within_quota:
        mask |= WITHIN_QUOTA
    return mask | TARE_WEALTH  # TARE is off on 14/15, so TareController marks every job wealthy


@dataclass(frozen=True, slots=True)
class Readiness:
    """``JobStatus.isReady`` and the "Implicit constraints" the dump prints."""

    not_dozing: bool
    not_restricted_in_bg: bool
    deadline_satisfied: bool
    dynamic_satisfied: bool
    within_quota: bool
    constraints_satisfied: bool
    never_bucket: bool

    @property
    def ready(self) -> bool:
        if (not self.within_quota and not self.dynamic_satisfied) or self.never_bucket:
            return False
        return self.not_dozing and self.not_restricted_in_bg and (
            self.deadline_satisfied or self.constraints_satisfied)


def constraints_satisfied(js: JobStatus, sat: int) -> bool:
    """``isConstraintsSatisfied`` under the job's override state."""
    if js.override == OVERRIDE_FULL:
        return True
    if js.override == OVERRIDE_SOFT:
        sat |= js.required & SOFT_OVERRIDE
    need = js.required & OF_INTEREST
    return sat & need == need


def readiness(js: JobStatus, sat: int, *, never_bucket: bool) -> Readiness:
    expedited = js.info.expedited
    dynamic_ok = js.dynamic != 0 and sat & js.dynamic == js.dynamic
    return Readiness(
        not_dozing=bool(sat & DEVICE_NOT_DOZING) or expedited,
        not_restricted_in_bg=bool(sat & BACKGROUND_NOT_RESTRICTED),
        deadline_satisfied=not js.periodic and bool(js.required & DEADLINE) and bool(sat & DEADLINE),
        dynamic_satisfied=dynamic_ok,
        within_quota=bool(sat & WITHIN_QUOTA) or expedited,
        constraints_satisfied=constraints_satisfied(js, sat),
        never_bucket=never_bucket,
    )
