"""One UI (Samsung): "Put unused apps to sleep", MARs force-stops, and the FreecessController freezer.

Real lines (reference captures §2, §6):
``ActivityManager: Force stopping <pkg> appid=<id> user=0: MARs #1`` then
``ActivityManager: Killing <pid>:<pkg>/<uid> (adj N): stop <pkg>,MARs #1`` (Samsung, Android 10-era;
whether One UI 6 keeps the ``,MARs #1`` form rather than AOSP 13's ``due to`` is [unverified]), and
``FreecessController: <pkg>(state: Initial -> Freezeable, Reason: uidIdle)`` (Galaxy Tab S9, 13).
The Device care line that puts an app to sleep and the Freecess freeze/thaw lines are the lab's
plausible text [no capture]: the freeze is a move of the same state line to ``Frozen`` (the real
``Freezeable`` line only says the app may be frozen later, and the harness reads it as no freeze).

Model: an app unused for ``unused_days`` (3) goes to the Sleeping apps list and the RESTRICTED
standby bucket; some minutes after the screen goes off MARs force-stops sleeping apps. Freecess
freezes a background app a minute after its uid goes idle (not while the system runs a job, receiver or
service in it: its uid is then active), keeping the pid but stopping its work,
until the app comes to the foreground. "Never sleeping apps" are exempt from all three.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from harness.lab.android.os.oem._base import OemProfile

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["SamsungProfile"]

DAY_S = 86_400.0
CHECK_EVERY_S = 6 * 3600.0
UID_IDLE_S = 60.0  # ActivityManagerConstants.BACKGROUND_SETTLE_TIME


class SamsungProfile(OemProfile):
    name = "samsung"
    prefix = "samsung"
    daemon = ("com.samsung.android.lool", 1000)  # Device care

    def __init__(self, dev: AndroidDevice) -> None:
        super().__init__(dev)
        self.last_used: dict[str, float] = {}

    def install(self) -> None:
        super().install()
        self.dev.clock.call_later(CHECK_EVERY_S, self._daily_check)

    # -- settings -------------------------------------------------------------------------------
    def never_sleeping(self, package: str) -> bool:
        return self.app_setting("never_sleeping", package, "0") == "1"

    def sleeping(self, package: str) -> bool:
        return self.app_setting("sleeping", package, "0") == "1" and not self.never_sleeping(package)

    def exempt(self, package: str) -> bool:
        return not self.third_party(package) or self.never_sleeping(package)

    def setting_changed(self, key: str, package: str | None) -> None:
        if package is not None and self.never_sleeping(package):
            self.am.set_frozen(package, False, "whitelist")

    # -- Put unused apps to sleep ---------------------------------------------------------------
    def app_launched(self, package: str) -> None:
        super().app_launched(package)
        self.last_used[package] = self.dev.clock.now()

    def _daily_check(self) -> None:
        self.dev.clock.call_later(CHECK_EVERY_S, self._daily_check)
        if self.setting("global", "lab.samsung.put_unused_apps_to_sleep", "1") != "1":
            return
        limit = self.number("unused_days", 3.0) * DAY_S
        now = self.dev.clock.now()
        for pkg in self.dev.packages.all():
            unused = now - self.last_used.setdefault(pkg.name, now)
            if pkg.system or unused < limit or self.exempt(pkg.name) or self.sleeping(pkg.name):
                continue
            self.put_to_sleep(pkg.name, int(unused // DAY_S))

    def put_to_sleep(self, package: str, days: int) -> None:
        self.daemon_log("I", "DeviceCare", f"AppSleepingPolicy: {package} unused for {days} days -> sleeping apps")
        self.dev.settings["secure"][f"lab.samsung.sleeping.{package}"] = "1"
        standby = getattr(self.dev, "standby", None)
        if standby is not None:
            standby.set_bucket(package, 45, "s")  # REASON_MAIN_FORCED_BY_SYSTEM

    # -- MARs -----------------------------------------------------------------------------------
    def screen_changed(self, on: bool) -> None:
        if on:
            self.cancel()
            return
        for pkg in self.dev.packages.all():
            if not pkg.system and self.sleeping(pkg.name):
                delay = self.uniform("mars_delay_s", 60.0, 600.0)
                self.later(pkg.name, delay, partial(self._mars, pkg.name))

    def _mars(self, package: str) -> None:
        pkg = self.dev.packages.get(package)
        if self.screen_on() or pkg is None or pkg.stopped or not self.sleeping(package):
            return
        self.am.force_stop(package, "MARs #1", kill_reason=f"stop {package},MARs #1")

    # -- Freecess -------------------------------------------------------------------------------
    def freecess_on(self) -> bool:
        return self.setting("global", "lab.samsung.freecess", "1") == "1"

    def app_backgrounded(self, package: str) -> None:
        self._arm_freeze(package)

    def process_started(self, package: str) -> None:
        if package != self.am.top:
            self._arm_freeze(package)

    def _arm_freeze(self, package: str) -> None:
        if self.freecess_on() and not self.exempt(package):
            self.later(package, UID_IDLE_S, lambda: self._freeze(package))

    def _freeze(self, package: str) -> None:
        rec = self.am.record(package)
        if rec is None or package == self.am.top or rec.has_foreground_service or self.exempt(package):
            return
        if not self.freecess_on() or rec.proc.frozen:
            return
        if rec.work > 0:  # running a job, receiver or service: the uid is not idle; look again after the settle time
            self.later(package, UID_IDLE_S, lambda: self._freeze(package))
            return
        self.dev.syslog("D", "FreecessController", f"{package}(state: Initial -> Freezeable, Reason: uidIdle)")
        self.am.set_frozen(package, True)
        self.dev.syslog("D", "FreecessController", f"{package}(state: Freezeable -> Frozen, Reason: uidIdle)")

    def thawed(self, package: str, reason: str) -> None:
        self.dev.syslog("D", "FreecessController", f"{package}(state: Frozen -> Initial, Reason: {reason})")
