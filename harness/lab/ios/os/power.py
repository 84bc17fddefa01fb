"""The phone's state that gates background work: lock, first unlock, Low Power Mode, Background App Refresh.

Battery level and charging live on the phone (``VirtualIPhone.battery_level`` / ``.charging``, which
lockdown's ``com.apple.mobile.battery`` domain reads); this module reads them from there.

What Apple documents, and what the model does with it:

- Background App Refresh (Settings → General → Background App Refresh, global and per app): when it is off,
  ``BGTaskScheduler.submit`` fails with ``.unavailable`` ("A person disabled background refresh in
  settings", BGTaskScheduler.Error.Code docs) and ``backgroundRefreshStatus`` is ``.denied``; the model gives
  no BGTask launch (refresh or processing) and no background fetch, and holds silent pushes.
- Low Power Mode: "Background App Refresh is disabled automatically when a device is operating in low-power
  mode" (UIApplication.backgroundRefreshStatus docs), and it pauses "discretionary and background
  activities" (ProcessInfo.isLowPowerModeEnabled docs). By that chain the model treats LPM like BAR off for
  everything, processing tasks on external power included; Apple documents no exception for them. "The mode
  automatically disables when the battery level rises to a sufficient level again" (Energy Efficiency Guide):
  the model turns it off when the phone charges at 80 % or more, the level iOS uses.
- First unlock: until the user unlocks after a reboot, data-protected apps cannot run; geofence monitoring
  "resumes only after the user unlocks the device following a reboot" (CoreLocation docs, reference §4.7).
- Idle: "the processing tasks are designed to be executed only when the user is not likely to be using the
  device" (Apple engineer, developer.apple.com/forums/thread/119758); the developer asking there saw them
  run "around 5 minutes after device is locked": idle = locked for ``IDLE_AFTER_LOCK_S``.
- Battery: dasd's low-battery policy is not published; the model starts no discretionary work at
  ``LOW_BATTERY_PERCENT`` or below while not charging [lab's number].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["IDLE_AFTER_LOCK_S", "LOW_BATTERY_PERCENT", "LPM_AUTO_OFF_PERCENT", "PhoneState"]

IDLE_AFTER_LOCK_S = 300.0
LOW_BATTERY_PERCENT = 10
LPM_AUTO_OFF_PERCENT = 80


@dataclass
class PhoneState:
    phone: VirtualIPhone
    locked: bool = False
    locked_since_s: float | None = None
    first_unlocked: bool = True  # the lab phone starts booted and unlocked once
    low_power_mode: bool = False
    refresh_enabled: bool = True  # the global Background App Refresh switch
    refresh_disabled_apps: set[str] = field(default_factory=set)
    network: bool = True

    # -- settings ---------------------------------------------------------------------------------
    def refresh_allowed(self, bundle_id: str) -> bool:
        """Background App Refresh as ``backgroundRefreshStatus`` reports it (LPM turns it off too)."""
        self.check_low_power_mode()
        return self.refresh_enabled and bundle_id not in self.refresh_disabled_apps and not self.low_power_mode

    def set_refresh(self, bundle_id: str | None, on: bool) -> None:
        if bundle_id is None:
            self.refresh_enabled = on
        elif on:
            self.refresh_disabled_apps.discard(bundle_id)
        else:
            self.refresh_disabled_apps.add(bundle_id)

    def check_low_power_mode(self) -> None:
        if self.low_power_mode and self.phone.charging and self.phone.battery_level >= LPM_AUTO_OFF_PERCENT:
            self.low_power_mode = False

    # -- lock -------------------------------------------------------------------------------------
    def lock(self, now_s: float) -> None:
        if not self.locked:
            self.locked, self.locked_since_s = True, now_s

    def unlock(self) -> None:
        self.locked, self.locked_since_s, self.first_unlocked = False, None, True

    def reboot(self, now_s: float) -> None:
        self.locked, self.locked_since_s, self.first_unlocked = True, now_s, False

    def idle(self, now_s: float) -> bool:
        return self.locked and self.locked_since_s is not None and now_s - self.locked_since_s >= IDLE_AFTER_LOCK_S

    def battery_ok(self) -> bool:
        return self.phone.charging or self.phone.battery_level > LOW_BATTERY_PERCENT
