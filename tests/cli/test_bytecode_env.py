"""The pytest runs the harness starts (demo, nightly) cache byte code outside the source tree, whatever
``PYTHONDONTWRITEBYTECODE`` says, so seven workers do not each compile the harness and rewrite its plugin again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness._bytecode import bytecode_cached_env

HOME_CACHE = str(Path.home() / ".cache" / "bgharness" / "pycache")


@pytest.mark.parametrize(("environ", "prefix", "dont_write"), [
    ({"PYTHONDONTWRITEBYTECODE": "1"}, HOME_CACHE, None),
    ({}, HOME_CACHE, None),
    ({"XDG_CACHE_HOME": "/var/cache/ci", "PYTHONDONTWRITEBYTECODE": "1"}, "/var/cache/ci/bgharness/pycache", None),
    ({"XDG_CACHE_HOME": ""}, HOME_CACHE, None),
    # the user's own prefix and choice are kept as they are
    ({"PYTHONPYCACHEPREFIX": "/srv/pyc", "PYTHONDONTWRITEBYTECODE": "1"}, "/srv/pyc", "1"),
])
def test_child_env_caches_byte_code_outside_the_tree(environ: dict[str, str], prefix: str,
                                                     dont_write: str | None) -> None:
    env = bytecode_cached_env({"PATH": "/usr/bin", **environ})
    assert env["PYTHONPYCACHEPREFIX"] == prefix
    assert env.get("PYTHONDONTWRITEBYTECODE") == dont_write
    assert env["PATH"] == "/usr/bin"


def test_a_child_pytest_keeps_its_rewritten_modules_under_the_prefix(tmp_path: Path) -> None:
    """pytest's rewritten test modules follow the prefix: the next process reads them instead of rewriting."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_one.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
               "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:harness.plugin", "test_one.py"]
    done = subprocess.run(cmd, cwd=project, env=bytecode_cached_env(environ), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    cached = list((tmp_path / "cache" / "bgharness" / "pycache").rglob("test_one.*pytest*.pyc"))
    assert cached, "pytest rewrote the test module but kept no byte code under the prefix"
    assert not (project / "__pycache__").exists()
