"""An exclusive lock on a file for a short read-check-write: ``flock(2)`` on a descriptor opened for that one use.

The pool's lease records, a phone's restore journal and a run's ``results.jsonl`` each take one around every write,
five or so per test. The ``filelock`` package takes the same ``flock`` on Unix, but its registries, fork checks and
settings cost ~360 us of CPU per acquire and release against ~8 us here. A descriptor opened per use is never
inherited across a fork, and, like a fresh ``FileLock`` per use, the lock is not reentrant: a second hold of the same
file, in this process too, waits for the first. A file system without ``flock`` (some network mounts) falls back to
``filelock``, which brings its own fallback for them.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

__all__ = ["Held", "LockTimeout", "acquire", "exclusive"]

_NO_FLOCK = (errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOLCK)  # the lock file's file system offers no flock


class LockTimeout(TimeoutError):
    """The lock stayed taken for the whole timeout; the caller says whose lock and what to do."""


class Held:
    """A lock taken by ``acquire``; ``release`` gives it back (once)."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release: Callable[[], None] | None = release

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()


def acquire(path: Path, timeout_s: float, poll_s: float = 0.002) -> Held:
    """An exclusive lock on ``path`` (created if missing); LockTimeout after ``timeout_s``."""
    fd = _flock(path, timeout_s, poll_s)
    if fd is None:
        return _filelock(path, timeout_s, poll_s)
    return Held(lambda: _unlock(fd))


@contextmanager
def exclusive(path: Path, timeout_s: float, poll_s: float = 0.002) -> Iterator[None]:
    """``acquire`` for the block."""
    held = acquire(path, timeout_s, poll_s)
    try:
        yield
    finally:
        held.release()


def _unlock(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _flock(path: Path, timeout_s: float, poll_s: float) -> int | None:
    """The descriptor of ``path``, flocked exclusively; None when its file system has no flock."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"{path} stayed locked for {timeout_s:g} s") from None
                time.sleep(poll_s)
            except OSError as exc:
                if exc.errno not in _NO_FLOCK:
                    raise
                os.close(fd)
                return None
    except BaseException:
        os.close(fd)
        raise


def _filelock(path: Path, timeout_s: float, poll_s: float) -> Held:
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=timeout_s, poll_interval=poll_s)
    except Timeout as exc:
        raise LockTimeout(f"{path} stayed locked for {timeout_s:g} s") from exc
    return Held(lock.release)
