"""Issue 21, item 2: a dead adb server is brought back, a stopped one never hangs a call past its timeout.

Each test runs its own lab with its own private adb server (labkit.test_config gives free ports), so
killing or stopping that server disturbs no one else.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.android import AndroidDriver
from harness.android._recovery import ServerRecovery
from harness.android.transport import AdbTransport, server_answers, server_devices
from harness.errors import DeviceTimeout, DeviceUnreachable, HarnessError
from harness.labctl import repair_adb_server
from tests import labkit
from tests.labkit import RunningLab


@pytest.fixture
def private_lab() -> Iterator[RunningLab]:
    with labkit.one_phone_lab("pixel-8") as lab:
        yield lab


def server_pid(port: int) -> int:
    """The pid of the adb server on ``port`` (``adb -L tcp:PORT fork-server server ...``)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"fork-server" in argv and f"tcp:{port}".encode() in argv:
            return int(proc.name)
    raise AssertionError(f"no adb server process for port {port}")


def kill_server(port: int) -> None:
    pid = server_pid(port)
    os.kill(pid, signal.SIGKILL)
    while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):  # until the kernel has it gone
        time.sleep(0.01)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1]
    except (OSError, IndexError):
        return "Z"


def driver(lab: RunningLab) -> AndroidDriver:
    return AndroidDriver.for_device(lab.cfg, lab.cfg.device("pixel-8"), timeout_s=20)


def test_the_next_verb_recovers_from_a_killed_lab_adb_server(private_lab: RunningLab) -> None:
    drv = driver(private_lab)
    assert drv.transport.shell("echo before").strip() == "before"
    kill_server(private_lab.adb_port)
    assert not server_answers("127.0.0.1", private_lab.adb_port)

    assert drv.transport.shell("echo after").strip() == "after"  # restarted, reconnected, retried once
    assert drv.transport.recoveries and "restarted the lab's private adb server" in drv.transport.recoveries[0]
    assert server_devices("127.0.0.1", private_lab.adb_port)[private_lab.serial("pixel-8")] == "device"
    assert drv.os_version() == "15"  # and the driver's verbs go on


def test_a_phone_its_restarted_server_does_not_list_yet_is_connected_again(private_lab: RunningLab) -> None:
    """What a call sees between another thread's ``adb start-server`` and its ``adb connect``: the server answers
    but has forgotten the TCP phone. The call reconnects it under the restart's lock, not fails."""
    drv = driver(private_lab)
    serial = private_lab.serial("pixel-8")
    assert drv.transport.recovery is not None
    drv.transport.recovery.restart("pixel-8", serial)  # another thread's restart, a moment ago
    _disconnect(private_lab, serial)

    assert drv.transport.shell("echo back").strip() == "back"
    assert drv.transport.recoveries, "the call should say it reconnected the phone"
    assert server_devices("127.0.0.1", private_lab.adb_port)[serial] == "device"


WORKERS = 4  # with the old code, 2 runs in 3 failed at three workers


def _restart_in_a_worker(port: int, serial: str, ready: multiprocessing.synchronize.Barrier,
                         results: multiprocessing.Queue[str]) -> None:
    """What an xdist worker does when its call finds the server dead: restart it (its own process, own locks)."""
    recovery = ServerRecovery(port, (serial,), "the lab's private adb server")
    ready.wait()
    try:
        results.put(recovery.restart(f"worker {os.getpid()}", serial))
    except HarnessError as exc:
        results.put(f"error: {exc}")


