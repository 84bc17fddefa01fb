"""One seam for "which parser and event builder read this platform's log": ``parser_pair``.

``EventStream`` (and ``harness logs``) feed raw lines to a ``LineParser`` and its records to an
``EventSource``; Android's pair is ``LogcatParser`` + ``EventBuilder``, iOS's ``IOSLogParser`` +
``IOSEventBuilder``. Both parsers produce ``LogLine``s, both builders append ``Event``s to ``events``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from harness.logs.android_events import EventBuilder
from harness.logs.events import Event
from harness.logs.ios_events import IOSEventBuilder
from harness.logs.ios_syslog import IOSLogParser
from harness.logs.logcat import LogcatParser, LogLine

__all__ = ["PLATFORMS", "EventSource", "LineParser", "parser_pair"]

PLATFORMS: tuple[str, ...] = ("android", "ios")


class LineParser(Protocol):
    """Raw lines in, finished records out; a record may be held back until the next line or ``close``."""

    skipped: int  # non-blank lines that matched no format and continued no record

    def feed(self, raw_lines: Iterable[str]) -> list[LogLine]: ...

    def close(self) -> list[LogLine]: ...


class EventSource(Protocol):
    """Records in; ``events`` grows in line order as they are fed."""

    events: list[Event]

    def feed(self, records: Iterable[LogLine]) -> None: ...

    def known_process(self, pid: int, package: str) -> None:
        """``pid`` is ``package``'s, as the phone said when the capture opened (its start line may be long gone
        from the log); lines read later may say otherwise and win."""


def parser_pair(platform: str, *, year: int | None = None) -> tuple[LineParser, EventSource]:
    """A fresh parser and event builder for ``platform``'s device log (times without a year go in ``year``)."""
    if platform == "android":
        return LogcatParser(year=year), EventBuilder()
    if platform == "ios":
        return IOSLogParser(year=year), IOSEventBuilder()
    raise ValueError(f"no log parser for platform {platform!r}; use one of {', '.join(PLATFORMS)}")
