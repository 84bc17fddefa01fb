"""A separate controller process leasing phones through the farm (``python -m tests.farm.worker``).

JSON events on stdout, commands on stdin, so a test can race it, kill it with -9, revoke its lease,
or cut it off from the database, with no mocks anywhere.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from harness.errors import HarnessError
from harness.farm import PgLeaseStore
from harness.pool import Lease, LeaseLost, Pool


def say(**event: object) -> None:
    print(json.dumps(event), flush=True)


def race(pool: Pool, args: argparse.Namespace) -> None:
    """Wait for "go", then lease one of the devices ``cycles`` times; record each hold and its token."""
    say(event="ready")
    sys.stdin.readline()
    holds: list[tuple[str, int, int, int]] = []
    devices = args.device.split(",")
    for i in range(args.cycles):
        name = devices[(i + args.offset) % len(devices)]
        with pool.acquire(name, timeout_s=60, holder=f"race::{os.getpid()}::{i}") as lease:
            start = time.monotonic_ns()  # CLOCK_MONOTONIC: one clock for every process on this machine
            lease.check()
            end = time.monotonic_ns()
        holds.append((name, lease.fence, start, end))
    Path(args.out).write_text(json.dumps(holds), encoding="utf-8")
    say(event="done")


def hold(pool: Pool, args: argparse.Namespace) -> None:
    """Lease the device, then obey: ``check``, ``release``, ``exit``."""
    lease = pool.acquire(args.device, timeout_s=args.wait, holder=args.holder)
    say(event="held", pid=os.getpid(), fence=lease.fence, at=time.monotonic())
    for line in sys.stdin:
        command = line.strip()
        if command == "check":
            _check(lease)
        elif command == "release":
            say(event="released", ok=lease.release(), lost=lease.lost)
        elif command == "exit-with":  # leave the with-block of a test: a lost lease must fail it
            try:
                lease.__exit__(None, None, None)
            except HarnessError as exc:
                say(event="error", type=type(exc).__name__, message=str(exc))
            else:
                say(event="exited")
        elif command == "exit":
            break


def _check(lease: Lease) -> None:
    try:
        lease.check()
    except HarnessError as exc:
        say(event="error", type=type(exc).__name__, message=str(exc), at=time.monotonic())
    else:
        say(event="ok")


def watch(pool: Pool, args: argparse.Namespace) -> None:
    """Lease the device, then check it every 50 ms until the check fails (the database went away)."""
    lease = pool.acquire(args.device, timeout_s=args.wait, holder=args.holder)
    say(event="held", fence=lease.fence)
    while True:
        try:
            lease.check()
        except LeaseLost as exc:
            say(event="lost", at=time.monotonic(), message=str(exc))
            break
        time.sleep(0.05)
    sys.stdin.readline()


def queue(pool: Pool, args: argparse.Namespace) -> None:
    """Wait for the device, say when it is ours, give it back."""
    say(event="waiting")
    with pool.acquire(args.device, timeout_s=args.wait, holder=args.holder) as lease:
        say(event="held", fence=lease.fence, holder=args.holder)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["race", "hold", "watch", "queue"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--run", default="run-1")
    parser.add_argument("--hostname", default="controller-b")
    parser.add_argument("--device", default="pixel-8")
    parser.add_argument("--holder", default="tests/farm/worker.py::main")
    parser.add_argument("--ttl", type=float, default=30.0)
    parser.add_argument("--wait", type=float, default=30.0)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--out")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
    store = PgLeaseStore(args.url, hostname=args.hostname)
    pool = Pool(Path("/nonexistent-unused"), args.run, lease_timeout_s=args.ttl, store=store)
    {"race": race, "hold": hold, "watch": watch, "queue": queue}[args.mode](pool, args)
    pool.close()


if __name__ == "__main__":
    main()
