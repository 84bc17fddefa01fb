"""Checks across tables: the lab's ports are distinct, and its state directory can be one."""

from __future__ import annotations

from pathlib import Path

from harness.config._model import Config
from harness.errors import ConfigError

__all__ = ["check_ports", "check_state_dir"]

_LAB_PORTS = ("adb_server_port", "usbmuxd_port", "appium_port", "push_port", "hub_port", "time_port")


def check_ports(cfg: Config) -> None:
    """Two listeners of one lab on one port: the second cannot bind, or (worse) a client talks to the wrong one.

    An Android lab phone's ``lab_port`` is its virtual adbd's TCP port, so it joins the lab's ports; an
    iPhone's is its usbmuxd slot (DeviceID), distinct among the lab's iPhones only.
    """
    taken: dict[int, str] = {}

    def claim(port: int, owner: str, where: str, key: str) -> None:
        if port in taken:
            raise ConfigError(cfg.path, where, f"key {key!r} = {port} is already the port of {taken[port]}",
                              "every lab listener needs its own port")
        taken[port] = owner

    for key in _LAB_PORTS:
        claim(getattr(cfg.lab, key), f"[lab] {key}", "[lab]", key)
    if cfg.collector.port:
        claim(cfg.collector.port, "[collector] port", "[collector]", "port")
    slots: dict[int, str] = {}
    for dev in cfg.devices:
        if not dev.lab or dev.lab_port is None:
            continue
        where = f"device {dev.name!r}"
        if dev.platform == "android":
            claim(dev.lab_port, f"{where} lab_port", where, "lab_port")
        elif dev.lab_port in slots:
            raise ConfigError(cfg.path, where, f"key 'lab_port' = {dev.lab_port} is already the slot of "
                              f"device {slots[dev.lab_port]!r}", "each lab iPhone needs its own lab_port")
        else:
            slots[dev.lab_port] = dev.name


def check_state_dir(cfg: Config) -> None:
    """``state_dir`` must be (or become) a directory: the lab's pidfile, log, leases and keys live there."""
    sdir = Path(cfg.path).resolve().parent / cfg.lab.state_dir
    for part in (sdir, *sdir.parents):
        if part.exists():
            if not part.is_dir():
                raise ConfigError(cfg.path, "[lab]", f"key 'state_dir' = {cfg.lab.state_dir!r}: {part} is a file, "
                                  "not a directory", "point state_dir at a directory (it is created if missing)")
            return
