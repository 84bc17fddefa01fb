"""Where things live in a run folder, and the ``reports/latest`` pointer.

    reports/
      latest -> 20250314-021500-1a2b3c      (a symlink; a text file holding the id where symlinks fail)
      20250314-021500-1a2b3c/
        results.jsonl  junit.xml  index.html
        tests/<slug>.html  tests/<slug>.png
        artifacts/<slug>/…                  (the plugin's files: logcat captures, screenshots)
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
import warnings
from pathlib import Path

__all__ = ["ARTIFACTS", "INDEX", "JUNIT", "LATEST", "RESULTS", "TESTS", "check_run_id", "latest_run_dir",
           "new_run_id", "point_latest", "slug"]

RESULTS = "results.jsonl"
JUNIT = "junit.xml"
INDEX = "index.html"
TESTS = "tests"
ARTIFACTS = "artifacts"
LATEST = "latest"

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def new_run_id(now: float | None = None) -> str:
    """``20250314-021500-1a2b3c``: sorts by start time (UTC); the suffix keeps two runs started in
    the same second (two CI jobs on one reports folder) apart."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{secrets.token_hex(3)}"


def check_run_id(run_id: str) -> str:
    if not _RUN_ID.fullmatch(run_id) or run_id == LATEST:
        raise ValueError(f"run id {run_id!r}: use letters, digits, '.', '_' and '-' (not 'latest'); "
                         "new_run_id() makes one")
    return run_id


def slug(nodeid: str) -> str:
    """A file name for a test: readable, and unique because node ids that clean up alike
    (``test_a[x/y]`` and ``test_a[x:y]``) differ in the hash."""
    readable = _UNSAFE.sub("_", nodeid.replace("::", "__")).strip("_.")[:80]
    digest = hashlib.sha1(nodeid.encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{digest}"


def point_latest(reports_dir: Path, run_id: str) -> bool:
    """Point ``reports/latest`` at the run. A convenience, so failure warns instead of failing the run."""
    link = reports_dir / LATEST
    tmp = reports_dir / f".{LATEST}-{os.getpid()}"
    try:
        tmp.unlink(missing_ok=True)
        # Relative target, so the reports folder can be moved or archived whole. os.replace makes the
        # switch atomic: a reader never sees a missing `latest`.
        os.symlink(run_id, tmp, target_is_directory=True)
        os.replace(tmp, link)
        return True
    except (OSError, NotImplementedError):
        # Windows without developer mode, some network and FAT file systems: no symlinks.
        tmp.unlink(missing_ok=True)
    try:
        tmp.write_text(run_id + "\n", encoding="utf-8")
        os.replace(tmp, link)
        return True
    except OSError as e:
        warnings.warn(f"{link}: cannot point it at run {run_id} ({e}); the run itself is fine", stacklevel=2)
        return False


def latest_run_dir(reports_dir: Path) -> Path | None:
    """The run ``reports/latest`` points at, symlink or text file; None when there is none."""
    link = reports_dir / LATEST
    if link.is_symlink() or link.is_dir():
        target = link.resolve()
        return target if target.is_dir() else None
    if link.is_file():
        run_id = link.read_text(encoding="utf-8").strip()
        target = reports_dir / run_id
        return target if _RUN_ID.fullmatch(run_id) and target.is_dir() else None
    return None
