"""MIUI / HyperOS (Xiaomi): recents clean-up kills and PowerKeeper's screen-off clean-up.

Real (reference §8.2, transistorsoft/flutter_background_geolocation#956): clearing the app from
recents logs ``ActivityManager: Killing <pid>:<pkg>/<uid> (adj 945): OneKeyClean`` followed by
``Zygote  : Process <pid> exited due to signal 9 (Killed)``; the adj printed is the process's adj
at that moment. An app locked in recents is spared (DKMA xiaomi).

Screen-off clean-up: with default settings MIUI stops background apps some minutes after the screen
goes off unless the app has Autostart *and* battery saver "No restrictions" (DKMA xiaomi). Field reports
differ in how reliably it happens, so the lab's chance per screen-off period is a setting (default 1). No verbatim
PowerKeeper line is known [no capture]: the ``PowerKeeper`` line below is the lab's plausible text.
What follows it is AOSP's, because PowerKeeper force-stops through the ActivityManager binder API:
``Force stopping <pkg> appid=<id> user=0: from pid <powerkeeper pid>`` and ``Killing … stop <pkg>
due to from pid <powerkeeper pid>`` — the same shape as OnePlus' OHPD capture (reference §8.2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.os.activity._kills import REASON_OTHER, kill_record
from harness.lab.android.os.oem._base import OemProfile

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["XiaomiProfile"]


class XiaomiProfile(OemProfile):
    name = "xiaomi"
    prefix = "miui"
    daemon = ("com.miui.powerkeeper", 1000)

    def __init__(self, dev: AndroidDevice) -> None:
        super().__init__(dev)
        self._spared: set[str] = set()  # passed over by this screen-off period's draw

    def autostart(self, package: str) -> bool:
        return self.app_setting("autostart", package, "0") == "1"

    def battery_saver(self, package: str) -> str:
        return self.app_setting("battery_saver", package, "smart")

    def locked(self, package: str) -> bool:
        return self.app_setting("lock_recents", package, "0") == "1"

    def exempt(self, package: str) -> bool:
        return not self.third_party(package) or (
            self.autostart(package) and self.battery_saver(package) == "no_restrictions")

    # -- recents --------------------------------------------------------------------------------
    def task_removed(self, package: str) -> bool:
        if self.locked(package):
            return True
        rec = self.am.record(package)
        if rec is not None:
            kill_record(self.am, rec, "OneKeyClean", exit_reason=REASON_OTHER)
        return True

    # -- screen-off clean-up --------------------------------------------------------------------
    def kill_probability(self) -> float:
        """The chance that one screen-off period ends in a clean-up: global ``lab.miui.screen_off_kill_probability``
        (default 1: with default settings MIUI always stops background apps). Drawn from ``dev.rng``, so a
        seed (devices.toml ``seed``, ``setprop lab.seed``) reproduces the same draws."""
        return min(1.0, max(0.0, self.number("screen_off_kill_probability", 1.0)))

    def screen_changed(self, on: bool) -> None:
        if on:
            self._spared.clear()
            self.cancel()
            return
        for rec in self.background_apps():
            self._arm(rec.package)

    def process_started(self, package: str) -> None:
        if not self.screen_on() and self.third_party(package):
            self._arm(package)

    def _arm(self, package: str) -> None:
        if self.exempt(package) or package in self._timers:
            return
        if package in self._spared:
            return
        chance = self.kill_probability()
        if chance < 1.0 and self.dev.rng.random() >= chance:
            self._spared.add(package)  # PowerKeeper passes the app over until the screen comes on again
            return
        delay = self.uniform("screen_off_kill_delay_s", 300.0, 900.0)
        self.later(package, delay, lambda: self._clean(package, delay))

    def _clean(self, package: str, delay: float) -> None:
        self._timers.pop(package, None)
        if self.screen_on() or self.exempt(package) or self.am.record(package) is None:
            return
        pkg = self.dev.packages.get(package)
        uid = pkg.uid if pkg is not None else 0
        self.daemon_log("I", "PowerKeeper", f"SleepModeClean: screen off {int(delay // 60)}min, force stop "
                        f"{package} uid={uid} autoStart={str(self.autostart(package)).lower()} "
                        f"policy={self.battery_saver(package)}")
        self.am.force_stop(package, f"from pid {self.daemon_pid}")
