"""What the Android and iOS background logs share: episode files, their placeholders, and the wall-time ticker.

An episode file holds episodes (lines that come together), each ``== <name> <weight>`` followed by rows of
``|``-separated fields; ``#`` lines are comments. ``%{...}`` placeholders in a row are filled in when it is
written: ``n:A-B`` a number in [A, B], ``hex:N`` N hex digits, ``uuid`` a version-4 UUID, ``b64`` a 22-character
id fixed per app (an install directory's), anything else from the caller's values.

``WallTicker`` drives a background log by *wall* time on a real-time clock: every ``TICK_S`` it asks for about
``rate × elapsed`` lines, more in a burst and fewer between, and writes each episode at its own moment within the
tick. A lab's phones tick together on one timer (``LabNoise``), within one budget of lines a second for the whole
lab. On a virtual clock (``[lab] clock = "virtual"``) the log moves with the phone's clock instead
(``device_tick``): each step of the time control that moves the clock writes ``rate × moved`` lines at the step's
end, at most ``STEP_MAX_S`` of them, and none while the clock stands still. Wall time then decides nothing on such a
phone (how many lines lie between two of the app's is the seed's), so the same seed gives the same timelines and
the same relay buffers however loaded the host is.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import random
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["LAB_BUDGET_PER_S", "STEP_MAX_S", "TICK_S", "Episode", "LabNoise", "NoiseSource", "WallTicker", "fill",
           "parse_episodes"]

R = TypeVar("R")  # one line to write, as a platform's noise source holds it
TICK_S = 0.1  # wall seconds between batches
# A lab's background log in all, lines per wall second: the shipped lab (7 phones at 100) stays under it, a
# 200-phone lab shares it (docs/lab-log-volume.md, "A budget for the lab").
LAB_BUDGET_PER_S = 800.0
_PLACEHOLDER = re.compile(r"%\{([a-z0-9_]+)(?::(-?\d+)(?:-(-?\d+))?)?\}")
# A burst: one tick in ten carries 4x the mean, the others 2/3 of it (mean 1).
_BURST_P, _BURST_X, _CALM_X = 0.1, 4.0, 2.0 / 3.0
_MAX_ELAPSED_S = 1.0  # a stalled loop catches up at most this much: it does not flood
# A virtual clock's step writes at most this many device seconds' worth: a six-hour wait is thousands of steps,
# and its log is the step ends' (docs/lab-log-volume.md, "On a virtual clock").
STEP_MAX_S = 0.5
_LINES_PER_TURN = 5.0  # a phone of a large lab is ticked when about this many lines are due (LabNoise)
_MAX_TURN_TICKS = 20  # but at least every 2 s


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


Part = tuple[str, str, int, int]  # literal text before a placeholder, its key, its two numbers ("" and 0: none)


@functools.lru_cache(maxsize=4096)
def _parts(template: str) -> tuple[Part, ...]:
    """``template`` cut at its placeholders once (the noise fills the same few hundred rows millions of times)."""
    parts: list[Part] = []
    at = 0
    for m in _PLACEHOLDER.finditer(template):
        low, high = m.group(2), m.group(3)
        parts.append((template[at:m.start()], m.group(1), int(low or 0), int(high or 0)))
        at = m.end()
    parts.append((template[at:], "", 0, 0))
    return tuple(parts)


def fill(template: str, values: Mapping[str, str | Callable[[], str]], rng: random.Random, salt: str = "") -> str:
    """``template`` with its placeholders drawn; ``values`` maps the others to a text or a chooser."""
    if "%{" not in template:
        return template
    out: list[str] = []
    count = 0
    for text, key, low, high in _parts(template):
        out.append(text)
        if not key:
            continue
        if key == "n":
            out.append(str(rng.randint(low, high)))
        elif key == "hex":
            out.append(f"{rng.getrandbits(4 * low):0{low}x}")
        elif key == "uuid":
            out.append(str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper())
        elif key == "b64":
            count += 1
            out.append(_b64(salt, count))
        else:
            value = values.get(key)
            if value is None:
                raise ValueError(f"unknown placeholder %{{{key}}} in {template!r}")
            out.append(value if isinstance(value, str) else value())
    return "".join(out)


class WallTicker:
    """Calls ``write(count)`` about ``rate_per_s`` times a wall second; ``write`` returns the episodes to write, as
    callables, which the ticker spreads over the tick. ``active()`` False skips a tick.

    Started on a loop it keeps its own timer; started on a ``LabNoise`` it is one of the lab's phones, ticked by
    the lab's one timer within the lab's budget."""

    def __init__(self, rate_per_s: float, rng: random.Random, write: Callable[[int], list[Callable[[], None]]],
                 active: Callable[[], bool]) -> None:
        self.rate_per_s = rate_per_s
        self.rng = rng
        self._write = write
        self._active = active
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._lab: LabNoise | None = None
        self._last = 0.0
        self._owed = 0.0

    @property
    def running(self) -> bool:
        return self._handle is not None or self._lab is not None

    def start(self, loop: asyncio.AbstractEventLoop | LabNoise) -> None:
        if self.rate_per_s <= 0 or self.running:
            return
        if isinstance(loop, LabNoise):
            self._lab, self._loop = loop, loop.loop
            loop.add(self)
            return
        self._loop = loop
        self._last = loop.time()
        self._handle = loop.call_later(TICK_S, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._lab is not None:
            self._lab.remove(self)
            self._lab = None

    def _tick(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        elapsed, self._last = min(now - self._last, _MAX_ELAPSED_S), now
        self._handle = self._loop.call_later(TICK_S, self._tick)
        self.tick(elapsed)

    def tick(self, wall_s: float, span_s: float = TICK_S) -> None:
        """This tick's lines: about ``rate × wall_s`` (more in a burst, fewer between), each episode written at
        its own moment within the next ``span_s``, in the order they were decided (a start before its kill)."""
        assert self._loop is not None
        if not self._active():
            return
        self._owed += self.rate_per_s * wall_s * (_BURST_X if self.rng.random() < _BURST_P else _CALM_X)
        count = int(self._owed)
        self._owed -= count
        if count == 0:
            return
        episodes = self._write(count)
        for at, episode in zip(sorted(self.rng.uniform(0.0, span_s) for _ in episodes), episodes, strict=True):
            self._loop.call_later(at, self._run, episode)

    def device_tick(self, device_s: float) -> None:
        """A virtual clock moved ``device_s`` device seconds: about ``rate × device_s`` lines (at most
        ``STEP_MAX_S``' worth; more in a burst, fewer between), written now in the order decided, stamped with the
        phone's time now. Never started on a loop: the phone's time control calls it."""
        if self.rate_per_s <= 0 or device_s <= 0 or not self._active():
            return
        burst = _BURST_X if self.rng.random() < _BURST_P else _CALM_X
        self._owed += self.rate_per_s * min(device_s, STEP_MAX_S) * burst
        count = int(self._owed)
        self._owed -= count
        if count:
            for episode in self._write(count):
                episode()

    def _run(self, episode: Callable[[], None]) -> None:
        if self.running and self._active():
            episode()


class LabNoise:
    """Every phone's background log on a lab's loop, driven by one wall-time timer within ``budget_per_s`` lines
    a wall second for the whole lab: while the phones ask for less each logs its own rate; past it each logs the
    same fraction of its rate (200 phones at 100 lines/s share the budget). docs/lab-log-volume.md says why.

    A phone whose share is under ``_LINES_PER_TURN`` lines a tick is ticked every few ticks instead (its lines
    spread over its turn), the phones taking turns: 200 phones cost 200 ticks a second, not 2,000."""

    def __init__(self, loop: asyncio.AbstractEventLoop, budget_per_s: float = LAB_BUDGET_PER_S) -> None:
        self.loop = loop
        self.budget_per_s = budget_per_s
        self.tickers: dict[WallTicker, None] = {}  # in the order the phones started
        self._asked = 0.0
        self._handle: asyncio.TimerHandle | None = None
        self._last = 0.0
        self._turn = 0  # ticks so far: phone i is ticked when turn % every == i % every

    @property
    def share(self) -> float:
        """The fraction of its rate each phone logs now."""
        return 1.0 if self._asked <= self.budget_per_s else self.budget_per_s / self._asked

    def every(self) -> int:
        """Ticks between one phone's turns: enough for ``_LINES_PER_TURN`` lines at the mean phone's share."""
        if not self.tickers:
            return 1
        per_tick = self._asked / len(self.tickers) * self.share * TICK_S
        return max(1, min(_MAX_TURN_TICKS, math.ceil(_LINES_PER_TURN / per_tick))) if per_tick > 0 else 1

    def add(self, ticker: WallTicker) -> None:
        self.tickers[ticker] = None
        self._asked += ticker.rate_per_s
        if self._handle is None:
            self._last = self.loop.time()
            self._handle = self.loop.call_later(TICK_S, self._tick)

    def remove(self, ticker: WallTicker) -> None:
        if ticker in self.tickers:
            del self.tickers[ticker]
            self._asked -= ticker.rate_per_s
        if not self.tickers and self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def stop(self) -> None:
        for ticker in list(self.tickers):
            ticker.stop()

    def _tick(self) -> None:
        now = self.loop.time()
        elapsed, self._last = min(now - self._last, _MAX_ELAPSED_S), now
        self._handle = self.loop.call_later(TICK_S, self._tick)
        every = self.every()
        wall_s, turn = elapsed * self.share * every, self._turn % every
        self._turn += 1
        for ticker in list(self.tickers)[turn::every]:
            ticker.tick(wall_s, span_s=TICK_S * every)


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

    _ahead = 0  # lines the ticker's whole episodes went past what it asked for: the next ticks ask that much less

    def _decide(self, count: int) -> list[Callable[[], None]]:
        """The ticker's question: this tick's episodes, each to be written at its moment. Whole episodes overshoot
        the count (by a line or two each tick: twice the rate when a phone's share is a line a tick), so the
        overshoot is owed back."""
        if count <= self._ahead:
            self._ahead -= count
            return []
        groups = self.groups(count - self._ahead)
        self._ahead = sum(map(len, groups)) - (count - self._ahead)
        return [functools.partial(self.write_group, group) for group in groups]
