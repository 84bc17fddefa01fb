"""Other apps' and the system's log lines on a lab phone: a boot's log, then a steady, bursty stream.

A real phone is never quiet: it boots with thousands of lines in its main, system, events and radio buffers, and
logs a hundred or more lines a second from other apps and from the system while a test runs. ``LogNoise`` does
that for a lab phone, from the episodes in ``boot.txt`` and ``episodes.txt`` (real logcat lines, their pids,
uids, ids and numbers re-drawn; sources in the files). Nothing it writes names the app under test.

The stream is driven by *wall* time (``harness.lab.lognoise.WallTicker``), not by the device clock: a phone logs
``[lab] log_noise_per_s`` lines per wall second whatever its clock rate, stamped with the device clock's now.
A lab of six phones costs its host about six times the rate (a lab's phones share one budget,
``lognoise.LabNoise``: 200 phones log less each); a 240x phone logs rate/240 lines per device second;
a clock that jumps from event to event (virtual time) jumps over no lines. Rate 0: no boot log, no stream.
"""

from __future__ import annotations

import asyncio
import random
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from harness.lab.android.noise._episodes import Line, Who, fill_line, lines, load
from harness.lab.android.noise._pool import PACKAGES, SYSTEM
from harness.lab.lognoise import Episode, LabNoise, NoiseSource, WallTicker

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["BOOT_SPAN_S", "LogNoise", "start_noise"]

BOOT_SPAN_S = 25.0  # device seconds a boot's log covers, ending at the moment adbd answers
_BOOT_EXTRA_LINES = 2500  # ordinary episodes between the boot sequence's own lines (apps log as soon as they start)
_FIRST_PID, _LAST_PID = 12_000, 32_767  # the model's own app pids count up from 4200 (os/processes.py)
# Lines AndroidDevice.boot() writes itself; a boot log written after it leaves them out.
_MODEL_BOOT_LINES = frozenset({"Entered the Android system server!", "Finished processing BOOT_COMPLETED for u0"})
_PERSISTENT = frozenset({"com.google.android.gms", "com.google.android.gsf"})  # run in gms.persistent: never die here
_ENDS = ("proc_died", "am_kill", "lmkd_kill")  # episodes after which their app's process is gone

Group = list[tuple[Line, Who]]


