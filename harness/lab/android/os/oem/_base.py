"""What every OEM profile shares: its settings keys, its daemon process, timers and AMS hooks.

A profile's user-facing switches are settings keys a technician sets from the shell
(``settings put secure lab.miui.autostart.<pkg> 1``); they are read when a policy acts and watched
through the settings service, so a change takes effect at once (pending kills of an app that became
exempt are cancelled). Keys are documented in docs/oem-profiles.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.os.activity import ActivityManager, AppRecord, manager
from harness.lab.android.os.settings import SettingsService
from harness.lab.clock import Timer

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["OemProfile", "apply_initial_settings"]

NAMESPACES = ("global", "secure", "system")


def apply_initial_settings(dev: AndroidDevice) -> None:
    """devices.toml ``settings = { "secure:lab.miui.autostart.com.example.courier" = "1" }`` (no prefix: secure)."""
    service = dev.services.get("settings")
    if not isinstance(service, SettingsService):
        return
    for raw, value in dev.ident.settings.items():
        namespace, sep, key = raw.partition(":")
        if not sep or namespace not in NAMESPACES:
            namespace, key = "secure", raw
        service.put(namespace, key, value)


class OemProfile:
    """The stock (Google) profile; OEM skins override the hooks."""

    name = "google"
    prefix = ""  # settings keys are lab.<prefix>.*
    daemon: tuple[str, int] | None = None  # (process name, uid) of the OEM's killer daemon

    def __init__(self, dev: AndroidDevice) -> None:
        self.dev = dev
        self.am: ActivityManager = manager(dev)
        self._timers: dict[str, list[Timer]] = {}
        self._power_hooked = False
        self.daemon_pid: int | None = None

    # -- wiring ---------------------------------------------------------------------------------
    def install(self) -> None:
        if self.daemon is not None:
            name, uid = self.daemon
            found = self.dev.processes.by_name(name)
            proc = found[0] if found else self.dev.processes.add_system(name, uid, self.dev.clock.now(), name)
            self.daemon_pid = proc.pid
        service = self.dev.services.get("settings")
        if isinstance(service, SettingsService):
            service.on_change(self._setting_changed)
        self.am.on_launch(self.app_launched)
        self.am.on_process_start(lambda package, _pid: self.process_started(package))
        self.am.on_background(self.app_backgrounded)
        self.am.on_thaw(self.thawed)
        self.am.policy = self
        self.connect_parts()

    def connect_parts(self) -> None:
        power = getattr(self.dev, "power", None)
        if power is not None and not self._power_hooked:
            power.on_change(self._power_changed)
            self._power_hooked = True

    # -- settings -------------------------------------------------------------------------------
    def setting(self, namespace: str, key: str, default: str) -> str:
        value = self.dev.settings[namespace].get(key)
        return default if value is None else value

    def app_setting(self, name: str, package: str, default: str) -> str:
        return self.setting("secure", f"lab.{self.prefix}.{name}.{package}", default)

    def number(self, key: str, default: float) -> float:
        try:
            return float(self.setting("global", f"lab.{self.prefix}.{key}", str(default)))
        except ValueError:
            return default

    def _setting_changed(self, namespace: str, key: str, value: str | None) -> None:
        head = f"lab.{self.prefix}."
        if not self.prefix or not key.startswith(head):
            return
        package = next((p.name for p in self.dev.packages.all() if key.endswith("." + p.name)), None)
        if package is not None and self.exempt(package):
            self.cancel(package)
        self.setting_changed(key[len(head):], package)

    def setting_changed(self, key: str, package: str | None) -> None:
        """A lab.<prefix>.* key changed (``package`` is set for per-app keys)."""

    # -- policy hooks (stock: nothing) ----------------------------------------------------------
    def exempt(self, package: str) -> bool:
        return True

    def task_removed(self, package: str) -> bool:
        return False

    def screen_changed(self, on: bool) -> None: ...

    def app_launched(self, package: str) -> None:
        self.cancel(package)

    def app_backgrounded(self, package: str) -> None: ...

    def process_started(self, package: str) -> None: ...

    def thawed(self, package: str, reason: str) -> None:
        """A process was thawed (by this profile or because it came to the foreground)."""

    def _power_changed(self, what: str) -> None:
        power = getattr(self.dev, "power", None)
        if what == "screen" and power is not None:
            self.screen_changed(bool(power.screen_on))

    # -- helpers --------------------------------------------------------------------------------
    def screen_on(self) -> bool:
        return self.am.screen_on()

    def third_party(self, package: str) -> bool:
        pkg = self.dev.packages.get(package)
        return pkg is not None and not pkg.system

    def background_apps(self) -> list[AppRecord]:
        """Third-party processes whose activity is not on top (the ones OEM cleaners go after)."""
        return [r for r in self.am.apps.values() if self.third_party(r.package) and r.package != self.am.top]

    def later(self, package: str, delay_s: float, fn: Callable[[], None]) -> None:
        timer = self.dev.clock.call_later(delay_s, fn)
        self._timers.setdefault(package, []).append(timer)

    def cancel(self, package: str | None = None) -> None:
        for name in [package] if package is not None else list(self._timers):
            for timer in self._timers.pop(name, []):
                timer.cancel()

    def daemon_log(self, prio: str, tag: str, msg: str) -> None:
        """A line from the OEM daemon's process (system uid, main buffer like any app log)."""
        pid = self.daemon_pid or 1416
        self.dev.logs.write("main", prio, tag, msg, pid=pid, tid=pid + 29, uid=1000)

    def uniform(self, key: str, low: float, high: float) -> float:
        """A delay: the global setting ``lab.<prefix>.<key>`` if set, else drawn from ``dev.rng``."""
        fixed = self.number(key, -1.0)
        return fixed if fixed >= 0 else self.dev.rng.uniform(low, high)
