"""Parsers for the ``dumpsys`` output the harness reads: jobscheduler, deviceidle, battery,
activity processes and activity services. Pure: text in, frozen dataclasses out.

Formats are those of shared/reference/android.md (§1.7 deviceidle, §1.8 battery, §2.3
jobscheduler, §3.3 processes, §5 services) and the captures next to it. Jobs and activity dumps
live in their own modules; this one re-exports them so callers need one import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.logs._activity import (
    FGS_TYPES,
    ActivityProcesses,
    ProcessInfo,
    ServiceRecord,
    fgs_type_names,
    parse_activity_processes,
    parse_activity_services,
)
from harness.logs._durations import parse_duration
from harness.logs._jobs import (
    Job,
    JobBody,
    JobHistoryEntry,
    JobSchedulerDump,
    parse_job_body,
    parse_jobscheduler,
    split_battery_name,
)

__all__ = [
    "FGS_TYPES",
    "ActivityProcesses",
    "BatteryDump",
    "DeviceIdleDump",
    "Job",
    "JobBody",
    "JobHistoryEntry",
    "JobSchedulerDump",
    "ProcessInfo",
    "ServiceRecord",
    "fgs_type_names",
    "parse_activity_processes",
    "parse_activity_services",
    "parse_battery",
    "parse_deviceidle",
    "parse_duration",
    "parse_job_body",
    "parse_jobscheduler",
    "split_battery_name",
]


@dataclass(frozen=True, slots=True)
class DeviceIdleDump:
    # Durations in seconds; factors (idle_factor=2.0) and location_accuracy (metres) as numbers.
    settings: dict[str, float] = field(default_factory=dict)
    state: str | None = None  # mState: ACTIVE … IDLE, IDLE_MAINTENANCE
    light_state: str | None = None  # mLightState: … OVERRIDE while deep IDLE
    force_idle: bool | None = None
    screen_on: bool | None = None
    screen_locked: bool | None = None
    charging: bool | None = None
    network_connected: bool | None = None
    light_enabled: bool | None = None
    deep_enabled: bool | None = None
    # "Whitelist system apps", "Whitelist user apps", "Temp whitelist schedule", … → entries.
    whitelists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    state_line: int | None = None  # line of "mState=…"

    @property
    def deep_idle(self) -> bool:
        return self.state == "IDLE"


_SCALARS = {
    "mState": "state", "mLightState": "light_state", "mForceIdle": "force_idle", "mScreenOn": "screen_on",
    "mScreenLocked": "screen_locked", "mCharging": "charging", "mNetworkConnected": "network_connected",
    "mLightEnabled": "light_enabled", "mDeepEnabled": "deep_enabled",
}
_SCALAR = re.compile(r"\b(m[A-Z]\w*)=(\S+)")
_SECTION = re.compile(r"^(\s*)([A-Z][^=:]*):\s*$")
_NUMBER = re.compile(r"^(-?\d+(?:\.\d+)?)m?$")  # "2.0", "20.0m" (location_accuracy)


def _setting(value: str) -> float | None:
    try:
        return parse_duration(value)
    except ValueError:
        m = _NUMBER.match(value)
        return float(m.group(1)) if m else None


def _sections(text: str) -> tuple[dict[str, list[str]], list[tuple[int, str]]]:
    """Indented sections ("  Settings:" and its deeper lines), and the lines outside any."""
    sections: dict[str, list[str]] = {}
    loose: list[tuple[int, str]] = []
    name: str | None = None
    indent = 0
    for no, line in enumerate(text.splitlines(), 1):
        depth = len(line) - len(line.lstrip())
        if name is not None and line.strip() and depth > indent:
            sections[name].append(line.strip())
            continue
        header = _SECTION.match(line)
        if header is not None:
            name, indent = header.group(2).strip(), len(header.group(1))
            sections.setdefault(name, [])
            continue
        if line.strip():
            name = None
        loose.append((no, line))
    return sections, loose


def parse_deviceidle(text: str) -> DeviceIdleDump:
    sections, loose = _sections(text)
    settings: dict[str, float] = {}
    for item in sections.get("Settings", []):
        key, sep, value = item.partition("=")
        number = _setting(value) if sep else None
        if number is not None:
            settings[key.strip()] = number
    scalars: dict[str, object] = {}
    state_line = None
    for no, line in loose:
        for key, value in _SCALAR.findall(line):
            attr = _SCALARS.get(key)
            if attr is None or attr in scalars:
                continue  # the first is DeviceIdleController's own; later dumps reuse names
            scalars[attr] = value if attr in ("state", "light_state") else value == "true"
            if attr == "state":
                state_line = no
    lists = {name: tuple(items) for name, items in sections.items() if "list" in name.lower()}
    return DeviceIdleDump(settings, whitelists=lists, state_line=state_line, **scalars)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class BatteryDump:
    fields: dict[str, str] = field(default_factory=dict)  # "AC powered" → "false", "level" → "80", …
    updates_stopped: bool = False  # after `dumpsys battery unplug` / `set`

    @property
    def plugged(self) -> bool:
        return any(self.fields.get(f"{src} powered") == "true" for src in ("AC", "USB", "Wireless", "Dock"))

    @property
    def level(self) -> int | None:
        value = self.fields.get("level", "")
        return int(value) if value.lstrip("-").isdigit() else None


def parse_battery(text: str) -> BatteryDump:
    fields: dict[str, str] = {}
    stopped = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("(UPDATES STOPPED"):
            stopped = True
            continue
        key, sep, value = stripped.partition(":")
        if sep and key and key != "Current Battery Service state":
            fields[key] = value.strip()
    return BatteryDump(fields, stopped)
