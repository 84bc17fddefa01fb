"""The episode files (``episodes.txt``, ``boot.txt``) as data, and the values their placeholders take. Pure."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from harness.lab.android.noise._pool import GMS_SERVICES, WORKERS
from harness.lab.lognoise import Episode, fill, parse_episodes

__all__ = ["BUFFERS", "Line", "Who", "fill_line", "lines", "load"]

BUFFERS = frozenset({"main", "system", "events", "radio", "crash"})
_FIELDS = 5  # <buffer>|<prio>|<who>|<tag>|<message>


@dataclass(frozen=True, slots=True)
class Line:
    buffer: str
    prio: str
    who: str  # "app" or a key of _pool.SYSTEM
    tag: str
    msg: str


@dataclass(frozen=True, slots=True)
class Who:
    """The episode's app: what %{pkg}, %{pid}, %{uid} and friends stand for."""

    pkg: str
    pid: int
    uid: int
    pkg2: str


def _check(episodes: tuple[Episode, ...], where: str) -> tuple[Episode, ...]:
    for episode in episodes:
        for row in episode.rows:
            if row[0] not in BUFFERS or row[1] not in tuple("VDIWEF"):
                raise ValueError(f"{where}: episode {episode.name}: unknown buffer or priority in {'|'.join(row)!r}")
    return episodes


@cache
def load(name: str) -> tuple[Episode, ...]:
    """``episodes.txt`` or ``boot.txt`` from this package, checked."""
    text = resources.files("harness.lab.android.noise").joinpath(name).read_text(encoding="utf-8")
    where = f"harness/lab/android/noise/{name}"
    return _check(parse_episodes(text, _FIELDS, where), where)


def lines(episode: Episode) -> list[Line]:
    return [Line(*row) for row in episode.rows]


def _u0a(uid: int) -> str:
    return f"u0a{uid - 10_000}" if uid >= 10_000 else str(uid)


def fill_line(template: str, who: Who, rng: random.Random) -> str:
    """``template`` (a tag or a message) with its placeholders drawn for ``who``."""
    if "%{" not in template:
        return template
    values: dict[str, str | Callable[[], str]] = {
        "pkg": who.pkg, "pid": str(who.pid), "uid": str(who.uid), "u0a": _u0a(who.uid), "comm": who.pkg[-15:],
        "pkg2": who.pkg2, "component": f"{who.pkg}/androidx.work.impl.background.systemjob.SystemJobService",
        "gmsservice": lambda: rng.choice(GMS_SERVICES), "worker": lambda: rng.choice(WORKERS)}
    return fill(template, values, rng, salt=who.pkg)
