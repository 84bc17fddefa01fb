"""A virtual usbmuxd with lab iPhones on a background thread, for driving it with the real clients."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.config import load_config
from harness.lab.clock import RealtimeClock
from harness.lab.ios import IPhoneIdentity, UsbmuxdServer, VirtualIPhone, build_iphone, user_app

ROOT = Path(__file__).resolve().parents[3]
SECOND_UDID = "00008130-000C44E21A38001E"


class IOSLab:
    """``UsbmuxdServer`` on port 0 on its own event loop; ``call`` runs model code on that loop."""

    def __init__(self, phones: list[VirtualIPhone], clock: RealtimeClock, home: Path) -> None:
        self.phones = phones
        self.clock = clock
        self.home = home
        self.server = UsbmuxdServer(phones, "127.0.0.1", 0)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="ios-lab", daemon=True)

    def start(self) -> IOSLab:
        self.thread.start()

        async def boot() -> None:
            self.clock.start(asyncio.get_running_loop())
            await self.server.start()

        asyncio.run_coroutine_threadsafe(boot(), self.loop).result(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        async def run() -> Any:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    @property
    def phone(self) -> VirtualIPhone:
        return self.phones[0]

    @property
    def env(self) -> dict[str, str]:
        # HOME keeps pymobiledevice3's pairing cache (~/.pymobiledevice3) out of the real home.
        return {**os.environ, "USBMUXD_SOCKET_ADDRESS": self.server.address, "HOME": str(self.home)}

    def run(self, *cmd: str, timeout_s: float = 20.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=self.env, check=False)


def running(lab: IOSLab) -> Iterator[IOSLab]:
    """Start ``lab``, yield it, stop it: the body of a lab fixture (``yield from running(IOSLab(...))``)."""
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="session")
def ios_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IOSLab]:
    """The iphone-15 of devices.toml, plus a second phone with enough apps to page Browse replies."""
    cfg = load_config(ROOT / "devices.toml")
    clock = RealtimeClock(1.0)
    first = build_iphone(cfg.device("iphone-15"), cfg.app, clock)
    second = VirtualIPhone(IPhoneIdentity("iphone-15-pro", SECOND_UDID, "iPhone16,1", "17.5.1", "QA Pro"), clock,
                           [user_app(f"com.example.filler{i:02d}", f"Filler {i}") for i in range(30)])
    lab = IOSLab([first, second], clock, tmp_path_factory.mktemp("home"))
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()
