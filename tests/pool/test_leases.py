"""Leases across real processes: exclusion, kill -9, heartbeat expiry, timeouts, lost leases."""

from __future__ import annotations

import json
import logging
import signal
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

from harness.errors import LeaseTimeout
from harness.pool import LeaseInfo, Pool, leases
from tests.pool.conftest import Holder

Spawn = Callable[..., Holder]


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.02)


def test_processes_of_separate_runs_never_hold_the_device_at_once(spawn: Spawn, tmp_path: Path) -> None:
    cycles = 12
    outs = [tmp_path / f"intervals-{i}.json" for i in range(3)]
    procs = [spawn("contend", "--cycles", str(cycles), "--hold-s", "0.01", "--poll", "0.01", "--out", str(out),
                   run=f"run-{i}") for i, out in enumerate(outs)]
    for proc in procs:
        assert proc.event()["event"] == "ready"
    for proc in procs:  # all start together, so the order below reflects the pool, not start-up times
        proc.send("go")
    for proc in procs:
        assert proc.event(timeout_s=20)["event"] == "done", proc.stderr()

    holds = sorted((start, end, i) for i, out in enumerate(outs) for start, end in json.loads(out.read_text()))
    assert len(holds) == 3 * cycles
    for (_, prev_end, prev), (start, _, cur) in pairwise(holds):
        assert start >= prev_end, f"process {cur} took the device at {start} while {prev} held it until {prev_end}"
    # First come, first served: a process that gives the device back and asks again at once must queue
    # behind the others instead of winning every race.
    streak = longest = 1
    for (_, _, prev), (_, _, cur) in pairwise(holds):
        streak = streak + 1 if cur == prev else 1
        longest = max(longest, streak)
    assert longest <= 3, [who for _, _, who in holds]


def test_kill_9_on_this_host_frees_the_device_at_once(spawn: Spawn, state: Path) -> None:
    holder = spawn("hold", "--lease-timeout", "30")
    assert holder.event()["event"] == "held"
    holder.popen.send_signal(signal.SIGKILL)  # not reaped yet: a zombie must count as dead too
    pool = Pool(state, "run-2", lease_timeout_s=30)
    start = time.monotonic()
    lease = pool.acquire("pixel-8", timeout_s=5, holder="t::next")
    assert time.monotonic() - start < 1.0  # far below the 30 s lease timeout: the dead pid was enough
    assert [i.pid for i in leases(state)] == [lease.record.pid]
    lease.release()
    pool.close()


def test_kill_9_on_another_host_waits_for_the_heartbeat_to_expire(spawn: Spawn, state: Path) -> None:
    holder = spawn("hold", "--lease-timeout", "2", "--hostname", "lab-controller-2")
    assert holder.event()["event"] == "held"
    holder.popen.kill()
    holder.popen.wait()
    (info,) = leases(state)
    assert (info.hostname, info.state) == ("lab-controller-2", "held")  # a dead pid elsewhere proves nothing
    pool = Pool(state, "run-2", lease_timeout_s=2)
    with pytest.raises(LeaseTimeout):
        pool.acquire("pixel-8", timeout_s=0.2, holder="t::early")
    lease = pool.acquire("pixel-8", timeout_s=5, holder="t::patient")
    took = time.time()
    assert took >= info.heartbeat + 2.0
    assert took - (info.heartbeat + 2.0) < 1.0  # and soon after: within a poll or so
    lease.release()
    pool.close()


def test_a_timed_out_wait_names_the_holder_and_the_fix(spawn: Spawn, state: Path) -> None:
    holder = spawn("hold", "--holder", "scenarios/test_doze.py::test_deep_idle", run="nightly-7")
    assert holder.event()["event"] == "held"
    pool = Pool(state, "adhoc-1", lease_timeout_s=30)
    seen: list[LeaseInfo] = []
    with pytest.raises(LeaseTimeout) as caught:
        pool.acquire("pixel-8", timeout_s=0.3, holder="t::mine", on_wait=seen.append)
    text = str(caught.value)
    for part in ("[pixel-8]", "nightly-7", f"pid {holder.pid}", "test_deep_idle", "harness lab status", "expires"):
        assert part in text, text
    assert [(i.run_id, i.pid, i.holder) for i in seen] == [("nightly-7", holder.pid,
                                                             "scenarios/test_doze.py::test_deep_idle")]
    holder.send("release")
    assert holder.event() == {"event": "released", "ok": True, "lost": False}
    with pool.acquire("pixel-8", timeout_s=0.5, holder="t::mine"):  # the timed-out waiter left the queue
        pass
    pool.close()


def test_release_after_the_lease_was_reclaimed_is_a_no_op_with_a_warning(spawn: Spawn, state: Path) -> None:
    holder = spawn("hold", "--lease-timeout", "1")
    assert holder.event()["event"] == "held"
    holder.popen.send_signal(signal.SIGSTOP)  # alive but silent, like a laptop gone to sleep
    try:
        wait_until(lambda: [i.state for i in leases(state)] == ["expired"], 3, "the silent lease to expire")
        pool = Pool(state, "run-2", lease_timeout_s=5)
        lease = pool.acquire("pixel-8", timeout_s=0.5, holder="t::taker")
    finally:
        holder.popen.send_signal(signal.SIGCONT)
    holder.send("release")
    assert holder.event() == {"event": "released", "ok": False, "lost": True}
    assert "reclaimed" in holder.stderr()
    assert [i.holder for i in leases(state)] == ["t::taker"]  # the late release left our lease alone
    assert lease.release() is True
    pool.close()


def test_lease_record_heartbeat_listing_and_context_manager(state: Path) -> None:
    pool = Pool(state, "run-1", lease_timeout_s=0.8, worker="gw3")
    with pool.acquire("pixel-8", timeout_s=1, holder="t::ctx") as lease:
        record = json.loads((state / "leases" / "pixel-8.json").read_text())
        assert {"pid", "hostname", "run_id", "worker", "holder", "since", "heartbeat"} <= record.keys()
        assert (record["worker"], record["holder"], record["run_id"]) == ("gw3", "t::ctx", "run-1")
        time.sleep(1.0)  # longer than the lease timeout: only the heartbeat keeps it ours
        (info,) = leases(state)
        assert info.state == "held" and info.heartbeat > info.since
        assert not lease.lost
    assert leases(state) == []
    assert lease.release() is False  # a second release is a quiet no-op
    pool.close()


def test_an_uncontended_acquire_logs_nothing(state: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="harness.pool")
    with Pool(state, "run-1") as pool, pool.acquire("pixel-8", timeout_s=1, holder="t::quiet"):
        pass
    assert caplog.records == []
    assert not list((state / "waiting").iterdir())
