"""A run paused past its lease timeout loses the phone to another run, and errors at its next device action,
naming who took it; the other run's result stands.

Two pytest runs through the plugin on one private lab (started by the test, so that neither run stops it under the
other), sharing its file lease store. Run A leases pixel-8 and
says so through a FIFO; the test stops it (SIGSTOP: its heartbeat stops too) and starts run B, which takes the
phone once A's heartbeat is older than A's ``--lease-timeout`` and says so through its own FIFO, still holding it.
Then A is resumed and told to go on: its next verb meets ``Lease.check`` and fails with LeaseLost naming run B's
test. B then finishes, and passes.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.labkit import private_devices_toml

pytest_plugins = ["pytester"]

RUN_A = '''
import os
from pathlib import Path


def test_a_holds_the_phone(android):
    assert android.installed()
    with Path("ready").open("w") as ready:  # the test stops this process once it has read this
        ready.write(f"{os.getpid()}\\n")
    Path("go").read_text()  # blocks until the test writes to the FIFO: after run B, and after SIGCONT
    android.os_version()  # the next device action: the lease is run B's now
'''

RUN_B = '''
from pathlib import Path


def test_b_takes_the_phone(android):
    assert android.installed()
    with Path("b_ready").open("w") as ready:
        ready.write("holding\\n")
    Path("b_go").read_text()  # holds the phone while run A wakes up
    assert android.installed()
'''

LEASE_TIMEOUT = "4"
WAIT_S = 240.0


def _pytest(folder: Path, test: str, reports: str) -> list[str]:
    return [sys.executable, "-m", "pytest", test, "--devices", str(folder / "devices.toml"), "--device", "pixel-8",
            "--lease-timeout", LEASE_TIMEOUT, "--reports", reports, "-p", "no:cacheprovider", "-p", "no:randomly",
            "-p", "no:xdist", "-q", "-rs"]


def _lab(folder: Path, *args: str) -> None:
    harness = Path(sys.executable).with_name("harness")
    done = subprocess.run([str(harness), "lab", *args, "--devices", str(folder / "devices.toml")], cwd=folder,
                          capture_output=True, text=True, timeout=WAIT_S, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _start(folder: Path, test: str, reports: str) -> subprocess.Popen[str]:
    return subprocess.Popen(_pytest(folder, test, reports), cwd=folder, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def _write_fifo(path: Path) -> None:
    with path.open("w") as fifo:
        fifo.write("go\n")


def _read_fifo(path: Path, timeout_s: float, run: subprocess.Popen[str]) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        text = b""
        while not text.endswith(b"\n"):
            ready, _, _ = select.select([fd], [], [], timeout_s)
            if not ready:
                raise AssertionError(f"no run wrote {path.name} within {timeout_s:g} s")
            chunk = os.read(fd, 100)
            if not chunk and run.poll() is not None:
                raise AssertionError(f"the run ended before writing {path.name}: {run.communicate()[0][-3000:]}")
            text += chunk
        return text.decode()
    finally:
        os.close(fd)


def _results(reports: Path) -> dict[str, dict[str, object]]:
    return {r["nodeid"]: r for line in (reports / "latest" / "results.jsonl").read_text().splitlines()
            if (r := json.loads(line))["type"] == "result"}


def test_a_paused_run_that_lost_its_lease_errors_naming_the_new_holder(pytester: pytest.Pytester) -> None:
    folder = pytester.path
    (folder / "devices.toml").write_text(private_devices_toml(folder / "state"))
    (folder / "test_run_a.py").write_text(RUN_A)
    (folder / "test_run_b.py").write_text(RUN_B)
    for fifo in ("ready", "go", "b_ready", "b_go"):
        os.mkfifo(folder / fifo)
    _lab(folder, "up", "--detach")
    runs: list[subprocess.Popen[str]] = []
    try:
        run_a = _start(folder, "test_run_a.py", "reports_a")
        runs.append(run_a)
        pid = int(_read_fifo(folder / "ready", WAIT_S, run_a))
        os.kill(pid, signal.SIGSTOP)  # paused: no heartbeat, no verb
        try:
            run_b = _start(folder, "test_run_b.py", "reports_b")
            runs.append(run_b)
            _read_fifo(folder / "b_ready", WAIT_S, run_b)  # B holds the phone now
        finally:
            os.kill(pid, signal.SIGCONT)
        _write_fifo(folder / "go")
        out, _ = run_a.communicate(timeout=WAIT_S)
        _write_fifo(folder / "b_go")
        out_b, _ = run_b.communicate(timeout=WAIT_S)
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
        _lab(folder, "down")

    assert run_b.returncode == 0, out_b[-3000:]
    assert run_a.returncode != 0, out[-3000:]
    assert "LeaseLost" in out and "test_run_b.py::test_b_takes_the_phone[pixel-8]" in out, out[-3000:]
    a = _results(folder / "reports_a")["test_run_a.py::test_a_holds_the_phone[pixel-8]"]
    assert a["outcome"] == "error", a
    assert "is gone: taken over by" in str(a["message"]) and "test_b_takes_the_phone" in str(a["message"]), a["message"]
    b = _results(folder / "reports_b")["test_run_b.py::test_b_takes_the_phone[pixel-8]"]
    assert b["outcome"] == "passed", b  # the other run's result stands
