"""A separate process that leases devices, driven by the pool tests (``python -m tests.pool.holder``).

It speaks JSON lines on stdout and takes commands on stdin, so a test can hold a lease in another
process, kill it with -9, stop it with SIGSTOP, or race it, with no mocks anywhere.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from harness.config import DeviceConfig
from harness.errors import PoolError
from harness.pool import Pool


def say(**event: object) -> None:
    print(json.dumps(event), flush=True)


def device(name: str) -> DeviceConfig:
    return DeviceConfig(name=name, platform="android", oem="google", model="Pixel 8", os_version="14")


def hold(pool: Pool, args: argparse.Namespace) -> None:
    lease = pool.acquire(args.device, timeout_s=10, holder=args.holder)
    say(event="held", pid=os.getpid(), token=lease.record.token)
    for line in sys.stdin:
        if line.strip() == "release":
            ok = lease.release()
            say(event="released", ok=ok, lost=lease.lost)
        elif line.strip() == "exit":
            break


def contend(pool: Pool, args: argparse.Namespace) -> None:
    """Wait for "go", then lease and give back the device ``cycles`` times, recording each hold."""
    say(event="ready")
    sys.stdin.readline()
    intervals: list[tuple[float, float]] = []
    for _ in range(args.cycles):
        with pool.acquire(args.device, timeout_s=20, holder=args.holder):
            start = time.time()
            time.sleep(args.hold_s)
            intervals.append((start, time.time()))
    Path(args.out).write_text(json.dumps(intervals), encoding="utf-8")
    say(event="done")


def health_fail(pool: Pool, args: argparse.Namespace) -> None:
    try:
        pool.acquire(device(args.device), timeout_s=5, holder=args.holder, health=lambda _dev: args.reason)
    except PoolError as exc:
        say(event="error", type=type(exc).__name__, message=str(exc))
    else:
        say(event="held")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["hold", "contend", "health-fail"])
    parser.add_argument("--state", required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--device", default="pixel-8")
    parser.add_argument("--holder", default="tests/pool/holder.py::main")
    parser.add_argument("--lease-timeout", type=float, default=30.0)
    parser.add_argument("--poll", type=float, default=0.1)
    parser.add_argument("--hostname")
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--hold-s", type=float, default=0.01)
    parser.add_argument("--out")
    parser.add_argument("--reason", default="adb: device offline")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
    pool = Pool(Path(args.state), args.run, lease_timeout_s=args.lease_timeout, poll_s=args.poll,
                hostname=args.hostname)
    {"hold": hold, "contend": contend, "health-fail": health_fail}[args.mode](pool, args)


if __name__ == "__main__":
    main()
