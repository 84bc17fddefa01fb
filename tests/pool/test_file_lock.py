"""The file lock around a lease record's, a journal's and a run's results file's read-check-write (harness._flock):
exclusive across processes and within one, bounded, given back."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness._flock import LockTimeout, acquire, exclusive
from harness.errors import PoolError
from harness.pool._records import file_lock

_HOLD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from harness._flock import exclusive
    with exclusive(Path(sys.argv[1]), 10):
        print("held", flush=True)
        sys.stdin.read()
""")


def test_a_lock_held_by_another_process_times_out_naming_the_device(tmp_path: Path) -> None:
    path = tmp_path / "pixel-8.lock"
    with subprocess.Popen([sys.executable, "-c", _HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True) as holder:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(PoolError, match=r"pixel-8.*stayed taken for 0.2 s"), file_lock(path, 0.2, "pixel-8", "x"):
            pass
        holder.stdin.close()
        holder.wait(10)
    with file_lock(path, 1, "pixel-8", "acquire"):  # the holder's exit gave it back
        pass


def test_a_second_hold_in_the_same_process_waits_too(tmp_path: Path) -> None:
    path = tmp_path / "missing-yet.lock"
    with exclusive(path, 1):
        assert path.exists()
        with pytest.raises(LockTimeout), exclusive(path, 0.05):
            pass
    with exclusive(path, 1):  # given back at the end of the block
        pass


def test_a_released_hold_is_released_once(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    held = acquire(path, 1)
    held.release()
    held.release()  # a second release is a no-op, not a close of someone else's descriptor
    with exclusive(path, 0.05):
        pass
