"""Two lab instances standing in for two lab hosts, and a controller's devices.toml that drives both.

Host A (127.0.0.1) serves pixel-8 and iphone-12 behind its own adb server and usbmuxd. Host B
(127.0.0.2, another loopback address, so its services are reached on a different address as a
remote host's would be) serves xiaomi-13 and iphone-15; its adb server is started the way
docs/remote.md tells a lab technician to: ``adb -a -P PORT nodaemon server``, listening on every
interface (not ``adb -a start-server``: Debian's adb 1.0.41 does not pass ``-a`` on to the server
``start-server`` forks, which then listens on 127.0.0.1 only). The controller's entries are plain
real-phone entries (no ``lab = true``): a serial and an ``adb_server``, or a UDID and a ``usbmux``
address.
"""

from __future__ import annotations

import dataclasses
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.config import Config, DeviceConfig, load_config
from harness.lab.adb_host import server_running
from harness.lab.runner import LabThread
from tests.labkit import ROOT, free_port, private_devices_toml

HOST_A, HOST_B = "127.0.0.1", "127.0.0.2"
ON_A, ON_B = ("pixel-8", "iphone-12"), ("xiaomi-13", "iphone-15")


def host_config(base: Config, host: str, names: tuple[str, ...], state: Path) -> Config:
    """The shipped lab, on ``host``, with only ``names``, free ports and a fast real-time clock: its phones are
    driven from another host's controller, which sees them as real phones and waits on the wall clock (only a
    controller that lists a phone as ``lab = true`` steps a virtual clock)."""
    lab = dataclasses.replace(base.lab, host=host, adb_server_port=free_port(), usbmuxd_port=free_port(),
                              appium_port=free_port(), push_port=free_port(), hub_port=free_port(), clock_rate=600.0,
                              time_port=free_port(), clock="realtime", state_dir=str(state))
    devices = []
    for dev in base.devices:
        if dev.name not in names:
            continue
        if dev.platform == "android":
            port = free_port()
            dev = dataclasses.replace(dev, lab_port=port, serial=f"{host}:{port}",  # noqa: PLW2901
                                      adb_server=f"{host}:{lab.adb_server_port}")
        else:
            dev = dataclasses.replace(dev, usbmux=f"{host}:{lab.usbmuxd_port}",  # noqa: PLW2901
                                      usb_hub=f"{host}:{lab.hub_port}")
        devices.append(dev)
    push = base.push
    if push is not None:  # this host's gateway, with the keys this host's lab writes into its own state
        gateway = f"http://{host}:{lab.push_port}"
        push = dataclasses.replace(push, apns_url=gateway, fcm_url=gateway,
                                   apns_key_path=str(state / "push" / Path(push.apns_key_path or "k.p8").name),
                                   fcm_service_account_path=str(state / "push" / "fcm-service-account.json"))
    return dataclasses.replace(base, lab=lab, devices=tuple(devices), push=push)


def controller_entry(dev: DeviceConfig) -> str:
    """The ``[[device]]`` table a controller writes for a phone on a lab host."""
    lines = ["[[device]]", f'name = "{dev.name}"', f'platform = "{dev.platform}"', f'oem = "{dev.oem}"',
             f'model = "{dev.model}"', f'os_version = "{dev.os_version}"']
    if dev.platform == "android":
        lines += [f'serial = "{dev.serial}"', f'adb_server = "{dev.adb_server}"']
    else:
        lines += [f'udid = "{dev.udid}"', f'usbmux = "{dev.usbmux}"', f'usb_hub = "{dev.usb_hub}"']
    return "\n".join(lines) + "\n"


def controller_toml(a: Config, b: Config, state: Path) -> str:
    """The shipped [lab] and [app] tables, then every phone of both hosts as a remote real phone."""
    shipped = private_devices_toml(state).split("[[device]]", 1)[0]
    return shipped + "\n" + "\n".join(controller_entry(d) for d in (*a.devices, *b.devices))


@dataclass
class TwoHosts:
    a: LabThread
    b: LabThread
    controller: Path  # the controller's devices.toml
    adb_b: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def cfg_a(self) -> Config:
        return self.a.lab.cfg

    @property
    def cfg_b(self) -> Config:
        return self.b.lab.cfg

    def stop(self) -> None:
        for thread in (self.a, self.b):
            thread.stop()
        for cfg in (self.cfg_a, self.cfg_b):
            subprocess.run(["adb", "-P", str(cfg.lab.adb_server_port), "kill-server"], capture_output=True,
                           timeout=20, check=False)
        if self.adb_b is not None:
            self.adb_b.wait(timeout=20)


def network_adb_server(port: int, host: str, timeout_s: float = 20.0) -> subprocess.Popen[bytes]:
    """``adb -a -P PORT nodaemon server``, once it answers on ``host`` (another process: no event to await)."""
    proc = subprocess.Popen(["adb", "-a", "-P", str(port), "nodaemon", "server"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    while not server_running(port, host):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"adb -a -P {port} nodaemon server did not answer on {host}")
        time.sleep(0.05)
    return proc


def start_two_hosts(tmp: Path) -> TwoHosts:
    base = load_config(ROOT / "devices.toml")
    cfg_a = host_config(base, HOST_A, ON_A, tmp / "host-a")
    cfg_b = host_config(base, HOST_B, ON_B, tmp / "host-b")
    # Host B's technician: an adb server listening on every interface (docs/remote.md); the lab finds
    # it running and only `adb connect`s its phones to it.
    adb_b = network_adb_server(cfg_b.lab.adb_server_port, HOST_B)
    a = LabThread(cfg_a).start()
    b = LabThread(cfg_b).start()
    controller = tmp / "controller.toml"
    controller.write_text(controller_toml(cfg_a, cfg_b, tmp / "controller-state"))
    return TwoHosts(a, b, controller, adb_b)
