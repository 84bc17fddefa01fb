"""24 device-hours of Doze cycles and periodic jobs on 4 virtual phones, in wall-clock seconds.

Each phone (Pixel, Xiaomi, Oppo, Samsung) runs the modelled app with its background task, then sits
unplugged with the screen off for a day of device time on a ManualClock (events run back to back,
no waiting), so the Doze state machine cycles, WorkManager jobs run in maintenance windows and the
OEM profiles do what they do.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.lab.android.os.activity import launch, press_home
from harness.lab.android.shell.runtime import Input, Invocation, Output, run_script
from harness.lab.clock import ManualClock
from harness.lab.runner import build_android
from tests.labkit import test_config

DAY_S = 24 * 3600.0


def shell(dev, text: str) -> str:  # type: ignore[no-untyped-def]
    out: list[bytes] = []
    inv = Invocation(["sh"], dev, Input.of(b""), Output(out.append), Output(out.append), env={"?": "0"})
    asyncio.run(run_script(text, inv))
    return b"".join(out).decode()


def main() -> None:
    cfg = test_config(names=("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23"))
    phones = []
    for dev_cfg in cfg.devices:
        clock = ManualClock()
        dev = build_android(cfg, dev_cfg, clock=clock)
        pkg = cfg.app.android_package or ""
        launch(dev, pkg)
        press_home(dev)
        shell(dev, "dumpsys battery unplug; input keyevent 223")
        phones.append((dev_cfg.name, dev, clock))
    start = time.perf_counter()
    events = 0
    for _, _, clock in phones:
        events += clock.advance(DAY_S)
    wall = time.perf_counter() - start
    print(f"4 phones x 24 device-hours: {wall:.2f} s wall ({4 * DAY_S / wall:,.0f}x real time), "
          f"{events:,} timed events")
    for name, dev, _ in phones:
        lines = dev.logs.entries(["main", "system", "events"])
        runs = sum(1 for e in lines if "BgProbe v1 task_start task=sync-orders" in e.msg)
        dozes = sum(1 for e in lines if e.tag == "device_idle" and e.msg.startswith("[5,"))
        kills = sum(1 for e in lines if e.tag == "ActivityManager" and e.msg.startswith(("Killing", "Force stopping")))
        print(f"  {name:<13} sync-orders runs {runs:3d}, deep IDLE entries {dozes:3d}, "
              f"AMS kill/force-stop lines {kills}")


if __name__ == "__main__":
    main()
