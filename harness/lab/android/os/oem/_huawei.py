"""EMUI / HarmonyOS (Huawei): PowerGenie's screen-off clean-up ("Screen Off Clean").

What the user sees (DKMA huawei; Huawei's support page "apps running in the background may be closed
automatically": Settings → Apps → App launch → the app → disable *Manage automatically*, enable *Run in
background*; the Mate 8 / Honor 8 manuals: "Press the power button to lock the screen. Your phone will close
all background apps except those that are protected"): background apps are closed when the screen locks,
unless the user manages the app manually. DKMA's remedy is to remove ``com.huawei.powergenie`` itself.

How (PowerGenie's ``ScreenLockClean`` and ``AppManager``, decompiled, in the code corpus): on a screen-off that
follows at least 10 s of screen-on, not during a call, it waits 2 s, collects the running apps (app id >= 10000)
that the user has not protected, and 1 s later force-stops each one through
``ActivityManager.forceStopPackageAsUser`` after logging ``AppManager: Force stop:<pkg> Reason:Screen Off
Clean``; ``ScreenLockClean`` logs the count before (``Screen Off get Clean Apps Num:N expend time(ms):T``) and
after (``Screen Off Clean Apps Num:N expend time(ms):T``). The app that was on top when the screen went off is
spared (``getProtectFrontApps``), as are launchers, input methods, clocks, the SMS app and apps playing audio or
downloading (not modelled: the lab's app does none of these). An app with an active GPS request is cleaned too
unless it is a navigation app (``permitCleanGpsApp``): a courier's location service is not protected.
AMS then logs AOSP's ``Force stopping <pkg> appid=<id> user=0: from pid <powergenie pid>``.
Those tags and wordings are the decompiled source's [no capture]: no public thread shows the lines printed.

Switch: ``settings put secure lab.huawei.manage_manually.<pkg> 1`` (App launch → Manage manually, Run in
background on). The 10 s and 2 s + 1 s delays are the source's; ``lab.huawei.screen_off_clean_delay_s``
(global) overrides the 3 s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.os.oem._base import OemProfile

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["HuaweiProfile"]

MIN_SCREEN_ON_S = 10.0  # ScreenLockClean: elapsedRealtime() - mScreenOnTime >= 10000
CLEAN_DELAY_S = 3.0  # message 100 after 2000 ms, then message 200 after 1000 ms
_BATCH = "__screen_off_clean__"  # the timer key of the pending clean-up (one for all apps)


class HuaweiProfile(OemProfile):
    name = "huawei"
    prefix = "huawei"
    daemon = ("com.huawei.powergenie", 1000)

    def __init__(self, dev: AndroidDevice) -> None:
        super().__init__(dev)
        self._screen_on_at = dev.clock.now()
        self._front: str | None = None  # on top when the screen went off

    def manage_manually(self, package: str) -> bool:
        return self.app_setting("manage_manually", package, "0") == "1"

    def exempt(self, package: str) -> bool:
        return not self.third_party(package) or self.manage_manually(package)

    def screen_changed(self, on: bool) -> None:
        now = self.dev.clock.now()
        if on:
            self._screen_on_at = now
            self.cancel(_BATCH)
            return
        if now - self._screen_on_at < MIN_SCREEN_ON_S or _BATCH in self._timers:
            return
        self._front = self.am.top
        self.later(_BATCH, self.number("screen_off_clean_delay_s", CLEAN_DELAY_S), self._clean)

    def candidates(self) -> list[str]:
        """Running third-party apps PowerGenie would stop now: not protected, not the front app."""
        names = {r.package for r in self.am.apps.values() if self.third_party(r.package)}
        return sorted(p for p in names if p != self._front and not self.exempt(p))

    def _clean(self) -> None:
        self._timers.pop(_BATCH, None)
        if self.screen_on():
            return
        apps = self.candidates()
        if not apps:
            return
        self.daemon_log("I", "ScreenLockClean", f"Screen Off get Clean Apps Num:{len(apps)} expend time(ms):3")
        for package in apps:
            self.daemon_log("I", "AppManager", f"Force stop:{package} Reason:Screen Off Clean")
            self.am.force_stop(package, f"from pid {self.daemon_pid}")
        self.daemon_log("I", "ScreenLockClean", f"Screen Off Clean Apps Num:{len(apps)} expend time(ms):"
                        f"{12 * len(apps)}")
