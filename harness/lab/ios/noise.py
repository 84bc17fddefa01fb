"""Other processes' lines in a lab iPhone's log: a backlog at start, then a steady, bursty stream.

A real iPhone's log never rests: runningboardd, dasd, SpringBoard, mDNSResponder, nsurlsessiond and every other
app log a hundred or more lines a second. ``SyslogNoise`` writes them into the phone's syslog (so
``syslog_relay`` and ``os_trace_relay`` clients see them as any other line), from the episodes in ``noise.txt``
and, for other apps' launches, suspensions, deaths and pushes, from the iOS model's own attested wording
(``os/texts.py``) with their bundle ids and pids. Nothing it writes names the app under test.

Like the Android phones' (``harness/lab/android/noise``) the stream is driven by wall time: ``[lab]
log_noise_per_s`` lines per wall second whatever the clock's rate, stamped with the device clock's now.
"""

from __future__ import annotations

import asyncio
import functools
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from harness.lab.ios.os import IOSModel, texts
from harness.lab.lognoise import Episode, LabNoise, NoiseSource, WallTicker, fill, parse_episodes

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["APPS", "BACKLOG_SPAN_S", "DAEMONS", "SyslogNoise", "start_syslog_noise"]

BACKLOG_SPAN_S = 60.0  # device seconds the backlog at start covers
_BACKLOG_LINES = 1500  # the ring holds 2000: a just-started phone's is nearly full
_FIELDS = 6  # <process>|<image>|<level>|<subsystem>|<category>|<message>

# Daemons beside the phone's base processes (device.py), with the pids they have early in a boot; all below the
# pids the model gives apps (os/processes.py starts at 400).
DAEMONS: dict[str, int] = {"kernel": 0, "launchd": 1, "backboardd": 34, "SpringBoard": 58, "mDNSResponder": 61,
                           "powerd": 70, "wifid": 77, "thermalmonitord": 85, "runningboardd": 92,
                           "nsurlsessiond": 112, "dasd": 139, "locationd": 171, "apsd": 203}

# Other apps: bundle id → executable (what the process is called in the log).
APPS: dict[str, str] = {
    "com.apple.mobilemail": "MobileMail", "com.apple.mobilesafari": "MobileSafari", "com.apple.MobileSMS": "MobileSMS",
    "com.apple.Maps": "Maps", "com.apple.weather": "Weather", "com.apple.news": "News",
    "com.apple.mobileslideshow": "MobileSlideShow", "com.apple.Music": "Music", "com.apple.podcasts": "Podcasts",
    "com.spotify.client": "Spotify", "net.whatsapp.WhatsApp": "WhatsApp", "com.burbn.instagram": "Instagram",
    "com.facebook.Facebook": "Facebook", "ph.telegra.Telegraph": "Telegram", "com.google.chrome.ios": "Chrome",
    "com.netflix.Netflix": "Netflix", "com.ubercab.UberClient": "Uber", "com.toyopagroup.picaboo": "Snapchat",
    "com.zhiliaoapp.musically": "TikTok", "com.hammerandchisel.discord": "Discord",
    "com.duolingo.DuolingoMobile": "Duolingo", "com.strava.stravaride": "Strava", "com.tinyspeck.chatlyio": "Slack",
    "com.reddit.Reddit": "Reddit", "com.shazam.Shazam": "Shazam", "com.getdropbox.Dropbox": "Dropbox",
}

# Apple's own background activities as dasd names them.
_SYSTEM_ACTIVITIES = ("photoanalysisd.backgroundanalysis", "mediaanalysisd.fullProcessing",
                      "spotlightknowledged.processing", "suggestd.harvesting", "coreduetd.knowledge-sync",
                      "assistant.analytics.upload", "geod.cache.clean", "healthd.analytics")

_FIRST_PID, _LAST_PID = 20_000, 99_998  # the noise apps' pids, below XNU's PID_MAX (99999)
_CODED = {"launch": 4.0, "suspend": 6.0, "terminate": 2.0, "push": 3.0}  # episodes written from os/texts.py


@dataclass(frozen=True, slots=True)
class _App:
    bundle: str
    exe: str
    pid: int


@functools.cache
def load() -> tuple[Episode, ...]:
    text = resources.files("harness.lab.ios").joinpath("noise.txt").read_text(encoding="utf-8")
    return parse_episodes(text, _FIELDS, "harness/lab/ios/noise.txt")


