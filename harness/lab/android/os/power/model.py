"""``dev.power``: the PowerModel the other OS parts see (os/contracts.py), over battery, screen and Doze.

The wiring is Android's broadcasts, made synchronous: BatteryService's ACTION_BATTERY_CHANGED feeds
DeviceIdleController's charging state, PowerManagerService's ACTION_SCREEN_ON/OFF its interactivity,
connectivity its network state. Every public entry point runs in a notifier batch, so ``on_change`` listeners
hear about a change once the transition it belongs to is complete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.os.power.allowlist import Allowlist
from harness.lab.android.os.power.battery import BatteryService
from harness.lab.android.os.power.constants import DozeConstants
from harness.lab.android.os.power.deviceidle import DeviceIdleService
from harness.lab.android.os.power.doze import DeviceIdleController
from harness.lab.android.os.power.notifier import Notifier
from harness.lab.android.os.power.screen import PowerService, Screen

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["LabPower"]


class LabPower:
    """Implements ``PowerModel``. ``on_change`` kinds: screen, charging, battery, network, deep, light, whitelist,
    and "idle" when JobScheduler's IDLE constraint (``device_idle()``) flips, 31 min after the screen went off
    (a kind of its own so that listeners of "screen" only hear real screen changes).
    """

    def __init__(self, dev: AndroidDevice, consts: DozeConstants | None = None) -> None:
        self.dev = dev
        self.consts = consts or DozeConstants()
        self.notifier = Notifier()
        self._probe: Callable[[], bool] | None = None
        self.doze = DeviceIdleController(dev, self.consts, self.notifier, self._work_busy)
        self.allowlist = Allowlist(dev, self.consts, self.notifier)
        self.screen = Screen(dev, self._screen_changed, lambda: self.notifier.changed("idle"))
        self._charging = True  # what DeviceIdleController assumes until the first battery broadcast
        self.battery = BatteryService(dev, self._battery_changed)
        self.deviceidle = DeviceIdleService(dev, self.doze, self.allowlist, self.notifier, self._work_busy)
        self.power_service = PowerService(dev, self.screen, self.battery, self.doze, self._power_allowlists)

    # -- PowerModel --------------------------------------------------------------------------------------
    @property
    def screen_on(self) -> bool:
        return self.screen.on

    @screen_on.setter
    def screen_on(self, on: bool) -> None:
        with self.notifier.batch():
            if on:
                self.screen.wake("WAKE_REASON_UNKNOWN", "null")
            else:
                self.screen.sleep("application")

    @property
    def network_connected(self) -> bool:
        return self.doze.network_connected

    @network_connected.setter
    def network_connected(self, connected: bool) -> None:
        with self.notifier.batch():
            if connected != self.doze.network_connected:
                self.doze.update_connectivity(connected)
                self.notifier.changed("network")

    def charging(self) -> bool:
        return self.battery.powered_for_doze()

    def battery_level(self) -> int:
        return self.battery.info.level

    def battery_not_low(self) -> bool:
        # BatteryService's mBatteryLevelLow: set at ≤ 15 % on battery, cleared on power or at ≥ 20 %.
        return self.charging() or not self.battery.level_low

    def deep_state(self) -> str:
        return self.doze.state.name

    def light_state(self) -> str:
        return self.doze.light_state.name

    def dozing(self) -> bool:
        # PowerManager's isDeviceIdleMode() || isLightDeviceIdleMode(), which JobScheduler's
        # DeviceIdleJobsController reads: on in deep IDLE and light IDLE/WAITING_FOR_NETWORK only.
        return self.doze.pm_deep_idle or self.doze.pm_light_idle

    def device_idle(self) -> bool:
        return self.screen.job_idle

    def whitelisted(self, package: str) -> bool:
        return self.allowlist.exempt(package)

    def on_change(self, listener: Callable[[str], None]) -> None:
        self.notifier.subscribe(listener)

    def set_work_probe(self, probe: Callable[[], bool]) -> None:
        """``probe()`` returns True while any job or alarm is running (DIC's mJobsActive/mAlarmsActive)."""
        self._probe = probe

    # -- device hooks --------------------------------------------------------------------------------------
    def on_key(self, code: int) -> None:
        with self.notifier.batch():
            self.screen.on_key(code)

    def shutdown(self) -> None:
        self.doze.cancel_timers()
        self.screen.boot()
        self.allowlist.boot()

    def boot(self) -> None:
        """A reboot: overrides, forced modes and temp entries are gone; the user allowlist stays."""
        with self.notifier.batch():
            self.screen.boot()
            self.allowlist.boot()
            self.doze.boot()
            self._charging = True
            self.battery.boot()
            self.doze.update_interactivity(self.screen.on)
            for what in ("screen", "charging", "battery", "network", "whitelist"):
                self.notifier.changed(what)

    # -- broadcasts --------------------------------------------------------------------------------------
    def _battery_changed(self, battery: BatteryService) -> None:
        with self.notifier.batch():
            charging = battery.powered_for_doze()
            self.doze.update_charging(charging)
            self.notifier.changed("battery")
            if charging != self._charging:
                self._charging = charging
                self.notifier.changed("charging")

    def _screen_changed(self, on: bool) -> None:
        with self.notifier.batch():
            self.doze.update_interactivity(on)
            self.notifier.changed("screen")

    def _work_busy(self) -> bool:
        return self._probe() if self._probe is not None else False

    def _power_allowlists(self) -> tuple[list[int], list[int]]:
        return self.allowlist.all_app_ids(), self.allowlist.temp_app_ids()