class LogNoise(NoiseSource[tuple[Line, Who]]):
    """One phone's background log. Call its methods on the lab's loop (the device model is not thread-safe)."""

    def __init__(self, dev: AndroidDevice, rate_per_s: float, app_package: str | None = None) -> None:
        self.dev = dev
        # its own generator: the OEM model's randomness (dev.rng, the seed's kills) stays as it was
        self.rng = random.Random(zlib.crc32(f"noise/{dev.ident.seed}/{dev.name}".encode()))
        self.packages = tuple((pkg, uid) for pkg, uid in PACKAGES if pkg != app_package)
        self._uids = dict(self.packages)
        self.running: dict[str, int] = {}  # package → pid of its process, for the episodes that need one
        self.written = 0
        self._episodes = load("episodes.txt")
        self._weights = [e.weight for e in self._episodes]
        self._next_pid = _FIRST_PID + self.rng.randrange(2000)
        self.ticker = WallTicker(rate_per_s, self.rng, self._decide, lambda: dev.booted)  # the stream

    # -- the boot -----------------------------------------------------------------------------------------
    def write_boot_log(self, *, after_model: bool = False) -> int:
        """A boot's log, stamped over the ``BOOT_SPAN_S`` before now: the boot sequence, every app's
        BOOT_COMPLETED start, and ordinary episodes between them. Returns the number of lines."""
        self.running.clear()
        boot = load("boot.txt")
        per_group = _BOOT_EXTRA_LINES // max(1, sum(len(self.packages) if e.per_app else 1 for e in boot))
        out: Group = []
        for episode in boot:
            for group in self._boot_groups(episode, after_model):
                out += group
                out += [item for extra in self.groups(per_group) for item in extra]
        now, uptime = self.dev.clock.now(), self.dev.clock.uptime()
        for i, (line, who) in enumerate(out):
            back = BOOT_SPAN_S * (1 - i / len(out))
            self._write((line, who), at=(now - back, max(0.0, uptime - back)))
            self.written += 1
        return len(out)

    def rebooted(self) -> None:
        """``AndroidDevice.boot`` has written its own few lines: the rest of the boot's log."""
        self.write_boot_log(after_model=True)

    def _boot_groups(self, episode: Episode, after_model: bool) -> Iterator[Group]:
        """The episode's lines: one group, or one group per installed app, each app started as its group comes."""
        body = [ln for ln in lines(episode) if not (after_model and ln.msg in _MODEL_BOOT_LINES)]
        if not episode.per_app:
            yield [(ln, self._who(None)) for ln in body]
            return
        for pkg, _ in self.packages:
            who = self._start(pkg)
            yield [(ln, who) for ln in body]

    # -- episodes ------------------------------------------------------------------------------------------
    def _next_group(self) -> Group:
        episode = self.rng.choices(self._episodes, self._weights)[0]
        who = self._cast(episode)
        return [] if who is None else [(ln, who) for ln in lines(episode)]

    def _cast(self, episode: Episode) -> Who | None:
        """The app an episode is about: a new process for a start, a running one otherwise (None: none fits)."""
        if episode.name.startswith("proc_start"):
            idle = [pkg for pkg, _ in self.packages if pkg not in self.running]
            return self._start(self.rng.choice(idle)) if idle else None
        running = [pkg for pkg in self.running if pkg not in _PERSISTENT]
        if not running:
            return None
        pkg = self.rng.choice(running)
        who = self._who(pkg)
        if episode.name.startswith(_ENDS):
            del self.running[pkg]
        return who

    def _start(self, pkg: str) -> Who:
        self.running[pkg] = self._new_pid()
        return self._who(pkg)

    def _who(self, pkg: str | None) -> Who:
        other = self.rng.choice(self.packages)[0]
        if pkg is None:
            return Who(other, 0, 0, other)
        return Who(pkg, self.running.get(pkg, 0), self._uids[pkg], other)

    def _new_pid(self) -> int:
        taken = set(self.running.values())
        while True:
            self._next_pid += 1 + self.rng.randrange(24)
            if self._next_pid > _LAST_PID:
                self._next_pid = _FIRST_PID
            if self._next_pid not in taken and self.dev.processes.get(self._next_pid) is None:
                return self._next_pid

    def _write_row(self, row: tuple[Line, Who]) -> None:
        self._write(row)

    def _write(self, row: tuple[Line, Who], at: tuple[float, float] | None = None) -> None:
        line, who = row
        if line.who == "app":
            pid, uid = who.pid, who.uid
            tid = pid if self.rng.random() < 0.5 else pid + 1 + self.rng.randrange(60)
        else:
            proc = SYSTEM[line.who]
            pid, uid = proc.pid, proc.uid
            tid = pid + self.rng.randrange(120)
        self.dev.logs.write(line.buffer, line.prio, fill_line(line.tag, who, self.rng),
                            fill_line(line.msg, who, self.rng), pid=pid, tid=tid, uid=uid, at=at)


def start_noise(dev: AndroidDevice, rate_per_s: float, app_package: str | None,
                loop: asyncio.AbstractEventLoop | LabNoise | None) -> LogNoise:
    """A lab phone just started: its boot's log now, again at every reboot, and ``rate_per_s`` lines a wall
    second from now on (rate 0: no boot log and no stream; the phone's log holds only the model's lines); on a
    ``LabNoise``, within the lab's budget. ``loop`` None: a virtual clock's phone, whose stream its time control
    writes as the clock moves (``noise.ticker.device_tick``)."""
    noise = LogNoise(dev, rate_per_s, app_package)
    if rate_per_s > 0:
        noise.write_boot_log()
        dev.on_boot(noise.rebooted)
        if loop is not None:
            noise.ticker.start(loop)
    return noise