class SyslogNoise(NoiseSource["_Row"]):
    """One iPhone's background log. Call its methods on the lab's loop."""

    def __init__(self, phone: VirtualIPhone, rate_per_s: float, app_bundle: str | None = None) -> None:
        self.phone = phone
        self.rng = random.Random(zlib.crc32(f"noise/{phone.name}".encode()))
        self.apps = {bundle: exe for bundle, exe in APPS.items() if bundle != app_bundle}
        self.running: dict[str, int] = {}  # bundle id → pid
        self.written = 0
        self._episodes = load()
        self._names = [e.name for e in self._episodes] + list(_CODED)
        self._weights = [e.weight for e in self._episodes] + list(_CODED.values())
        self.powered = True
        self._next_pid = _FIRST_PID + self.rng.randrange(2000)
        self.ticker = WallTicker(rate_per_s, self.rng, self._decide, lambda: self.powered)
        for name, pid in DAEMONS.items():
            phone.processes.setdefault(pid, name)
        if isinstance(phone.system, IOSModel):
            phone.system.add_power_listener(self.power)

    def power(self, on: bool) -> None:
        """A reboot: the phone logs nothing while it is down, and no app it ran is running when it is back."""
        self.powered = on
        if not on:
            for bundle, pid in list(self.running.items()):
                self._end(_App(bundle, self.apps[bundle], pid))

    def write_backlog(self) -> int:
        """Lines stamped over the ``BACKLOG_SPAN_S`` before now, as a phone that has been up a while holds."""
        now = self.phone.clock.now()
        rows = [row for group in self.groups(_BACKLOG_LINES) for row in group]
        for i, row in enumerate(rows):
            self._write(row, at=now - BACKLOG_SPAN_S * (1 - i / len(rows)))
            self.written += 1
        return len(rows)

    # -- episodes -------------------------------------------------------------------------------------------
    def _next_group(self) -> list[_Row]:
        return self._episode(self.rng.choices(range(len(self._names)), self._weights)[0])

    def _episode(self, index: int) -> list[_Row]:
        if index >= len(self._episodes):
            return self._coded(self._names[index])
        episode = self._episodes[index]
        app = self._running_app()
        if app is None and any(row[0] == "app" or "%{" in row[5] for row in episode.rows):
            return []
        if episode.name.startswith("jetsam") and app is not None:
            self._end(app)
        return [self._row(row, app) for row in episode.rows]

    def _coded(self, name: str) -> list[_Row]:
        if name == "launch":
            idle = [b for b in self.apps if b not in self.running]
            if not idle:
                return []
            bundle = self.rng.choice(idle)
            return _daemon_rows(texts.launch_lines(bundle, self._launch(bundle).pid, False))
        app = self._running_app()
        if app is None:
            return []
        if name == "suspend":
            return _daemon_rows(texts.suspend_lines(app.bundle, app.pid))
        if name == "terminate":
            self._end(app)
            return _daemon_rows(texts.termination_lines(app.bundle, app.pid, 9))
        request = f"{self.rng.getrandbits(32):08X}"
        return _daemon_rows(texts.push_received(app.bundle, 5, request))

    def _running_app(self) -> _App | None:
        if not self.running:
            return None
        bundle = self.rng.choice(list(self.running))
        return _App(bundle, self.apps[bundle], self.running[bundle])

    def _launch(self, bundle: str) -> _App:
        pid = self._new_pid()
        self.running[bundle] = pid
        self.phone.processes[pid] = self.apps[bundle]
        return _App(bundle, self.apps[bundle], pid)

    def _new_pid(self) -> int:
        """A pid from the noise's own range, above any the model gives (its apps count up from 400).

        A real iPhone has one pid sequence; here the other apps' launches follow the wall clock, and a model pid
        that depended on how many of them came first would differ from run to run on a virtual clock (the same
        seed must give the same timeline). Android's noise keeps its own range for the same reason."""
        while True:
            self._next_pid += 1 + self.rng.randrange(40)
            if self._next_pid > _LAST_PID:
                self._next_pid = _FIRST_PID
            if self._next_pid not in self.phone.processes:
                return self._next_pid

    def _end(self, app: _App) -> None:
        self.running.pop(app.bundle, None)
        self.phone.processes.pop(app.pid, None)

    def _row(self, row: tuple[str, ...], app: _App | None) -> _Row:
        process, image, level, subsystem, category, message = row
        values: dict[str, str | Callable[[], str]] = {
            "sysactivity": lambda: self.rng.choice(_SYSTEM_ACTIVITIES)}
        if app is not None:
            values.update(bundle=app.bundle, exe=app.exe, pid=str(app.pid))
        salt = app.bundle if app is not None else ""
        text = fill(message, values, self.rng, salt)
        if process == "app":
            assert app is not None
            return _Row(app.exe, app.pid, _opt(image), level, _opt(subsystem), _opt(category), text)
        return _Row(process, DAEMONS[process], _opt(image), level, _opt(subsystem), _opt(category), text)

    def _write_row(self, row: _Row) -> None:
        self._write(row)

    def _write(self, row: _Row, at: float | None = None) -> None:
        self.phone.syslog.write(row.process, row.message, pid=row.pid, level=row.level, image=row.image,
                                subsystem=row.subsystem, category=row.category, at=at)


@dataclass(frozen=True, slots=True)
class _Row:
    process: str
    pid: int
    image: str | None
    level: str
    subsystem: str | None
    category: str | None
    message: str


def _opt(field: str) -> str | None:
    return None if field == "-" else field


def _daemon_rows(lines: list[tuple[texts.Daemon, str]]) -> list[_Row]:
    return [_Row(d.name, d.pid, d.image, "Notice", None, None, message) for d, message in lines]


def start_syslog_noise(phone: VirtualIPhone, rate_per_s: float, app_bundle: str | None,
                       loop: asyncio.AbstractEventLoop | LabNoise | None) -> SyslogNoise:
    """A lab iPhone just started: a backlog in its ring now, and ``rate_per_s`` lines a wall second from now on
    (rate 0: neither). ``loop`` None: a virtual clock's phone, whose stream its time control writes as the clock
    moves (``noise.ticker.device_tick``)."""
    noise = SyslogNoise(phone, rate_per_s, app_bundle)
    if rate_per_s > 0:
        noise.write_backlog()
        if loop is not None:
            noise.ticker.start(loop)
    return noise
