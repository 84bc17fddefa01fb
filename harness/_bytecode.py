"""The environment of the Python processes the harness starts itself: the pytest runs of ``harness demo`` and
``harness nightly``, and the lab ``harness demo`` starts in the background.

A run is a controller and one xdist worker per phone, and every one of those processes imports the harness and the
scenarios. Containers commonly set ``PYTHONDONTWRITEBYTECODE=1`` (so does this project's build machine); then no
byte code of the checkout is ever cached, and each process compiles the harness again, and pytest rewrites the
assertions of every module of the harness's plugin package again: about a second and a half of CPU per process,
which on a seven-phone demo on two cores is seconds of wall time.

The processes the harness starts write byte code beside the sources (``__pycache__/``, which git ignores), as
Python does by default. Installed packages are not touched: pip compiled them when it installed them. A cache
prefix (``PYTHONPYCACHEPREFIX``) would keep the tree clean too, but Python then ignores those installed ``.pyc``
files, and a first run on a fresh machine compiles every client in every worker at once (and pytest's
warnings-as-errors meets the old escape sequences of a client such as pure-python-adb as it compiles them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["bytecode_cached_env"]


def bytecode_cached_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``environ`` (this process's by default) without ``PYTHONDONTWRITEBYTECODE``: byte code is cached."""
    env = dict(os.environ if environ is None else environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
