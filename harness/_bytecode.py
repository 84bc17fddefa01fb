"""The environment of the Python processes the harness starts itself: the pytest runs of ``harness demo`` and
``harness nightly``, and the lab ``harness demo`` starts in the background.

A run is a controller and one xdist worker per phone, and every one of those processes imports the harness, its
clients and the scenarios. Without a byte-code cache each process compiles all of them again, and pytest
rewrites the assertions of every module of a pytest plugin's package (the harness's plugin, xdist) again: about a
second and a half of CPU per process, which on a seven-phone demo on two cores is seconds of wall time.

Containers commonly set ``PYTHONDONTWRITEBYTECODE=1`` (so does this project's build machine), which turns the cache
off. Its aim is to keep ``.pyc`` files out of the source tree. Byte code under a cache prefix outside the tree
(``PYTHONPYCACHEPREFIX``, which pytest's rewritten modules follow too) keeps that aim and the speed: the processes the
harness starts use one under the user's cache directory, unless the environment names its own prefix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["bytecode_cache_dir", "bytecode_cached_env"]


def bytecode_cache_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/bgharness/pycache``, or ``~/.cache/bgharness/pycache`` (the XDG default)."""
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bgharness" / "pycache"


def bytecode_cached_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``environ`` (this process's by default) with byte code cached outside the source tree: a prefix the
    environment already names is kept; otherwise the user's cache directory, and ``PYTHONDONTWRITEBYTECODE`` is
    dropped, its aim (no ``.pyc`` beside the sources) being kept by the prefix."""
    env = dict(os.environ if environ is None else environ)
    if env.get("PYTHONPYCACHEPREFIX"):
        return env
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(bytecode_cache_dir(env))
    return env
