"""Test helpers for driving the virtual lab through the real adb server and real clients."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import socket
import subprocess
import tempfile
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ppadb.client import Client
from ppadb.device import Device

from harness.config import Config, load_config
from harness.lab.ios import VirtualIPhone
from harness.lab.ios.os import IOSModel
from harness.lab.runner import LabThread

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]


# Test labs listen below the kernel's ephemeral range (``ip_local_port_range``, 32768 up by default): a port the
# kernel picks (bind to port 0) is free only at that instant, and until the lab binds it, any outgoing connection
# on the host, or another xdist worker's pick, may take it ("address already in use", or two workers' labs on one
# adb server, the first to finish killing the other's). Each worker takes its ports from its own slice, in turn.
_FIRST_PORT = 20_000
_SLICE = 1_500
_SLICES = 8  # gw0..gw7 each have one; the process that is no xdist worker has the ninth (32000..32767)


def _slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) % _SLICES if worker.startswith("gw") and worker[2:].isdigit() else _SLICES
    low = _FIRST_PORT + index * _SLICE
    ephemeral = _ephemeral_low()
    return range(low, min(low + _SLICE, ephemeral))


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


_NEXT: list[int] = []  # this process's next port to try, in its slice


def free_port() -> int:
    """A free loopback port of this process's slice, never handed out twice while the slice lasts (the ports
    come in turn, so a config made but not started yet keeps its ports)."""
    ports = _slice()
    if not ports:  # a host whose ephemeral range starts lower: the kernel's pick, as good as it gets there
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    if not _NEXT:
        _NEXT.append(ports.start)
    for _ in range(len(ports)):
        port = _NEXT[0]
        _NEXT[0] = port + 1 if port + 1 < ports.stop else ports.start
        if _bindable(port):
            return port
    raise RuntimeError(f"no free loopback port in {ports.start}..{ports.stop - 1} for this test process")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


_PORT_KEYS = ("adb_server_port", "usbmuxd_port", "appium_port", "push_port", "hub_port", "time_port")


def private_devices_toml(state_dir: Path, text: str | None = None, clock: str = "realtime") -> str:
    """The shipped devices.toml (or ``text``) with every listening port made free and the lab's state (pidfile,
    log, push keys) under ``state_dir``, so parallel test labs never share a port or a key file; the lab's clock
    is ``clock`` (tests written against a clock running by itself ask for none; virtual-time tests ask for it)."""
    text = (ROOT / "devices.toml").read_text() if text is None else text
    text = re.sub(r'(?m)^clock = "\w+"', f'clock = "{clock}"', text)
    ports = {key: free_port() for key in _PORT_KEYS}
    for key, port in ports.items():
        text = re.sub(rf"(?m)^{key} = \d+", f"{key} = {port}", text)
    text = re.sub(r"(?m)^lab_port = (\d{4,})", lambda _m: f"lab_port = {free_port()}", text)  # adbd ports, not ECIDs
    text = re.sub(r"http://127\.0\.0\.1:2197", f"http://127.0.0.1:{ports['push_port']}", text)
    text = text.replace('state_dir = ".lab"', f'state_dir = "{state_dir}"')
    return text.replace('".lab/push/', f'"{state_dir}/push/')


def test_config(clock_rate: float = 600.0, names: tuple[str, ...] | None = None, clock: str = "realtime") -> Config:
    """The shipped devices.toml with free ports, a private adb server and a fast clock (``clock = "realtime"``
    at ``clock_rate`` unless a test asks for the virtual clock)."""
    cfg = load_config(ROOT / "devices.toml")
    lab = dataclasses.replace(cfg.lab, adb_server_port=free_port(), usbmuxd_port=free_port(), clock_rate=clock_rate,
                              appium_port=free_port(), push_port=free_port(), hub_port=free_port(),
                              time_port=free_port(), clock=clock)
    # A private state dir: the lab writes its push credentials there, and parallel test labs must not share them.
    state = Path(tempfile.mkdtemp(prefix="bgh-lab-"))
    lab = dataclasses.replace(lab, state_dir=str(state))
    push = cfg.push
    if push is not None:  # the senders talk to this lab's gateway with this lab's keys
        gateway = f"http://{lab.host}:{lab.push_port}"
        push = dataclasses.replace(push, apns_url=gateway, fcm_url=gateway,
                                   apns_key_path=str(state / "push" / Path(push.apns_key_path or "k.p8").name),
                                   fcm_service_account_path=str(state / "push" / "fcm-service-account.json"))
    devices = []
    for entry in cfg.devices:
        if names is not None and entry.name not in names:
            continue
        if entry.lab and entry.platform == "android":
            port = free_port()
            entry = dataclasses.replace(entry, lab_port=port, serial=f"127.0.0.1:{port}",  # noqa: PLW2901
                                        adb_server=f"127.0.0.1:{lab.adb_server_port}")
        elif entry.lab and entry.platform == "ios":
            entry = dataclasses.replace(entry, usbmux=f"127.0.0.1:{lab.usbmuxd_port}",  # noqa: PLW2901
                                        usb_hub=f"127.0.0.1:{lab.hub_port}")
        devices.append(entry)
    return dataclasses.replace(cfg, lab=lab, devices=tuple(devices), push=push)


@dataclass
class Shell:
    stdout: str
    stderr: str
    code: int


class RunningLab:
    """A lab on a background thread, with the adb CLI pointed at its private server."""

    def __init__(self, cfg: Config, *, appium_relaxed_security: bool = False) -> None:
        self.cfg = cfg
        self.thread = LabThread(cfg, appium_relaxed_security=appium_relaxed_security)

    @property
    def appium_url(self) -> str:
        """The lab's Appium-compatible endpoint (``[lab] appium_port``)."""
        return f"http://{self.cfg.lab.host}:{self.cfg.lab.appium_port}"

    @property
    def adb_port(self) -> int:
        return self.cfg.lab.adb_server_port

    def serial(self, name: str) -> str:
        serial = self.cfg.device(name).serial
        assert serial is not None
        return serial

    def adb(self, name: str, *args: str, timeout_s: float = 30.0, stdin: str | None = None) -> Shell:
        """Run the real `adb` CLI against device ``name``."""
        cmd = ["adb", "-P", str(self.adb_port), "-s", self.serial(name), *args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False,
                                input=stdin if stdin is not None else "")
        return Shell(result.stdout, result.stderr, result.returncode)

    def shell(self, name: str, command: str, timeout_s: float = 30.0) -> Shell:
        return self.adb(name, "shell", command, timeout_s=timeout_s)

    def ppadb(self, name: str) -> Device:
        return Client("127.0.0.1", self.adb_port).device(self.serial(name))

    def device(self, name: str) -> Any:
        """The lab-side model object, for assertions about state only (drive it over the wire). Any: tests read
        the concrete parts (``dev.jobs.completed``), not the protocols the OS model's parts talk through."""
        return self.thread.lab.device(name)

    def iphone(self, name: str) -> VirtualIPhone:
        """A lab iPhone on usbmuxd's list, for assertions about state only (drive it over the wire). Take it before
        an action that takes it off the list (a reboot, an unplug)."""
        mux = self.thread.lab.usbmuxd
        assert mux is not None, "the lab serves no iPhone"
        return next(p for p in mux.devices if p.name == name)

    def iphone_model(self, name: str) -> IOSModel:
        system = self.iphone(name).system
        assert isinstance(system, IOSModel)
        return system

    def call(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on the lab's loop (awaited when it is a coroutine function); its result."""
        result: T = self.thread.call(fn, *args)
        return result

    def run(self, coro: Coroutine[object, object, T], timeout_s: float = 30.0) -> T:
        """Run a coroutine on the lab's loop (starting or stopping an extra lab server) and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.thread._loop).result(timeout_s)


@contextmanager
def one_phone_lab(name: str, clock: str = "realtime") -> Iterator[RunningLab]:
    """A private lab serving one phone of the shipped pool (own ports, adb server and state), stopped afterwards."""
    lab = RunningLab(test_config(names=(name,), clock=clock))
    lab.thread.start()
    try:
        yield lab
    finally:
        lab.thread.stop()
