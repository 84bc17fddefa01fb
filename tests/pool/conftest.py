from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Holder:
    """A ``tests.pool.holder`` process: JSON events out, commands in, stderr kept in a file."""

    def __init__(self, popen: subprocess.Popen[str], stderr_path: Path) -> None:
        self.popen = popen
        self.pid = popen.pid
        self.stderr_path = stderr_path
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self._events.put(json.loads(line))

    def event(self, timeout_s: float = 10.0) -> dict[str, Any]:
        try:
            return self._events.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError(f"no event from pid {self.pid} in {timeout_s} s; stderr:\n{self.stderr()}") from None

    def send(self, line: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8")


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


class Holders:
    """Holder processes a test starts (``python -m MODULE ...``), each with its stderr in ``folder``; all killed
    when the test ends."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder, self.name = folder, name
        self.started: list[Holder] = []

    def start(self, module: str, *args: str) -> Holder:
        stderr_path = self.folder / f"{self.name}-{len(self.started)}.err"
        cmd = [sys.executable, "-m", module, *args]
        with stderr_path.open("w", encoding="utf-8") as err:
            popen = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                     text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        holder = Holder(popen, stderr_path)
        self.started.append(holder)
        return holder

    def stop_all(self) -> None:
        for holder in self.started:
            if holder.popen.poll() is None:
                holder.popen.kill()
            holder.popen.wait(timeout=10)


@pytest.fixture
def spawn(state: Path, tmp_path: Path) -> Iterator[Callable[..., Holder]]:
    holders = Holders(tmp_path, "holder")

    def _spawn(mode: str, *args: str, run: str = "run-1") -> Holder:
        return holders.start("tests.pool.holder", mode, "--state", str(state), "--run", run, *args)

    yield _spawn
    holders.stop_all()
