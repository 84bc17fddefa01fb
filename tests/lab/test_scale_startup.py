"""Issue 22 item 5, a lab of many phones: phones connect to the adb server in parallel and are online when the lab
is up; the lab's background log is one timer within one budget of lines a second, shared when the phones ask
for more (bench/scale.py measures 200 phones)."""

from __future__ import annotations

import asyncio
import random
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.scale import write_config
from harness.config import load_config
from harness.errors import LabError
from harness.lab import adb_host
from harness.lab.android.noise import LogNoise
from harness.lab.clock import ManualClock
from harness.lab.lognoise import LAB_BUDGET_PER_S, TICK_S, LabNoise, WallTicker
from harness.lab.runner import LabThread, build_android
from tests.labkit import ROOT, free_port

PHONES = 20


def _online(port: int) -> set[str]:
    out = subprocess.run(["adb", "-P", str(port), "devices"], capture_output=True, text=True, timeout=30,
                         check=False).stdout
    return {line.split("\t")[0] for line in out.splitlines() if line.endswith("\tdevice")}


def test_every_phone_of_a_twenty_phone_lab_is_online_when_the_lab_is_up(tmp_path: Path) -> None:
    cfg = write_config(PHONES, None, tmp_path)
    lab = LabThread(cfg)
    lab.start(timeout_s=120)
    try:
        assert _online(cfg.lab.adb_server_port) >= {d.serial for d in cfg.devices}
        assert len(cfg.devices) == PHONES
    finally:
        lab.stop()
        subprocess.run(["adb", "-P", str(cfg.lab.adb_server_port), "kill-server"], capture_output=True, check=False)


@pytest.fixture
def adb_server() -> Iterator[int]:
    port = free_port()
    adb_host.ensure_server(port)
    try:
        yield port
    finally:
        adb_host.kill_server(port)


def test_connect_to_a_port_nothing_listens_on_says_what_the_server_said(adb_server: int) -> None:
    serial = f"127.0.0.1:{free_port()}"
    with pytest.raises(LabError, match=rf"could not connect to {serial}: failed to connect"):
        adb_host.connect(adb_server, serial)


class _Loop(asyncio.SelectorEventLoop):
    """A loop that never runs, on a clock the test moves: the lab's ticks are called by hand."""

    now = 0.0

    def time(self) -> float:
        return self.now


def _tickers(loop: _Loop, phones: int, rate: float) -> tuple[LabNoise, list[list[int]]]:
    lab = LabNoise(loop)
    asked: list[list[int]] = [[] for _ in range(phones)]
    for i, counts in enumerate(asked):
        WallTicker(rate, random.Random(i), _recorder(counts), lambda: True).start(lab)
    return lab, asked


def _recorder(counts: list[int]) -> Callable[[int], list[Callable[[], None]]]:
    """A phone's ``write`` that notes how many lines each tick asks for and writes none."""
    def write(count: int) -> list[Callable[[], None]]:
        counts.append(count)
        return []

    return write


def _run(lab: LabNoise, loop: _Loop, seconds: float) -> None:
    for _ in range(round(seconds / TICK_S)):
        loop.now += TICK_S
        lab._tick()


def test_two_hundred_phones_share_the_lab_budget() -> None:
    loop = _Loop()
    try:
        lab, asked = _tickers(loop, 200, 100.0)
        _run(lab, loop, 20.0)
        total = sum(map(sum, asked))
        assert 0.9 * LAB_BUDGET_PER_S * 20 < total < 1.1 * LAB_BUDGET_PER_S * 20
        assert all(counts for counts in asked)  # every phone logs its share, none is starved
        assert lab.every() > 1  # and the phones take turns: not 200 ticks every 0.1 s
    finally:
        loop.close()


def test_a_lab_under_the_budget_logs_each_phones_own_rate() -> None:
    loop = _Loop()
    try:
        lab, asked = _tickers(loop, 7, 100.0)
        _run(lab, loop, 20.0)
        assert lab.share == 1.0 and lab.every() == 1
        for counts in asked:
            assert 0.85 * 100 * 20 < sum(counts) < 1.15 * 100 * 20
    finally:
        loop.close()


def test_the_lab_timer_stops_with_its_last_phone() -> None:
    loop = _Loop()
    try:
        lab, _ = _tickers(loop, 3, 100.0)
        assert lab._handle is not None
        lab.stop()
        assert not lab.tickers and lab._handle is None and lab.share == 1.0
    finally:
        loop.close()


def test_whole_episodes_owe_back_what_they_overshoot(tmp_path: Path) -> None:
    cfg = write_config(1, None, tmp_path)
    dev = build_android(cfg, cfg.devices[0], ManualClock())
    noise = LogNoise(dev, 5.0, cfg.app.android_package)
    for episode in [e for _ in range(2000) for e in noise._decide(1)]:
        episode()
    assert 1950 <= noise.written <= 2050  # a line a tick, asked 2,000 times: not an episode (2+ lines) each time


def test_the_shipped_lab_fits_in_the_budget() -> None:
    shipped = load_config(ROOT / "devices.toml")
    phones = [d for d in shipped.devices if d.lab]
    assert len(phones) * shipped.lab.log_noise_per_s <= LAB_BUDGET_PER_S

