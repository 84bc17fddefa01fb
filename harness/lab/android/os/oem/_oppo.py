"""ColorOS (OPPO / realme / OnePlus on ColorOS): hans freezes, athena kills after screen-off.

DKMA oppo/realme: background apps are frozen ("App quick freeze") and killed by ``com.oplus.athena``
(``com.coloros.athena`` on older builds) unless the user allows Auto launch / background activity.
No verbatim hans or athena line is known (reference §8.2, §10) [no capture]: the ``OplusHansManager``
and ``athena`` lines below are the lab's plausible text. The freeze keeps the pid (``ps`` shows it in
``do_freezer_trap``) and queues every call into the app until it is thawed; athena stops the app
through ActivityManager, so AOSP's force-stop lines follow with ``from pid <athena pid>``.
"""

from __future__ import annotations

from harness.lab.android.os.oem._base import OemProfile

__all__ = ["OppoProfile"]


class OppoProfile(OemProfile):
    name = "oppo"
    prefix = "coloros"
    daemon = ("com.oplus.athena", 1000)

    def exempt(self, package: str) -> bool:
        return not self.third_party(package) or self.app_setting("auto_launch", package, "0") == "1"

    def screen_changed(self, on: bool) -> None:
        if on:
            self.cancel()
            for rec in list(self.am.apps.values()):
                self._thaw(rec.package, "screen on")
            return
        for rec in self.background_apps():
            self._arm(rec.package)

    def process_started(self, package: str) -> None:
        if not self.screen_on() and self.third_party(package):
            self._arm(package)

    def setting_changed(self, key: str, package: str | None) -> None:
        if package is not None and self.exempt(package):
            self._thaw(package, "whitelist")

    def _arm(self, package: str) -> None:
        if self.exempt(package) or package in self._timers:
            return
        freeze_at = self.uniform("freeze_delay_s", 60.0, 180.0)
        kill_at = freeze_at + self.uniform("kill_delay_s", 600.0, 1800.0)
        self.later(package, freeze_at, lambda: self._freeze(package))
        self.later(package, kill_at, lambda: self._kill(package))

    def _uid(self, package: str) -> int:
        pkg = self.dev.packages.get(package)
        return pkg.uid if pkg is not None else 0

    def _freeze(self, package: str) -> None:
        if self.screen_on() or self.exempt(package) or not self.am.set_frozen(package, True):
            return
        self.dev.syslog("I", "OplusHansManager", f"freeze uid: {self._uid(package)} package: {package} "
                        "reason: screen off")

    def _thaw(self, package: str, reason: str) -> None:
        self.am.set_frozen(package, False, reason)

    def thawed(self, package: str, reason: str) -> None:
        self.dev.syslog("I", "OplusHansManager", f"unfreeze uid: {self._uid(package)} package: {package} "
                        f"reason: {reason}")

    def _kill(self, package: str) -> None:
        self._timers.pop(package, None)
        if self.screen_on() or self.exempt(package) or self.am.record(package) is None:
            return
        self.daemon_log("I", "athena", f"ScreenOffClean: kill {package} uid {self._uid(package)} "
                        "autoLaunch=false")
        self.am.force_stop(package, f"from pid {self.daemon_pid}")
