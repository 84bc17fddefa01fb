"""What the Android and iOS background logs share: episode files, their placeholders, and the wall-time ticker.

An episode file holds episodes (lines that come together), each ``== <name> <weight>`` followed by rows of
``|``-separated fields; ``#`` lines are comments. ``%{...}`` placeholders in a row are filled in when it is
written: ``n:A-B`` a number in [A, B], ``hex:N`` N hex digits, ``uuid`` a version-4 UUID, ``b64`` a 22-character
id fixed per app (an install directory's), anything else from the caller's values.

``WallTicker`` drives a background log by *wall* time (never the device clock, which may jump: virtual time):
every ``TICK_S`` it asks for about ``rate × elapsed`` lines, more in a burst and fewer between, and writes each
episode at its own moment within the tick.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import random
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["TICK_S", "Episode", "NoiseSource", "WallTicker", "fill", "parse_episodes"]

R = TypeVar("R")  # one line to write, as a platform's noise source holds it
TICK_S = 0.1  # wall seconds between batches
_PLACEHOLDER = re.compile(r"%\{([a-z0-9_]+)(?::(-?\d+)(?:-(-?\d+))?)?\}")
# A burst: one tick in ten carries 4x the mean, the others 2/3 of it (mean 1).
_BURST_P, _BURST_X, _CALM_X = 0.1, 4.0, 2.0 / 3.0
_MAX_ELAPSED_S = 1.0  # a stalled loop catches up at most this much: it does not flood


@dataclass(frozen=True, slots=True)
class Episode:
    name: str
    weight: float  # 0 when the file says "*": the caller decides (once per app)
    rows: tuple[tuple[str, ...], ...]

    @property
    def per_app(self) -> bool:
        return self.weight == 0


def _episode(head: str, body: list[str], fields: int, where: str) -> Episode:
    name, weight = head.split()
    rows = []
    for text in body:
        row = tuple(text.split("|", fields - 1))
        if len(row) != fields:
            raise ValueError(f"{where}: episode {name}: not {fields} |-separated fields: {text!r}")
        rows.append(row)
    return Episode(name, 0.0 if weight == "*" else float(weight), tuple(rows))


def parse_episodes(text: str, fields: int, where: str) -> tuple[Episode, ...]:
    episodes: list[Episode] = []
    head: str | None = None
    body: list[str] = []
    for raw in text.splitlines():
        if raw.startswith("#") or not raw.strip():
            continue
        if raw.startswith("== "):
            if head is not None:
                episodes.append(_episode(head, body, fields, where))
            head, body = raw[3:], []
        elif head is None:
            raise ValueError(f"{where}: a row before the first episode: {raw!r}")
        else:
            body.append(raw)
    if head is not None:
        episodes.append(_episode(head, body, fields, where))
    return tuple(episodes)


def _b64(salt: str, n: int) -> str:
    digest = hashlib.sha256(f"{salt}/{n}".encode()).hexdigest()
    return digest.translate(str.maketrans("0123456789abcdef", "AbCdEfGhIjKlMnO_"))[:22]


def fill(template: str, values: Mapping[str, str | Callable[[], str]], rng: random.Random, salt: str = "") -> str:
    """``template`` with its placeholders drawn; ``values`` maps the others to a text or a chooser."""
    if "%{" not in template:
        return template
    count = [0]

    def one(m: re.Match[str]) -> str:
        key, low, high = m.group(1), m.group(2), m.group(3)
        if key == "n":
            return str(rng.randint(int(low), int(high)))
        if key == "hex":
            return f"{rng.getrandbits(4 * int(low)):0{low}x}"
        if key == "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
        if key == "b64":
            count[0] += 1
            return _b64(salt, count[0])
        value = values.get(key)
        if value is None:
            raise ValueError(f"unknown placeholder %{{{key}}} in {template!r}")
        return value if isinstance(value, str) else value()

    return _PLACEHOLDER.sub(one, template)


class WallTicker:
    """Calls ``write(count)`` about ``rate_per_s`` times a wall second, on ``loop``; ``write`` returns the
    episodes to write, as callables, which the ticker spreads over the tick. ``active()`` False skips a tick."""

    def __init__(self, rate_per_s: float, rng: random.Random, write: Callable[[int], list[Callable[[], None]]],
                 active: Callable[[], bool]) -> None:
        self.rate_per_s = rate_per_s
        self.rng = rng
        self._write = write
        self._active = active
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._last = 0.0
        self._owed = 0.0

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.rate_per_s <= 0 or self._handle is not None:
            return
        self._loop = loop
        self._last = loop.time()
        self._handle = loop.call_later(TICK_S, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _tick(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        elapsed, self._last = min(now - self._last, _MAX_ELAPSED_S), now
        self._handle = self._loop.call_later(TICK_S, self._tick)
        if not self._active():
            return
        self._owed += self.rate_per_s * elapsed * (_BURST_X if self.rng.random() < _BURST_P else _CALM_X)
        count = int(self._owed)
        self._owed -= count
        episodes = self._write(count)
        # each at its own moment within the tick, in the order they were decided (a start before its kill)
        for at, episode in zip(sorted(self.rng.uniform(0.0, TICK_S) for _ in episodes), episodes, strict=True):
            self._loop.call_later(at, self._run, episode)

    def _run(self, episode: Callable[[], None]) -> None:
        if self._handle is not None and self._active():
            episode()


class NoiseSource(Generic[R]):
    """A phone's background log: whole episodes (lists of rows) on demand, written now or by the ticker."""

    rng: random.Random
    ticker: WallTicker
    written: int

    def _next_group(self) -> list[R]:
        """One episode's rows, its app cast; empty when the episode picked has no app to be about."""
        raise NotImplementedError

    def _write_row(self, row: R) -> None:
        raise NotImplementedError

    def groups(self, count: int) -> list[list[R]]:
        """Whole episodes, about ``count`` rows in all, decided now (apps started, picked, ended)."""
        out: list[list[R]] = []
        total = 0
        while total < count:
            group = self._next_group()
            if group:
                out.append(group)
                total += len(group)
        return out

    def emit(self, count: int) -> int:
        """Write about ``count`` lines now, whole episodes; returns how many were written."""
        written = 0
        for group in self.groups(count):
            self.write_group(group)
            written += len(group)
        return written

    def write_group(self, group: list[R]) -> None:
        for row in group:
            self._write_row(row)
            self.written += 1

    def _decide(self, count: int) -> list[Callable[[], None]]:
        """The ticker's question: this tick's episodes, each to be written at its moment."""
        return [functools.partial(self.write_group, group) for group in self.groups(count)]