def test_workers_that_find_the_server_dead_at_once_all_bring_it_back(private_lab: RunningLab) -> None:
    """Four processes restart the killed server at the same moment: each one ends with the server up and the
    phone connected (two concurrent `adb start-server` fail one of them: "failed to start daemon")."""
    serial = private_lab.serial("pixel-8")
    kill_server(private_lab.adb_port)
    spawn = multiprocessing.get_context("spawn")
    ready, results = spawn.Barrier(WORKERS), spawn.Queue()
    workers = [spawn.Process(target=_restart_in_a_worker, args=(private_lab.adb_port, serial, ready, results))
               for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    said = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert all(s.startswith("restarted the lab's private adb server") for s in said), said
    assert server_devices("127.0.0.1", private_lab.adb_port)[serial] == "device"


def test_a_phone_disconnected_with_no_restart_is_not_reconnected_behind_the_users_back(private_lab: RunningLab) -> None:
    drv = driver(private_lab)
    serial = private_lab.serial("pixel-8")
    _disconnect(private_lab, serial)
    with pytest.raises(DeviceUnreachable, match="is not listed by the adb server"):
        drv.transport.shell("echo x", timeout_s=5)
    assert not drv.transport.recoveries


def _disconnect(lab: RunningLab, serial: str) -> None:
    subprocess.run(["adb", "-P", str(lab.adb_port), "disconnect", serial], check=True, timeout=20, capture_output=True)
    assert serial not in server_devices("127.0.0.1", lab.adb_port)


def test_a_server_the_harness_does_not_own_is_reported_not_restarted(private_lab: RunningLab) -> None:
    kill_server(private_lab.adb_port)
    plain = AdbTransport("pixel-8", private_lab.serial("pixel-8"), "127.0.0.1", private_lab.adb_port)
    with pytest.raises(DeviceUnreachable, match=r"no adb server at .*harness restarts only servers it owns"):
        plain.shell("echo x", timeout_s=5)
    assert not server_answers("127.0.0.1", private_lab.adb_port)


def test_lab_up_repairs_a_lab_whose_adb_server_is_gone(private_lab: RunningLab) -> None:
    state = private_lab.thread.lab.status()
    assert repair_adb_server(private_lab.cfg, state) is None  # it answers: nothing to do
    kill_server(private_lab.adb_port)
    done = repair_adb_server(private_lab.cfg, state)
    assert done is not None and private_lab.serial("pixel-8") in done
    plain = AdbTransport("pixel-8", private_lab.serial("pixel-8"), "127.0.0.1", private_lab.adb_port)
    assert plain.state() == "device"


def test_a_stopped_server_costs_a_call_its_timeout_and_no_more(private_lab: RunningLab) -> None:
    """A server the transport does not own: bounded errors, and the server is left as it is."""
    transport = AdbTransport("pixel-8", private_lab.serial("pixel-8"), "127.0.0.1", private_lab.adb_port)
    assert transport.shell("echo up").strip() == "up"
    pid = server_pid(private_lab.adb_port)
    os.kill(pid, signal.SIGSTOP)
    try:
        # The bound: shell(timeout_s=5) returns within 6 s, with an error. Lookup, connect, the
        # transport request and the command all share one deadline (before: 45 s in ppadb's lookup).
        start = time.monotonic()
        with pytest.raises(DeviceTimeout, match=r"did not answer within 5 s \(busy, hung or stopped\)"):
            transport.shell("echo hung", timeout_s=5)
        assert time.monotonic() - start < 6.0
        start = time.monotonic()
        with pytest.raises(DeviceUnreachable):
            transport.device(timeout_s=2)
        with pytest.raises(DeviceUnreachable):
            server_devices("127.0.0.1", private_lab.adb_port, timeout_s=2)
        assert time.monotonic() - start < 5.0
        assert _state(pid) == "T"  # not ours: still there, still stopped
    finally:
        os.kill(pid, signal.SIGCONT)
    assert transport.shell("echo back").strip() == "back"


def test_a_stopped_lab_server_is_put_down_and_the_next_step_restarts_it(private_lab: RunningLab) -> None:
    transport = driver(private_lab).transport
    assert transport.shell("echo up").strip() == "up"
    pid = server_pid(private_lab.adb_port)
    os.kill(pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        with pytest.raises(DeviceTimeout, match=r"did not answer within 5 s: its process .* was stopped"):
            transport.shell("echo hung", timeout_s=5)
        assert time.monotonic() - start < 6.0  # putting it down is a kill, not a restart: inside the bound
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
    assert transport.shell("echo back").strip() == "back"  # the next step restarts it and reconnects the phone
    assert server_pid(private_lab.adb_port) != pid


def test_the_health_checks_state_query_recovers_too(private_lab: RunningLab) -> None:
    transport = driver(private_lab).transport
    kill_server(private_lab.adb_port)
    assert transport.state() == "device"  # the pool asks this before a test: it restarts, not strikes
    assert transport.recoveries


def test_a_command_cut_off_by_the_server_dying_is_not_retried(private_lab: RunningLab) -> None:
    transport = driver(private_lab).transport
    adbd = private_lab.thread.lab.android["pixel-8"].server
    errors: list[HarnessError] = []

    def run() -> None:
        try:  # ~170 s of wall time at the lab's 600x clock: the server dies long before it ends
            transport.run("sleep 100000", timeout_s=60)
        except HarnessError as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 20
    while not private_lab.thread.call(lambda: any(conn.streams for conn in adbd.connections)):
        assert time.monotonic() < deadline, "the shell never reached the phone"
        time.sleep(0.02)  # the phone's stream table lives on the lab's loop: polled, there is no event to await
    kill_server(private_lab.adb_port)
    worker.join(60)
    assert errors and isinstance(errors[0], DeviceUnreachable), errors
    assert "died during the command" in str(errors[0]) and "not retried" in str(errors[0])
    assert transport.recoveries[-1].endswith("not retried")
    assert transport.shell("echo ok").strip() == "ok"  # the server is back for the next step


def test_lab_up_repairs_a_lab_whose_adb_server_is_stopped(private_lab: RunningLab) -> None:
    pid = server_pid(private_lab.adb_port)
    os.kill(pid, signal.SIGSTOP)
    try:
        done = repair_adb_server(private_lab.cfg, private_lab.thread.lab.status())
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
    assert done is not None and server_pid(private_lab.adb_port) != pid
    plain = AdbTransport("pixel-8", private_lab.serial("pixel-8"), "127.0.0.1", private_lab.adb_port)
    assert plain.state() == "device"
