"""The processes the harness starts (demo, nightly, the background lab) cache byte code whatever
``PYTHONDONTWRITEBYTECODE`` says, so seven workers do not each compile the harness and rewrite its plugin again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness._bytecode import bytecode_cached_env


@pytest.mark.parametrize("environ", [
    {"PYTHONDONTWRITEBYTECODE": "1"},
    {"PYTHONDONTWRITEBYTECODE": ""},
    {},
    {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/srv/pyc"},
])
def test_child_env_writes_byte_code(environ: dict[str, str]) -> None:
    env = bytecode_cached_env({"PATH": "/usr/bin", **environ})
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env == {"PATH": "/usr/bin", **{k: v for k, v in environ.items() if k != "PYTHONDONTWRITEBYTECODE"}}


def test_a_child_pytest_keeps_its_rewritten_modules(tmp_path: Path) -> None:
    """pytest's rewritten test modules are cached: the next process reads them instead of rewriting."""
    (tmp_path / "test_one.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:harness.plugin", "test_one.py"]
    done = subprocess.run(cmd, cwd=tmp_path, env=bytecode_cached_env(environ), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert list((tmp_path / "__pycache__").glob("test_one.*pytest*.pyc")), "pytest kept no rewritten byte code"
