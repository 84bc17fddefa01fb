"""Doze's power-save allowlists ("whitelist" in every shell text): system, except-idle, user and temporary.

Mirrors DeviceIdleController (DIC-new): the lists are ``ArrayMap<String, Integer>`` (package → app id), which
iterate in ``String.hashCode`` order; the app-id sets are ``SparseBooleanArray`` (ascending). Temp entries are
keyed by app id, end at ``uptimeMillis + duration`` (capped at ``max_temp_app_allowlist_duration_ms``) and expire
on a timer. Uninstalled packages drop off the user list (ACTION_PACKAGE_REMOVED).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.lab.android.os.base import format_duration
from harness.lab.android.os.power._shell import java_hash
from harness.lab.android.os.power.constants import DozeConstants
from harness.lab.android.os.power.notifier import Notifier
from harness.lab.clock import Timer

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["Allowlist", "TempEntry", "app_id_section", "by_hash"]

# <allow-in-power-save> from /system/etc/sysconfig: GMS is on it on every Play device [inferred: the exact
# list is per build; packages not installed on the device are skipped, as SystemConfig lookups fail for them].
SYSTEM_ALLOW_IN_POWER_SAVE = ("com.google.android.gms",)
SYSTEM_ALLOW_EXCEPT_IDLE = ("com.android.providers.downloads",)


@dataclass
class TempEntry:
    app_id: int
    end_ms: int  # uptimeMillis
    reason: str
    timer: Timer | None = None


def by_hash(packages: dict[str, int]) -> list[tuple[str, int]]:
    """``ArrayMap`` iteration order: ascending ``String.hashCode``."""
    return sorted(packages.items(), key=lambda kv: java_hash(kv[0]))


class Allowlist:
    def __init__(self, dev: AndroidDevice, consts: DozeConstants, notifier: Notifier) -> None:
        self.dev = dev
        self.c = consts
        self._notifier = notifier
        self.except_idle: dict[str, int] = {}  # mPowerSaveWhitelistAppsExceptIdle (includes the full system list)
        self.system: dict[str, int] = {}  # mPowerSaveWhitelistApps
        self.removed_system: dict[str, int] = {}  # mRemovedFromSystemWhitelistApps
        self.user: dict[str, int] = {}  # mPowerSaveWhitelistUserApps (persisted in deviceidle.xml)
        self.user_except_idle: set[str] = set()
        self.temp: dict[int, TempEntry] = {}
        self._load_system_config()

    def _load_system_config(self) -> None:
        for name in SYSTEM_ALLOW_EXCEPT_IDLE + SYSTEM_ALLOW_IN_POWER_SAVE:
            pkg = self.dev.packages.get(name)
            if pkg is not None and pkg.system:
                self.except_idle[name] = pkg.app_id
                if name in SYSTEM_ALLOW_IN_POWER_SAVE:
                    self.system[name] = pkg.app_id

    def boot(self) -> None:
        """A reboot keeps the user list and removed system entries (deviceidle.xml) and loses the rest."""
        for entry in self.temp.values():
            if entry.timer is not None:
                entry.timer.cancel()
        self.temp.clear()
        for name in self.user_except_idle:
            self.except_idle.pop(name, None)
        self.user_except_idle.clear()

    # -- queries -----------------------------------------------------------------------------------
    def _prune(self) -> None:
        for name in [n for n in self.user if self.dev.packages.get(n) is None]:
            del self.user[name]

    def listing(self) -> list[str]:
        """``whitelist`` with no arguments."""
        self._prune()
        lines = [f"system-excidle,{name},{app_id}" for name, app_id in by_hash(self.except_idle)]
        lines += [f"system,{name},{app_id}" for name, app_id in by_hash(self.system)]
        lines += [f"user,{name},{app_id}" for name, app_id in by_hash(self.user)]
        return lines

    def all_app_ids(self) -> list[int]:
        """mPowerSaveWhitelistAllAppIdArray: system plus user."""
        self._prune()
        return sorted(set(self.system.values()) | set(self.user.values()))

    def except_idle_app_ids(self) -> list[int]:
        self._prune()
        return sorted(set(self.except_idle.values()) | set(self.user.values()))

    def user_app_ids(self) -> list[int]:
        self._prune()
        return sorted(set(self.user.values()))

    def temp_app_ids(self) -> list[int]:
        return sorted(self.temp)

    def is_user(self, name: str) -> bool:
        self._prune()
        return name in self.user

    def exempt(self, name: str) -> bool:
        """``PowerModel.whitelisted``: on the full (system or user) list, or temp-allowlisted now."""
        pkg = self.dev.packages.get(name)
        if pkg is None:
            return False
        return pkg.app_id in self.all_app_ids() or pkg.app_id in self.temp

    # -- user list -----------------------------------------------------------------------------------
    def add_user(self, name: str) -> bool:
        """``addPowerSaveWhitelistAppsInternal`` for one package; False if it is not installed."""
        pkg = self.dev.packages.get(name)
        if pkg is None:
            self.dev.syslog("E", "DeviceIdleController",
                            f"Tried to add unknown package to power save whitelist: {name}")
            return False
        if name not in self.user:
            self.user[name] = pkg.app_id
            self._notifier.changed("whitelist")
        return True

    def remove_user(self, name: str) -> bool:
        if self.user.pop(name, None) is None:
            return False
        self._notifier.changed("whitelist")
        return True

    # -- system list (sys-whitelist) ---------------------------------------------------------------
    def remove_system(self, name: str) -> bool:
        if name not in self.system:
            return False
        self.removed_system[name] = self.system.pop(name)
        self._notifier.changed("whitelist")
        return True

    def restore_system(self, name: str) -> bool:
        if name not in self.removed_system:
            return False
        self.system[name] = self.removed_system.pop(name)
        self._notifier.changed("whitelist")
        return True

    def reset_system(self) -> None:
        self.system.update(self.removed_system)
        self.removed_system.clear()
        self._notifier.changed("whitelist")

    def system_listing(self) -> list[str]:
        return [f"{name},{app_id}" for name, app_id in by_hash(self.system)]

    # -- except-idle list -------------------------------------------------------------------------
    def add_except_idle(self, name: str) -> bool:
        pkg = self.dev.packages.get(name)
        if pkg is None:
            return False
        if name not in self.except_idle:
            self.except_idle[name] = pkg.app_id
            self.user_except_idle.add(name)
            self._notifier.changed("whitelist")
        return True

    def reset_except_idle(self) -> None:
        if self.user_except_idle:
            for name in self.user_except_idle:
                self.except_idle.pop(name, None)
            self.user_except_idle.clear()
            self._notifier.changed("whitelist")

    # -- temporary list -------------------------------------------------------------------------------
    def _uptime_ms(self) -> int:
        return round(self.dev.clock.uptime() * 1000)

    def add_temp(self, name: str, duration_ms: int, reason: str) -> None:
        """``addPowerSaveTempWhitelistAppDirectInternal``; unknown packages are ignored silently."""
        pkg = self.dev.packages.get(name)
        if pkg is None:
            return
        duration_ms = min(duration_ms, self.c.max_temp_app_allowlist_duration_ms)
        entry = self.temp.get(pkg.app_id)
        if entry is not None:
            entry.end_ms = self._uptime_ms() + duration_ms  # a pending timeout re-arms itself (checkTemp…)
            return
        entry = TempEntry(pkg.app_id, self._uptime_ms() + duration_ms, reason)
        self.temp[pkg.app_id] = entry
        self._arm(entry, duration_ms)
        self._notifier.changed("whitelist")

    def _arm(self, entry: TempEntry, delay_ms: int) -> None:
        entry.timer = self.dev.clock.call_later(max(0, delay_ms) / 1000,
                                                self._notifier.batched(lambda: self._check_timeout(entry)))

    def _check_timeout(self, entry: TempEntry) -> None:
        if self.temp.get(entry.app_id) is not entry:
            return
        remaining = entry.end_ms - self._uptime_ms()
        if remaining > 0:
            self._arm(entry, remaining)
            return
        del self.temp[entry.app_id]
        self._notifier.changed("whitelist")

    def remove_temp(self, name: str) -> None:
        pkg = self.dev.packages.get(name)
        entry = self.temp.pop(pkg.app_id, None) if pkg is not None else None
        if entry is not None:
            if entry.timer is not None:
                entry.timer.cancel()
            self._notifier.changed("whitelist")

    def temp_schedule(self, prefix: str = "") -> list[str]:
        """``dumpTempWhitelistScheduleLocked``: ``UID=<appId>: <time left> - <reason>``."""
        now = self._uptime_ms()
        return [f"{prefix}UID={app_id}: {format_duration((self.temp[app_id].end_ms - now) / 1000)} - "
                f"{self.temp[app_id].reason}" for app_id in sorted(self.temp)]


def app_id_section(title: str, ids: Iterable[int]) -> list[str]:
    ids = list(ids)
    return [f"  {title}:", *(f"    {i}" for i in ids)] if ids else []
