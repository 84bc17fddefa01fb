"""Farm leases against a real PostgreSQL server, across real processes: races, kill -9, revocation,
first come first served, a controller cut off from the database."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from functools import partial
from itertools import pairwise
from pathlib import Path

import psycopg
import pytest

from harness.errors import LeaseTimeout
from harness.farm import PgLeaseStore, audit_log, release
from harness.pool import LeaseLost, Pool
from tests.farm.proxy import Proxy
from tests.pool.conftest import Holder

Spawn = Callable[..., Holder]


def test_1000_races_of_4_processes_on_2_phones_never_double_lease(spawn: Spawn, tmp_path: Path) -> None:
    outs = [tmp_path / f"holds-{i}.json" for i in range(4)]
    procs = [spawn("race", "--device", "pixel-8,moto-g", "--cycles", "250", "--offset", str(i), "--out", str(out),
                   "--run", f"run-{i}", "--hostname", f"controller-{i}") for i, out in enumerate(outs)]
    for proc in procs:
        assert proc.event(timeout_s=30)["event"] == "ready", proc.stderr()
    for proc in procs:
        proc.send("go")
    for proc in procs:
        assert proc.event(timeout_s=120)["event"] == "done", proc.stderr()

    holds = [tuple(h) for out in outs for h in json.loads(out.read_text())]
    assert len(holds) == 1000
    for device in ("pixel-8", "moto-g"):
        mine = sorted((fence, start, end) for name, fence, start, end in holds if name == device)
        fences = [fence for fence, _, _ in mine]
        assert fences == list(range(1, len(mine) + 1)), "every lease of the phone has its own, larger token"
        for (f1, _, end), (f2, start, _) in pairwise(mine):  # in token order, each hold ends before the next starts
            assert start > end, f"{device}: token {f2} started at {start} before token {f1} ended at {end}"


def test_a_kill_9_holder_is_replaced_within_its_ttl_plus_5_s(spawn: Spawn, store: PgLeaseStore) -> None:
    holder = spawn("hold", "--ttl", "2", "--holder", "scenarios/test_doze.py::test_deep_idle[pixel-8]")
    held = holder.event(timeout_s=30)
    assert held["event"] == "held", holder.stderr()
    pool = Pool(Path("/unused"), "run-2", lease_timeout_s=10, store=store)
    seen: list[str] = []
    holder.popen.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    with pool.acquire("pixel-8", timeout_s=20, holder="t::next", on_wait=lambda i: seen.append(i.holder)) as lease:
        took = time.monotonic() - killed
        assert lease.fence == held["fence"] + 1
    assert took <= 2 + 5, f"replaced after {took:.1f} s"
    assert took >= 1.0, "a dead holder on another controller is only known by its silence: its TTL must run out"
    assert seen == ["scenarios/test_doze.py::test_deep_idle[pixel-8]"]
    assert [(r.action, r.token) for r in audit_log(store)] == [("expired", held["fence"])]
    pool.close()


def test_a_force_released_holder_is_refused_naming_who_and_why(spawn: Spawn, farm_url: str) -> None:
    holder = spawn("hold", "--holder", "scenarios/test_reboot.py::test_boot[pixel-8]")
    held = holder.event(timeout_s=30)
    admin = PgLeaseStore(farm_url, hostname="admin-desk")
    text = release(admin, "pixel-8", force=True, reason="phone needed for a customer escalation")
    assert "scenarios/test_reboot.py::test_boot[pixel-8]" in text
    thief = Pool(Path("/unused"), "run-9", store=PgLeaseStore(farm_url, hostname="controller-c"))
    lease = thief.acquire("pixel-8", timeout_s=5, holder="t::escalation")

    holder.send("check")
    refused = holder.event()
    assert refused["type"] == "LeaseLost"
    for part in ("[pixel-8]", f"token {held['fence']}", "force-released by", "@admin-desk",
                 "customer escalation", "now held by", "controller-c", "t::escalation", f"token {lease.fence}"):
        assert part in refused["message"], refused["message"]
    holder.send("exit-with")  # the test's with-block ends: it fails rather than passing on a phone it lost
    assert holder.event()["type"] == "LeaseLost"
    assert lease.release() is True
    thief.close()
    admin.close()


def test_waiters_are_served_first_come_first_served(spawn: Spawn, store: PgLeaseStore, farm_url: str) -> None:
    pool = Pool(Path("/unused"), "run-1", store=store)
    lease = pool.acquire("pixel-8", timeout_s=5, holder="t::first")
    waiters = []
    with psycopg.connect(farm_url, autocommit=True) as conn:
        for i in range(4):
            waiter = spawn("queue", "--holder", f"t::waiter-{i}", "--hostname", f"controller-{i}")
            assert waiter.event(timeout_s=30)["event"] == "waiting", waiter.stderr()
            _wait_until(partial(lambda n: _queued(conn) == n, i + 1), 30, f"{i + 1} waiter(s) in the queue")
            waiters.append(waiter)
    lease.release()
    order = [w.event(timeout_s=30) for w in waiters]
    fences = [e["fence"] for e in order]
    assert fences == sorted(fences) == [lease.fence + 1 + i for i in range(4)], order
    pool.close()


def test_a_waiter_killed_in_the_queue_does_not_hold_up_the_ones_behind_it(spawn: Spawn, store: PgLeaseStore,
                                                                          farm_url: str) -> None:
    pool = Pool(Path("/unused"), "run-1", store=store)
    lease = pool.acquire("pixel-8", timeout_s=5, holder="t::first")
    with psycopg.connect(farm_url, autocommit=True) as conn:
        doomed = spawn("queue", "--holder", "t::doomed")
        _wait_until(lambda: _queued(conn) == 1, 30, "the first waiter in the queue")
        patient = spawn("queue", "--holder", "t::patient")
        _wait_until(lambda: _queued(conn) == 2, 30, "the second waiter in the queue")
    doomed.popen.kill()
    doomed.popen.wait()
    lease.release()
    released = time.monotonic()
    assert patient.event(timeout_s=30)["event"] == "waiting"
    assert patient.event(timeout_s=30)["holder"] == "t::patient"
    assert time.monotonic() - released < 10.0  # long before 30 s of silence: its closed connection dropped it
    pool.close()


def test_a_timed_out_wait_names_the_holder(store: PgLeaseStore, farm_url: str) -> None:
    other = Pool(Path("/unused"), "nightly-7", store=PgLeaseStore(farm_url, hostname="ci-runner-2"))
    held = other.acquire("pixel-8", timeout_s=5, holder="scenarios/test_doze.py::test_deep_idle")
    pool = Pool(Path("/unused"), "adhoc-1", store=store)
    with pytest.raises(LeaseTimeout) as caught:
        pool.acquire("pixel-8", timeout_s=0.3, holder="t::mine")
    text = str(caught.value)
    for part in ("[pixel-8]", "nightly-7", "@ci-runner-2", "test_deep_idle", f"token {held.fence}",
                 "harness farm status", "--force --reason"):
        assert part in text, text
    held.release()
    with pool.acquire("pixel-8", timeout_s=1, holder="t::mine"):  # the timed-out waiter left the queue
        pass
    other.close()
    pool.close()


def test_a_controller_that_loses_the_database_stops_before_anyone_else_gets_the_phone(
        spawn: Spawn, pg_cluster: object, farm_url: str, store: PgLeaseStore) -> None:
    host, port = "127.0.0.1", int(farm_url.rsplit(":", 1)[1].split("/", maxsplit=1)[0])
    with Proxy(host, port) as proxy:
        cut_off = spawn("watch", "--ttl", "2", url=farm_url.replace(f":{port}/", f":{proxy.port}/"))
        assert cut_off.event(timeout_s=30)["event"] == "held", cut_off.stderr()
        proxy.cut()  # the network between that controller and the database dies
        pool = Pool(Path("/unused"), "run-2", lease_timeout_s=10, store=store)
        with pool.acquire("pixel-8", timeout_s=15, holder="t::survivor"):
            taken = time.monotonic()
        lost = cut_off.event(timeout_s=15)
    assert lost["event"] == "lost"
    assert "lost the farm database" in lost["message"], lost["message"]
    assert lost["at"] < taken, "the cut-off holder must stop before the phone is handed to anyone else"
    pool.close()


def test_a_lost_lease_fails_the_with_block_and_the_heartbeat_notices(store: PgLeaseStore, farm_url: str) -> None:
    pool = Pool(Path("/unused"), "run-1", lease_timeout_s=0.8, store=store)
    admin = PgLeaseStore(farm_url, hostname="admin-desk")
    with (pytest.raises(LeaseLost, match=r"force-released by .*@admin-desk.*: flaky cable"),
          pool.acquire("pixel-8", timeout_s=1, holder="t::victim") as lease):
        release(admin, "pixel-8", force=True, reason="flaky cable")
        _wait_until(lambda: lease.lost, 5, "the heartbeat to notice")
    admin.close()
    pool.close()


def _queued(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    row = conn.execute("SELECT count(*) FROM waiters").fetchone()
    return int(row[0]) if row else 0  # type: ignore[call-overload]


def _wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.02)
