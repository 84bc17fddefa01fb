"""Parse ``devices.toml`` once, check everything, and return frozen objects (or one clear error).

Every key is checked for its type and its range (ports 1-65535 and distinct, positive rates,
finite numbers); tables that need a key (``[app]`` with Android phones needs ``android_package``)
say so. Each error names the file, the table or device, and the key: one line, no traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from harness.config._farm import parse_farm
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
from harness.config._ports import check_ports, check_state_dir
from harness.config._push import parse_collector, parse_push
from harness.config._roles import ROLES, check_roles
from harness.config._schema import Table, check_address, check_url, read_text, require_table
from harness.errors import ConfigError

__all__ = ["load_config"]

_DEVICE_KEYS = set(DeviceConfig.__dataclass_fields__)
_LAB_KEYS = set(LabConfig.__dataclass_fields__)
_TASK_KEYS = set(TaskConfig.__dataclass_fields__)
_APP_KEYS = set(AppConfig.__dataclass_fields__) - {"tasks"} | {"task"}
_TOP_KEYS = {"lab", "app", "device", "push", "collector", "farm"}
_CLOCKS = ("virtual", "realtime")  # [lab] clock: harness/lab/clock.py
_PROCESS_CONTROLS = ("dvt", "tunnel", "appium")  # harness/ios/process.py


def load_config(path: str | Path = "devices.toml") -> Config:
    text_path = str(path)
    text = read_text(text_path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(text_path, "syntax", str(exc)) from None
    if not raw:  # an empty file would otherwise start a zero-phone lab on the default ports
        raise ConfigError(text_path, "file", "is empty (no [lab], [app] or [[device]])",
                          "describe the phones in [[device]] tables; see the shipped devices.toml")
    top = Table(text_path, "top level", raw, _TOP_KEYS)
    lab = _lab(Table(text_path, "[lab]", require_table(text_path, "[lab]", raw.get("lab", {})), _LAB_KEYS))
    app_raw = raw.get("app")
    app = _app(Table(text_path, "[app]", require_table(text_path, "[app]", app_raw if app_raw is not None else {}),
                     _APP_KEYS))
    entries = require_table(text_path, "[[device]]", top.data.get("device", []), array=True)
    devices = tuple(_device(text_path, i, entry, lab) for i, entry in enumerate(entries))
    push = parse_push(text_path, top.data.get("push"))
    collector = parse_collector(text_path, top.data.get("collector"))
    cfg = Config(text_path, devices, app, lab, push, collector, parse_farm(text_path, top.data.get("farm")))
    check_ports(cfg)  # before the serials: two lab phones on one lab_port are a port clash, named as such
    _check_unique(text_path, devices)
    if app_raw is not None:
        _check_app_ids(text_path, app, devices)
    check_state_dir(cfg)
    return cfg


def _lab(t: Table) -> LabConfig:
    d = LabConfig()
    host = t.get("host", "str", d.host)
    if not host.strip():
        raise t.fail("key 'host' must not be empty", 'use "127.0.0.1" (the lab binds loopback)')
    state = t.get("state_dir", "str", d.state_dir)
    if not state.strip():
        raise t.fail("key 'state_dir' must not be empty", 'e.g. ".lab"')
    return LabConfig(
        host=host, adb_server_port=t.port("adb_server_port", d.adb_server_port),
        usbmuxd_port=t.port("usbmuxd_port", d.usbmuxd_port), appium_port=t.port("appium_port", d.appium_port),
        clock_rate=t.number("clock_rate", d.clock_rate, 0, low_open=True), seed=t.get("seed", "int", d.seed),
        state_dir=state, boot_delay_s=t.number("boot_delay_s", d.boot_delay_s, 0),
        push_port=t.port("push_port", d.push_port), hub_port=t.port("hub_port", d.hub_port),
        clock=t.choice("clock", _CLOCKS, d.clock), time_port=t.port("time_port", d.time_port),
        log_noise_per_s=t.number("log_noise_per_s", d.log_noise_per_s, 0, 10_000),
    )


def _app(t: Table) -> AppConfig:
    tasks_raw = require_table(t.path, "[[app.task]]", t.data.get("task", []), array=True)
    tasks = tuple(_task(t.path, i, raw) for i, raw in enumerate(tasks_raw))
    seen: set[str] = set()
    for task in tasks:
        if task.name in seen:
            raise ConfigError(t.path, f"[[app.task]] {task.name!r}", "duplicate name", "task names must be unique")
        seen.add(task.name)
    check_roles(t.path, tasks)
    return AppConfig(
        name=t.get("name", "str", "app"), android_package=t.get("android_package", "str"),
        ios_bundle_id=t.get("ios_bundle_id", "str"),
        launcher_activity=t.get("launcher_activity", "str", ".MainActivity"),
        debuggable=t.get("debuggable", "bool", True), tasks=tasks,
    )


def _task(path: str, index: int, raw: dict[str, Any]) -> TaskConfig:
    name = raw.get("name")
    t = Table(path, f"[[app.task]] {name!r}" if isinstance(name, str) else f"[[app.task]] #{index + 1}", raw,
              _TASK_KEYS)
    d = TaskConfig("", "")
    return TaskConfig(
        name=t.get("name", "str", required=True), kind=t.choice("kind", TASK_KINDS, required=True),
        interval_min=t.number("interval_min", d.interval_min, 0, low_open=True), job_id=t.integer("job_id", None, 0),
        requires_charging=t.get("requires_charging", "bool", False),
        requires_idle=t.get("requires_idle", "bool", False),
        requires_network=t.get("requires_network", "bool", True), start_on_boot=t.get("start_on_boot", "bool", False),
        duration_s=t.number("duration_s", d.duration_s, 0), failure_rate=t.number("failure_rate", 0.0, 0, 1),
        role=t.choice("role", ROLES),
    )


def _device(path: str, index: int, raw: dict[str, Any], lab: LabConfig) -> DeviceConfig:
    label = f"device {raw['name']!r}" if isinstance(raw.get("name"), str) else f"[[device]] #{index + 1}"
    t = Table(path, label, raw, _DEVICE_KEYS)
    name = t.get("name", "str", required=True)
    platform = t.choice("platform", PLATFORMS, required=True)
    oem = t.choice("oem", OEMS, required=True)
    is_lab = t.get("lab", "bool", False)
    lab_port = t.port("lab_port", None)
    serial, udid = t.get("serial", "str"), t.get("udid", "str")
    if platform == "android" and serial is None:
        if not is_lab:
            raise t.fail("missing key 'serial'", "Android devices need the serial adb lists")
        if lab_port is not None:  # a lab phone without one is told below that it needs lab_port, not a serial
            serial = f"{lab.host}:{lab_port}"
    if platform == "ios" and udid is None:
        raise t.fail("missing key 'udid'", "iPhones need the UDID usbmuxd lists")
    for key, value in (("serial", serial), ("udid", udid)):
        if value is not None and not value.strip():
            raise t.fail(f"key {key!r} must not be empty")
    if is_lab and lab_port is None:
        raise t.fail("missing key 'lab_port'", "lab devices need a port for their virtual transport")
    default_adb = f"{lab.host}:{lab.adb_server_port}" if is_lab else "127.0.0.1:5037"
    adb_server = check_address(path, label, "adb_server", t.get("adb_server", "str", default_adb))
    restartable = t.get("adb_server_restartable", "bool", False)
    if restartable and adb_server.rpartition(":")[0] not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        raise t.fail(f"key 'adb_server_restartable' needs a local adb_server, got {adb_server!r}",
                     "the harness can start an adb server only on this machine")
    default_usbmux = f"{lab.host}:{lab.usbmuxd_port}" if is_lab and platform == "ios" else None
    usbmux = t.get("usbmux", "str", default_usbmux)
    if usbmux is not None:
        check_address(path, label, "usbmux", usbmux, "127.0.0.1:27015")
    default_hub = f"{lab.host}:{lab.hub_port}" if is_lab and platform == "ios" else None  # lab iPhones sit on its hub
    usb_hub, usb_hub_port = t.get("usb_hub", "str", default_hub), t.get("usb_hub_port", "str")
    _check_hub(t, usb_hub, usb_hub_port)
    appium_url = t.get("appium_url", "str")
    if appium_url is not None:
        check_url(path, label, "appium_url", appium_url)
    return DeviceConfig(
        name=name, platform=platform, oem=oem,
        model=t.get("model", "str", required=True), os_version=t.get("os_version", "str", required=True),
        serial=serial if platform == "android" else None, udid=udid, adb_server=adb_server,
        adb_server_restartable=restartable,
        usbmux=usbmux, tags=t.str_list("tags"), lab=is_lab, lab_port=lab_port,
        oem_profile=t.choice("oem_profile", OEMS),  # a typo would silently model a stock phone
        clock_rate=t.number("clock_rate", None, 0, low_open=True),
        seed=t.get("seed", "int"), process_control=t.choice("process_control", _PROCESS_CONTROLS),
        appium_url=appium_url, settings=t.str_map("settings"), push_token=t.get("push_token", "str"),
        push_token_env=t.get("push_token_env", "str"), usb_hub=usb_hub, usb_hub_port=usb_hub_port,
    )


def _check_hub(t: Table, usb_hub: str | None, usb_hub_port: str | None) -> None:
    if usb_hub is not None and (":" not in usb_hub or not usb_hub.rpartition(":")[2].isdigit()):
        raise t.fail(f"key 'usb_hub' must be host:port, got {usb_hub!r}",
                     'the address of the hub\'s API service, e.g. "127.0.0.1:43424"')
    if usb_hub is not None:
        check_address(t.path, t.where, "usb_hub", usb_hub, "127.0.0.1:43424")
    if usb_hub_port is not None:
        serial, _, number = usb_hub_port.rpartition(":")
        if not serial or not number.isdigit():
            raise t.fail(f"key 'usb_hub_port' must be HUBSERIAL:N, got {usb_hub_port!r}",
                         "the hub's serial (cbrx_discover) and the port number, e.g. \"000000897FD0505A:3\"")
        if usb_hub is None:
            raise t.fail("key 'usb_hub_port' needs 'usb_hub'", "add usb_hub = \"host:43424\"")


def _check_app_ids(path: str, app: AppConfig, devices: tuple[DeviceConfig, ...]) -> None:
    """An [app] tested on Android phones needs its package; on iPhones, its bundle id."""
    for key, platform, value in (("android_package", "android", app.android_package),
                                 ("ios_bundle_id", "ios", app.ios_bundle_id)):
        users = [d.name for d in devices if d.platform == platform]
        if users and not value:
            raise ConfigError(path, "[app]", f"missing key {key!r}",
                              f"{platform} devices ({', '.join(users[:3])}) run the app; name it, "
                              f'e.g. {key} = "com.example.app"')


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

