"""Live progress of a device run: per phone, the current cell, the window it waits on, elapsed, and ETAs.

Registered by ``harness.plugin`` as a plugin of its own (``bgharness-progress``). Processes that run cells write
their events (:mod:`._feed`); the process that prints (the xdist controller, or the single pytest process)
tails them with the run's ``plan.json`` and shows a live table on a terminal, plain lines elsewhere
(:mod:`._display`). pytest's dots for device cells give way to it; its final summary stays.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import pytest

from harness.logs.stream import WaitObserver, observe_waits
from harness.plugin._options import devices_named
from harness.plugin._plan import PLAN_KEY, USED_KEY
from harness.plugin._progress._board import Board
from harness.plugin._progress._display import Display, LineProxy, terminal_out
from harness.plugin._progress._feed import Feed
from harness.plugin._progress._watch import RunWatch
from harness.plugin._run import RUN_KEY

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["MODES", "RunWatch", "outcome_of"]

MODES = ("auto", "live", "plain", "off")
_FEED_KEY = pytest.StashKey[Feed]()
_OUTER_KEY = pytest.StashKey[WaitObserver | None]()
_DISPLAY_KEY = pytest.StashKey[Display]()
_PLAN_IDS_KEY = pytest.StashKey[set[str]]()
_OUTCOME_KEY = pytest.StashKey[str]()
_CRASHES = "bgharness-progress-crashes"
_RANK = {"passed": 0, "skipped": 1, "xpassed": 1, "xfailed": 1, "failed": 2, "error": 3}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("bgharness").addoption(
        "--progress", default="auto", choices=MODES,
        help="device runs: live (a table per phone, redrawn), plain (a line per cell start, wait and end), off "
             "(pytest's dots); default auto: live on a terminal, plain otherwise")


def _mode(config: pytest.Config) -> str:
    mode = str(config.getoption("--progress", "auto"))
    if mode == "off" or not devices_named(config) or config.option.collectonly:
        return "off"
    return mode


def pytest_configure(config: pytest.Config) -> None:
    if _mode(config) == "off":
        return
    worker = str(getattr(config, "workerinput", {}).get("workerid", "main"))

    def run_dir() -> Any:
        run = config.stash.get(RUN_KEY, None)
        return run.run_dir if run is not None else None

    feed = Feed(worker, run_dir)
    config.stash[_FEED_KEY] = feed
    config.stash[_OUTER_KEY] = observe_waits(feed.observe)


def pytest_unconfigure(config: pytest.Config) -> None:
    feed = config.stash.get(_FEED_KEY, None)
    if feed is not None:
        observe_waits(config.stash.get(_OUTER_KEY, None))  # a session run inside another gives its observer back
        feed.close()


# -- the process that runs cells ----------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    feed = item.config.stash.get(_FEED_KEY, None)
    plan = item.stash.get(PLAN_KEY, None)
    if feed is None or plan is None:
        return (yield)
    feed.started(item.nodeid, plan.device, plan.wall_s, plan.device_s)
    try:
        return (yield)
    finally:
        feed.ended(item.stash.get(_OUTCOME_KEY, "error"), item.stash.get(USED_KEY, None))


def outcome_of(report: pytest.TestReport) -> str:
    """One phase's outcome in the words of pytest's summary: passed, failed, error, skipped, xfailed, xpassed."""
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    return "skipped" if report.skipped else "passed"


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: the harness's known-kill wrapper has run inside
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport,
                                                                                           pytest.TestReport]:
    report = yield  # after the harness's own wrapper: a known kill has already turned into its real outcome
    if PLAN_KEY in item.stash and _FEED_KEY in item.config.stash:
        outcome, before = outcome_of(report), item.stash.get(_OUTCOME_KEY, "passed")
        item.stash[_OUTCOME_KEY] = outcome if _RANK[outcome] >= _RANK[before] else before
    return report


# -- the process that prints --------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    display = _start(session)
    try:
        return (yield)
    finally:
        if display is not None:
            display.stop()
            if display.out is not sys.stdout:  # our duplicate of the descriptor (repro runs pytest many times)
                display.out.close()


def _start(session: pytest.Session) -> Display | None:
    config = session.config
    mode, run = _mode(config), config.stash.get(RUN_KEY, None)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if mode == "off" or run is None or reporter is None or hasattr(config, "workerinput"):
        return None
    distributed = config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))
    if not distributed and not any(PLAN_KEY in item.stash for item in session.items):
        return None  # the harness's own tests, no device cell: pytest's dots as usual
    out, terminal = terminal_out()
    # -s without xdist: the tests write to the terminal themselves, and a table redrawn under them would garble
    own_output = not distributed and config.getoption("capture", "fd") == "no"
    live = mode == "live" or (mode == "auto" and terminal and not own_output)
    workers = len(config.getoption("tx")) if distributed else 1
    reporter.showfspath = False  # "scenarios/test_x.py " before each file's dots: the table says it
    display = Display(run.run_dir, Board(workers=workers), out, live,
                      route_writer=_router(config) if live else None)
    config.stash[_DISPLAY_KEY] = display
    feed = config.stash.get(_FEED_KEY, None)
    if distributed and feed is not None and not config.pluginmanager.has_plugin(_CRASHES):
        config.pluginmanager.register(_Crashes(feed), _CRASHES)
    display.start()
    return display


def _router(config: pytest.Config) -> Callable[[Console | None], None]:
    """pytest's terminal writer, pointed at the live console while the table shows (so a line pytest writes, a
    verbose result or a worker's crash, lands above the table instead of through it), and back afterwards."""
    writer = config.get_terminal_writer()
    original = getattr(writer, "_file", None)  # pytest's TerminalWriter keeps its stream there (no public setter)

    def route(console: Console | None) -> None:
        if original is None:
            return
        current = writer._file
        if isinstance(current, LineProxy):
            current.drain()
        writer._file = LineProxy(console, original) if console is not None else original

    return route


class _Crashes:
    """xdist's controller: a worker that died mid-cell wrote no end for it (xdist reports the crash with phase
    ``???``); the controller writes that end, so the phone's row moves on instead of counting up forever."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "???":  # type: ignore[comparison-overlap]  # xdist's crash report
            self.feed.emit("end", nodeid=report.nodeid, outcome="crashed", used_device_s=None)


@pytest.hookimpl(wrapper=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Generator[None, Any, Any]:
    """A device cell's dot (or F, s, x) is left out while the progress display runs; the counts stay for the
    final summary. ``-v`` keeps its per-test lines."""
    result = yield
    if _DISPLAY_KEY not in config.stash or config.get_verbosity() > 0 or not isinstance(result, tuple):
        return result
    if report.nodeid in _plan_ids(config):
        return (result[0], "", result[2])  # no dot; the word stays for the short summary (XFAIL, ERROR …)
    return result


def _plan_ids(config: pytest.Config) -> set[str]:
    ids = config.stash.get(_PLAN_IDS_KEY, set())
    if not ids:
        display = config.stash[_DISPLAY_KEY]
        try:
            cells = json.loads((display.run_dir / "plan.json").read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            return ids
        ids = {str(c["nodeid"]) for c in cells}
        config.stash[_PLAN_IDS_KEY] = ids
    return ids
