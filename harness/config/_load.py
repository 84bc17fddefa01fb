"""Parse ``devices.toml`` once, check everything, and return frozen objects (or one clear error)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from harness.config._model import (
    OEMS,
    PLATFORMS,
    TASK_KINDS,
    AppConfig,
    Config,
    DeviceConfig,
    LabConfig,
    TaskConfig,
)
from harness.config._push import parse_collector, parse_push
from harness.errors import ConfigError

__all__ = ["load_config"]

T = TypeVar("T")
_DEVICE_KEYS = set(DeviceConfig.__dataclass_fields__)
_LAB_KEYS = set(LabConfig.__dataclass_fields__)
_TASK_KEYS = set(TaskConfig.__dataclass_fields__)
_APP_KEYS = set(AppConfig.__dataclass_fields__) - {"tasks"} | {"task"}
_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


class _Table:
    """One TOML table plus where it is, so every error can name the file, the entry and the key."""

    def __init__(self, path: str, where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
        self.path, self.where, self.data = path, where, data
        for key in data:
            if key not in allowed:
                raise ConfigError(path, where, f"unknown key {key!r}", f"known keys: {', '.join(sorted(allowed))}")

    def get(self, key: str, kind: str, default: T | None = None, required: bool = False) -> Any:
        if key not in self.data:
            if required:
                raise ConfigError(self.path, self.where, f"missing key {key!r}")
            return default
        value = self.data[key]
        ok = isinstance(value, _TYPES[kind]) and not (kind in ("int", "float") and isinstance(value, bool))
        if not ok:
            raise ConfigError(self.path, self.where, f"key {key!r} must be a {kind}, got {value!r}")
        return value

    def str_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(self.path, self.where, f"key {key!r} must be a list of strings, got {value!r}")
        return tuple(value)

    def str_map(self, key: str) -> dict[str, str]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise ConfigError(self.path, self.where, f"key {key!r} must be a table, got {value!r}")
        return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}


def load_config(path: str | Path = "devices.toml") -> Config:
    text_path = str(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(text_path, "file", "not found", "pass --devices PATH or create devices.toml") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(text_path, "syntax", str(exc)) from exc
    top = _Table(text_path, "top level", raw, {"lab", "app", "device", "push", "collector"})
    lab = _lab(_Table(text_path, "[lab]", top.data.get("lab", {}), _LAB_KEYS))
    app = _app(_Table(text_path, "[app]", top.data.get("app", {}), _APP_KEYS))
    entries = top.data.get("device", [])
    if not isinstance(entries, list):
        raise ConfigError(text_path, "[[device]]", "must be an array of tables ([[device]])")
    devices = tuple(_device(text_path, i, entry, lab) for i, entry in enumerate(entries))
    _check_unique(text_path, devices)
    push = parse_push(text_path, top.data.get("push"))
    collector = parse_collector(text_path, top.data.get("collector"))
    return Config(text_path, devices, app, lab, push, collector)


def _lab(t: _Table) -> LabConfig:
    d = LabConfig()
    lab = LabConfig(
        host=t.get("host", "str", d.host), adb_server_port=t.get("adb_server_port", "int", d.adb_server_port),
        usbmuxd_port=t.get("usbmuxd_port", "int", d.usbmuxd_port),
        appium_port=t.get("appium_port", "int", d.appium_port),
        clock_rate=float(t.get("clock_rate", "float", d.clock_rate)), seed=t.get("seed", "int", d.seed),
        state_dir=t.get("state_dir", "str", d.state_dir),
        boot_delay_s=float(t.get("boot_delay_s", "float", d.boot_delay_s)),
        push_port=t.get("push_port", "int", d.push_port), hub_port=t.get("hub_port", "int", d.hub_port),
    )
    if lab.clock_rate <= 0:
        raise ConfigError(t.path, t.where, f"clock_rate must be positive, got {lab.clock_rate}")
    return lab


def _app(t: _Table) -> AppConfig:
    tasks_raw = t.data.get("task", [])
    if not isinstance(tasks_raw, list):
        raise ConfigError(t.path, "[app]", "task must be an array of tables ([[app.task]])")
    tasks = tuple(_task(t.path, i, raw) for i, raw in enumerate(tasks_raw))
    return AppConfig(
        name=t.get("name", "str", "app"), android_package=t.get("android_package", "str"),
        ios_bundle_id=t.get("ios_bundle_id", "str"),
        launcher_activity=t.get("launcher_activity", "str", ".MainActivity"),
        debuggable=t.get("debuggable", "bool", True), tasks=tasks,
    )


def _task(path: str, index: int, raw: Any) -> TaskConfig:
    if not isinstance(raw, dict):
        raise ConfigError(path, f"[[app.task]] #{index + 1}", "must be a table")
    name = raw.get("name", f"#{index + 1}")
    t = _Table(path, f"[[app.task]] {name!r}", raw, _TASK_KEYS)
    kind = t.get("kind", "str", required=True)
    if kind not in TASK_KINDS:
        raise ConfigError(path, t.where, f"unknown kind {kind!r}", f"use one of {', '.join(TASK_KINDS)}")
    d = TaskConfig("", "")
    return TaskConfig(
        name=t.get("name", "str", required=True), kind=kind,
        interval_min=float(t.get("interval_min", "float", d.interval_min)), job_id=t.get("job_id", "int"),
        requires_charging=t.get("requires_charging", "bool", False),
        requires_idle=t.get("requires_idle", "bool", False),
        requires_network=t.get("requires_network", "bool", True), start_on_boot=t.get("start_on_boot", "bool", False),
        duration_s=float(t.get("duration_s", "float", d.duration_s)),
        failure_rate=float(t.get("failure_rate", "float", 0.0)),
    )


def _device(path: str, index: int, raw: Any, lab: LabConfig) -> DeviceConfig:
    if not isinstance(raw, dict):
        raise ConfigError(path, f"[[device]] #{index + 1}", "must be a table")
    label = f"device {raw['name']!r}" if isinstance(raw.get("name"), str) else f"[[device]] #{index + 1}"
    t = _Table(path, label, raw, _DEVICE_KEYS)
    platform = t.get("platform", "str", required=True)
    if platform not in PLATFORMS:
        raise ConfigError(path, label, f"unknown platform {platform!r}", "use android or ios")
    oem = t.get("oem", "str", required=True)
    if oem not in OEMS:
        raise ConfigError(path, label, f"unknown oem {oem!r}", f"use one of {', '.join(OEMS)}")
    is_lab = t.get("lab", "bool", False)
    lab_port = t.get("lab_port", "int")
    serial = t.get("serial", "str")
    udid = t.get("udid", "str")
    if platform == "android" and serial is None:
        if not (is_lab and lab_port):
            raise ConfigError(path, label, "missing key 'serial'", "Android devices need the serial adb lists")
        serial = f"{lab.host}:{lab_port}"
    if platform == "ios" and udid is None:
        raise ConfigError(path, label, "missing key 'udid'", "iPhones need the UDID usbmuxd lists")
    if is_lab and lab_port is None:
        raise ConfigError(path, label, "missing key 'lab_port'", "lab devices need a port for their virtual transport")
    default_adb = f"{lab.host}:{lab.adb_server_port}" if is_lab else "127.0.0.1:5037"
    adb_server = t.get("adb_server", "str", default_adb)
    if ":" not in adb_server or not adb_server.rpartition(":")[2].isdigit():
        raise ConfigError(path, label, f"key 'adb_server' must be host:port, got {adb_server!r}")
    default_usbmux = f"{lab.host}:{lab.usbmuxd_port}" if is_lab and platform == "ios" else None
    default_hub = f"{lab.host}:{lab.hub_port}" if is_lab and platform == "ios" else None  # lab iPhones sit on its hub
    usb_hub, usb_hub_port = t.get("usb_hub", "str", default_hub), t.get("usb_hub_port", "str")
    _check_hub(path, label, usb_hub, usb_hub_port)
    return DeviceConfig(
        name=t.get("name", "str", required=True), platform=platform, oem=oem,
        model=t.get("model", "str", required=True), os_version=str(t.get("os_version", "str", required=True)),
        serial=serial if platform == "android" else None, udid=udid, adb_server=adb_server,
        usbmux=t.get("usbmux", "str", default_usbmux), tags=t.str_list("tags"), lab=is_lab, lab_port=lab_port,
        oem_profile=t.get("oem_profile", "str"), clock_rate=t.get("clock_rate", "float"), seed=t.get("seed", "int"),
        process_control=t.get("process_control", "str"), appium_url=t.get("appium_url", "str"),
        settings=t.str_map("settings"), push_token=t.get("push_token", "str"),
        push_token_env=t.get("push_token_env", "str"), usb_hub=usb_hub, usb_hub_port=usb_hub_port,
    )


def _check_hub(path: str, label: str, usb_hub: str | None, usb_hub_port: str | None) -> None:
    if usb_hub is not None and (":" not in usb_hub or not usb_hub.rpartition(":")[2].isdigit()):
        raise ConfigError(path, label, f"key 'usb_hub' must be host:port, got {usb_hub!r}",
                          'the address of the hub\'s API service, e.g. "127.0.0.1:43424"')
    if usb_hub_port is not None:
        serial, _, number = usb_hub_port.rpartition(":")
        if not serial or not number.isdigit():
            raise ConfigError(path, label, f"key 'usb_hub_port' must be HUBSERIAL:N, got {usb_hub_port!r}",
                              "the hub's serial (cbrx_discover) and the port number, e.g. \"000000897FD0505A:3\"")
        if usb_hub is None:
            raise ConfigError(path, label, "key 'usb_hub_port' needs 'usb_hub'", "add usb_hub = \"host:43424\"")


def _check_unique(path: str, devices: tuple[DeviceConfig, ...]) -> None:
    seen_names: set[str] = set()
    seen_ids: dict[str, str] = {}
    for dev in devices:
        if dev.name in seen_names:
            raise ConfigError(path, f"device {dev.name!r}", "duplicate name", "device names must be unique")
        seen_names.add(dev.name)
        ident = dev.serial or dev.udid or ""
        if ident in seen_ids:
            key = "serial" if dev.platform == "android" else "udid"
            raise ConfigError(path, f"device {dev.name!r}", f"duplicate {key} {ident!r}",
                              f"already used by device {seen_ids[ident]!r}")
        seen_ids[ident] = dev.name
