"""Glue between pytest's hooks and ``harness.reporting``: a result the moment each test ends.

The controller (or the single process) opens the run, writes the selected tests and, at the end,
the JUnit/HTML reports, the terminal matrix and the history; xdist workers only add results.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

from harness.config import Config, DeviceConfig
from harness.errors import DeviceLost, HarnessError
from harness.logs.events import Event
from harness.logs.expect import ExpectationFailed
from harness.logs.stream import EventStream, Mark
from harness.plugin._fixtures import RELEASED_KEY, SESSION_KEY
from harness.plugin._plan import PLAN_KEY, USED_KEY, CellTimeout
from harness.pool import LeaseLost
from harness.reporting import (
    Result,
    RunWriter,
    Selected,
    append_history,
    device_props,
    print_summary,
    timeline_from_events,
)
from harness.reporting import Run as ReportRun
from harness.reporting._history import history_at

__all__ = ["CALL_KEY", "device_items", "finish", "lost_reason", "note_phase", "record", "select", "summary"]

CALL_KEY = pytest.StashKey[dict[str, object]]()


def _device(item: pytest.Item) -> DeviceConfig | None:
    callspec = getattr(item, "callspec", None)
    dev = callspec.params.get("device") if callspec is not None else None
    return dev if isinstance(dev, DeviceConfig) else None


def device_items(items: list[pytest.Item]) -> list[pytest.Item]:
    """The tests that run on a device: the only ones a run report is about."""
    return [item for item in items if _device(item) is not None]


def select(writer: RunWriter, items: list[pytest.Item]) -> None:
    writer.select([Selected.of(item.nodeid, dev.name) for item in items if (dev := _device(item)) is not None])


def lost_reason(item: pytest.Item, exc: BaseException | None) -> str | None:
    """Why the cell's phone was lost (it dropped, went offline, its capture died), or None."""
    if isinstance(exc, DeviceLost):
        return str(exc)
    session = item.stash.get(SESSION_KEY, None)
    loss = session.stream.loss if session is not None and session.stream is not None else None
    return None if loss is None else f"{session.name if session else '?'} {loss.describe()} during {item.name}"


def note_phase(item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None],
               outcome: str | None) -> None:
    """Remember what each phase said; the result is written at teardown, when the test is over."""
    info = item.stash.get(CALL_KEY, None)
    if info is None:
        info = {"started_at": time.time(), "duration_s": 0.0}
        item.stash[CALL_KEY] = info
    info["duration_s"] = float(str(info["duration_s"])) + report.duration
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, ExpectationFailed):
        info["explanation"], info["killer"] = exc.reason, exc.killer
        info["verdict"], info["evidence"], info["window"] = f"[{exc.device}] {exc.summary}", exc.evidence, exc.window
    if report.when == "setup" and (report.failed or report.skipped):
        info["outcome"] = "error" if report.failed else "skipped"
        info["message"] = _message(report)
    elif report.when == "call":
        info["outcome"] = outcome or {"passed": "passed", "failed": "failed"}.get(report.outcome, "skipped")
        info["message"] = _message(report) if report.outcome != "passed" else ""
        # The harness or the phone hung, the phone was lost, or the lease was taken: not a verdict on the app. A
        # lost phone is an error even when the body passed: what it checked was not watched to the end.
        lost = lost_reason(item, exc)
        if isinstance(exc, CellTimeout | LeaseLost) or lost is not None:
            info["outcome"] = "error"
            if lost is not None and report.outcome == "passed":
                info["message"] = lost
    elif report.when == "teardown" and report.failed and info.get("outcome") == "passed":
        info["outcome"], info["message"] = "error", str(report.longrepr or "")


def _message(report: pytest.TestReport) -> str:
    """The failure text, or a skip's reason alone: pytest keeps a skip as (file, line, "Skipped: why")."""
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


def record(writer: RunWriter, item: pytest.Item, session: object | None) -> None:
    info = item.stash.get(CALL_KEY, {})
    dev = _device(item)
    artifacts: dict[str, str] = {}
    events: list[Event] = []
    folder = getattr(session, "artifacts", None)
    if isinstance(folder, Path) and folder.exists():
        artifacts = {p.name: str(p.relative_to(writer.run_dir)) for p in sorted(folder.iterdir()) if p.is_file()}
    stream, opened = getattr(session, "stream", None), getattr(session, "opened", None)
    if stream is not None:
        events = _cell_events(stream, opened)
    name = getattr(item, "originalname", item.name)
    plan = item.stash.get(PLAN_KEY, None)
    writer.add(Result(
        item.nodeid, name, dev.name if dev else None, str(info.get("outcome", "skipped")),  # type: ignore[arg-type]
        device_props(dev) if dev else {}, duration_s=float(info.get("duration_s", 0.0)),  # type: ignore[arg-type]
        started_at=float(info.get("started_at", time.time())), ended_at=item.stash.get(RELEASED_KEY, time.time()),  # type: ignore[arg-type]
        message=str(info.get("message", ""))[-20_000:], explanation=str(info.get("explanation", "")),
        killer=info.get("killer"), artifacts=artifacts,  # type: ignore[arg-type]
        timeline=timeline_from_events(events, _app_id(session, dev)),
        device_s=item.stash.get(USED_KEY, None), plan_device_s=plan.device_s if plan else None,
        tier=plan.tier if plan else None, verdict=str(info.get("verdict", "")),
        evidence=tuple(info.get("evidence", ())), window=info.get("window"),  # type: ignore[arg-type]
    ))


def finish(writer: RunWriter, reports: Path, config: Config | None = None) -> ReportRun:
    run = writer.finish()
    append_history(history_at(reports, config), run)  # reports/history.sqlite, or the farm's shared history
    return run


def summary(run: ReportRun, run_dir: Path) -> None:
    from rich.console import Console  # noqa: PLC0415 - rich loads only when the run's summary is printed


    print_summary(run, Console(highlight=False, width=160), run_dir)


def _app_id(session: object | None, dev: DeviceConfig | None) -> str | None:
    """The app under test on this phone (its package or bundle id), for the timeline; None keeps every event."""
    run = getattr(session, "run", None)
    config = getattr(run, "config", None)
    if dev is None or config is None:
        return None
    app_id: str | None = config.app.app_id(dev.platform)
    return app_id


def _cell_events(stream: EventStream, opened: Mark | None) -> list[Event]:
    """The cell's events: on a virtual lab phone, all it logged up to now and from the cell's first mark on (by
    position: its clock stood still, so lines from before the mark can carry the mark's own time); elsewhere, what
    the phone logged from the mark's device time on (a capture can start with lines from before it opened)."""
    if opened is None:
        return list(stream.events)
    if stream.stepper is None:
        return stream.logged_since(opened)
    with contextlib.suppress(HarnessError):  # a lost phone: its result is written with what the capture has
        stream.caught_up()
    return stream.since(opened)
