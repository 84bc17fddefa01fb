"""Power, screen, Doze, standby buckets and background restriction verbs (android.md §1, §4)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.android._base import DriverBase
from harness.errors import CommandFailed
from harness.journal import Undo
from harness.logs.dumpsys import BatteryDump, parse_battery

__all__ = ["BUCKETS", "DozeStates", "PowerVerbs"]

BUCKETS = {"active": 10, "working_set": 20, "frequent": 30, "rare": 40, "restricted": 45, "never": 50}
_BUCKET_NAMES = {v: k for k, v in BUCKETS.items()}
_STATE_LINE = re.compile(r"Light state: (\w+), deep state: (\w+)")  # force-inactive, unforce, motion (android.md §1.2)
# ``appops get PKG OP`` (AppOpsService.Shell): ``OP: mode[; time=…]`` when not at its default, else
# ``No operations.`` and ``Default mode: mode``.
_OP_MODE = re.compile(r"^RUN_ANY_IN_BACKGROUND: (\w+)|^Default mode: (\w+)", re.M)
RESET_BATTERY = Undo.shell("dumpsys battery reset")
UNFORCE = Undo.shell("dumpsys deviceidle unforce")


@dataclass(frozen=True, slots=True)
class DozeStates:
    deep: str
    light: str


class PowerVerbs(DriverBase):
    # -- battery and screen ---------------------------------------------------------------------
    def battery(self) -> BatteryDump:
        return parse_battery(self._check("battery", "dumpsys battery"))

    def unplug(self) -> None:
        """Run on battery (``dumpsys battery unplug``): Doze and bucket limits apply only on battery."""
        self.remember("battery", RESET_BATTERY)
        self._check("unplug", "dumpsys battery unplug")

    def set_battery_level(self, level: int) -> None:
        self.remember("battery", RESET_BATTERY)
        self._check("set_battery_level", f"dumpsys battery set level {int(level)}")

    def reset_battery(self) -> None:
        self._check("reset_battery", "dumpsys battery reset")

    def screen_off(self) -> None:
        self.remember("screen", Undo.shell("input keyevent 224"))
        self._check("screen_off", "input keyevent 223")

    def screen_on(self) -> None:
        self._check("screen_on", "input keyevent 224")

    def idle_maintenance(self) -> None:
        """``cmd activity idle-maintenance``: JobScheduler's IDLE constraint holds from now, instead of
        31 min after the screen went off. Only with the screen off (``screen_off``), as on a phone; the
        screen coming on ends it. Not Doze: ``force_idle`` does not make the device idle for jobs."""
        out = self._check("idle_maintenance", "cmd activity idle-maintenance").strip()
        if not out.startswith("Performing idle maintenance"):
            raise CommandFailed(self.name, "cmd activity idle-maintenance", out)

    # -- Doze -----------------------------------------------------------------------------------
    def doze_states(self) -> DozeStates:
        out = self._check("doze_states", "dumpsys deviceidle get deep; dumpsys deviceidle get light").split()
        if len(out) != 2:
            raise CommandFailed(self.name, "dumpsys deviceidle get", f"unexpected answer {out!r}")
        return DozeStates(out[0], out[1])

    def force_idle(self, mode: str = "deep") -> str:
        """``dumpsys deviceidle force-idle``; returns the device's own text, raises when it could not idle."""
        self.remember("doze", UNFORCE)
        out = self._check("force_idle", f"dumpsys deviceidle force-idle {mode}").strip()
        if not out.startswith("Now forced in to"):
            raise CommandFailed(self.name, f"dumpsys deviceidle force-idle {mode}", out,
                                "deep Doze may be disabled (`dumpsys deviceidle enable`) or an alarm is due")
        return out

    def step_idle(self, mode: str = "deep") -> str:
        """One ``dumpsys deviceidle step``; returns the state reached."""
        self.remember("doze", UNFORCE)
        out = self._check("step_idle", f"dumpsys deviceidle step {mode}").strip()
        return out.rsplit(":", 1)[-1].strip()

    def unforce(self) -> None:
        self._check("unforce", "dumpsys deviceidle unforce")

    def motion(self) -> DozeStates:
        """``dumpsys deviceidle motion``: the significant-motion sensor fired (the phone is being carried).

        Deep Doze starts over from INACTIVE; light Doze carries on unless deep Doze had taken it over
        (OVERRIDE). Returns the states printed (``Light state: <LIGHT>, deep state: <DEEP>``)."""
        out = self._check("motion", "dumpsys deviceidle motion")
        match = _STATE_LINE.search(out)
        if match is None:
            raise CommandFailed(self.name, "dumpsys deviceidle motion", out.strip(), "expected the Doze state line")
        return DozeStates(deep=match.group(2), light=match.group(1))

    def whitelist_add(self, package: str | None = None) -> None:
        pkg = self._pkg(package)
        if self.whitelisted(pkg):
            return  # already exempt before the test: nothing changes, nothing to undo
        self.remember(f"whitelist {pkg}", Undo.shell(f"dumpsys deviceidle whitelist -{pkg}"))
        out = self._check("whitelist_add", f"dumpsys deviceidle whitelist +{pkg}")
        if "Unknown package" in out:
            raise CommandFailed(self.name, f"dumpsys deviceidle whitelist +{pkg}", out.strip(), "is the app installed?")

    def whitelist_remove(self, package: str | None = None) -> None:
        self._check("whitelist_remove", f"dumpsys deviceidle whitelist -{self._pkg(package)}")

    def whitelisted(self, package: str | None = None) -> bool:
        return self._check("whitelisted", f"dumpsys deviceidle whitelist ={self._pkg(package)}").strip() == "true"

    def temp_whitelist(self, package: str | None = None, duration_ms: int = 10_000) -> None:
        self._check("temp_whitelist", f"dumpsys deviceidle tempwhitelist -d {int(duration_ms)} {self._pkg(package)}")

    # -- standby buckets and background restriction -------------------------------------------
    def standby_bucket(self, package: str | None = None) -> str:
        out = self._check("standby_bucket", f"am get-standby-bucket {self._pkg(package)}").strip()
        return _BUCKET_NAMES.get(int(out), out) if out.isdigit() else out

    def set_standby_bucket(self, bucket: str, package: str | None = None) -> None:
        pkg = self._pkg(package)
        before = self.standby_bucket(pkg)
        self.remember(f"bucket {pkg}", Undo.shell(f"am set-standby-bucket {pkg} {before}"))
        self._check("set_standby_bucket", f"am set-standby-bucket {pkg} {bucket}")

    def reset_job_quota(self, package: str | None = None) -> None:
        """``cmd jobscheduler reset-execution-quota``: forget the app's job runs counted against its bucket's
        quota, so a test starts from a fresh daily allowance."""
        self._check("reset_job_quota", f"cmd jobscheduler reset-execution-quota {self._pkg(package)}")

    def set_inactive(self, inactive: bool = True, package: str | None = None) -> None:
        pkg = self._pkg(package)
        self.remember(f"inactive {pkg}", Undo.shell(f"am set-inactive {pkg} false"))
        self._check("set_inactive", f"am set-inactive {pkg} {'true' if inactive else 'false'}")

    def restrict_background(self, restricted: bool = True, package: str | None = None) -> None:
        """The user's "Restricted" battery setting: ``RUN_ANY_IN_BACKGROUND ignore``; undone to the mode
        the app had before (``allow``, the op's default, unless the phone said otherwise)."""
        pkg = self._pkg(package)
        mode = "ignore" if restricted else "allow"
        self.remember(f"appops {pkg} RUN_ANY_IN_BACKGROUND",
                      Undo.shell(f"cmd appops set {pkg} RUN_ANY_IN_BACKGROUND {self.background_mode(pkg)}"))
        self._check("restrict_background", f"cmd appops set {pkg} RUN_ANY_IN_BACKGROUND {mode}")

    def background_mode(self, package: str | None = None) -> str:
        """The app's ``RUN_ANY_IN_BACKGROUND`` mode (``allow``, ``ignore``, …)."""
        pkg = self._pkg(package)
        found = _OP_MODE.search(self._check("background_mode", f"cmd appops get {pkg} RUN_ANY_IN_BACKGROUND"))
        return (found.group(1) or found.group(2)) if found else "allow"
