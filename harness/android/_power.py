"""Power, screen, Doze, standby buckets and background restriction verbs (android.md §1, §4)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.android._base import DriverBase
from harness.errors import CommandFailed
from harness.logs.dumpsys import BatteryDump, parse_battery

__all__ = ["BUCKETS", "DozeStates", "PowerVerbs"]

BUCKETS = {"active": 10, "working_set": 20, "frequent": 30, "rare": 40, "restricted": 45, "never": 50}
_BUCKET_NAMES = {v: k for k, v in BUCKETS.items()}
_STATE_LINE = re.compile(r"Light state: (\w+), deep state: (\w+)")  # force-inactive, unforce, motion (android.md §1.2)


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
        self._check("unplug", "dumpsys battery unplug")
        self.on_teardown("battery", self.reset_battery)

    def set_battery_level(self, level: int) -> None:
        self._check("set_battery_level", f"dumpsys battery set level {int(level)}")
        self.on_teardown("battery", self.reset_battery)

    def reset_battery(self) -> None:
        self._check("reset_battery", "dumpsys battery reset")

    def screen_off(self) -> None:
        self._check("screen_off", "input keyevent 223")
        self.on_teardown("screen", self.screen_on)

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
        out = self._check("force_idle", f"dumpsys deviceidle force-idle {mode}").strip()
        self.on_teardown("doze", self.unforce)
        if not out.startswith("Now forced in to"):
            raise CommandFailed(self.name, f"dumpsys deviceidle force-idle {mode}", out,
                                "deep Doze may be disabled (`dumpsys deviceidle enable`) or an alarm is due")
        return out

    def step_idle(self, mode: str = "deep") -> str:
        """One ``dumpsys deviceidle step``; returns the state reached."""
        out = self._check("step_idle", f"dumpsys deviceidle step {mode}").strip()
        self.on_teardown("doze", self.unforce)
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
        out = self._check("whitelist_add", f"dumpsys deviceidle whitelist +{pkg}")
        if "Unknown package" in out:
            raise CommandFailed(self.name, f"dumpsys deviceidle whitelist +{pkg}", out.strip(), "is the app installed?")
        self.on_teardown(f"whitelist {pkg}", lambda: self.whitelist_remove(pkg))

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
        self._check("set_standby_bucket", f"am set-standby-bucket {pkg} {bucket}")
        restore = f"am set-standby-bucket {pkg} {before}"
        self.on_teardown(f"bucket {pkg}", lambda: self._check("restore_bucket", restore))

    def reset_job_quota(self, package: str | None = None) -> None:
        """``cmd jobscheduler reset-execution-quota``: forget the app's job runs counted against its bucket's
        quota, so a test starts from a fresh daily allowance."""
        self._check("reset_job_quota", f"cmd jobscheduler reset-execution-quota {self._pkg(package)}")

    def set_inactive(self, inactive: bool = True, package: str | None = None) -> None:
        pkg = self._pkg(package)
        self._check("set_inactive", f"am set-inactive {pkg} {'true' if inactive else 'false'}")
        self.on_teardown(f"inactive {pkg}", lambda: self._check("restore_inactive", f"am set-inactive {pkg} false"))

    def restrict_background(self, restricted: bool = True, package: str | None = None) -> None:
        """The user's "Restricted" battery setting: ``RUN_ANY_IN_BACKGROUND ignore`` (allow to undo)."""
        pkg = self._pkg(package)
        mode = "ignore" if restricted else "allow"
        self._check("restrict_background", f"cmd appops set {pkg} RUN_ANY_IN_BACKGROUND {mode}")
        self.on_teardown(f"appops {pkg}",
                         lambda: self._check("restore_appops", f"cmd appops set {pkg} RUN_ANY_IN_BACKGROUND allow"))
