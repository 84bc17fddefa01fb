"""The pytest plugin: device pool fixtures, markers, lab start-up, xdist grouping and reports.

Registered once, through the ``pytest11`` entry point named ``harness.plugin`` (so installing the
package is enough in another repository, and the root ``conftest.py``'s ``pytest_plugins`` line
names the same plugin and does not load it twice).
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from harness.errors import ConfigError, DeviceTimeout, DeviceUnreachable
from harness.plugin import _plan, _progress, _report
from harness.plugin._fixtures import SESSION_KEY, App, DeviceSession, android, app, device, ios, timeline, ui
from harness.plugin._known_kill import apply_known_kill
from harness.plugin._lab import stop_lab_if_ours
from harness.plugin._options import MARKERS, add_options, devices_named
from harness.plugin._run import RUN_KEY, Run
from harness.reporting import Run as ReportRun

_PLAN_PLUGIN = "bgharness-plan"
__all__ = ["App", "DeviceSession", "android", "app", "device", "ios", "timeline", "ui"]


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser)
    if not pluginmanager.has_plugin(_PLAN_PLUGIN):
        pluginmanager.register(_plan, _PLAN_PLUGIN)  # plans, tiers, budgets, each cell's limit
    if not pluginmanager.has_plugin("bgharness-progress"):
        pluginmanager.register(_progress, "bgharness-progress")  # per phone: cell, window, elapsed, ETA


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    if devices_named(config) and not hasattr(config, "workerinput"):
        _run(config, at_start=True)  # a bad devices.toml stops the run here, before xdist starts a worker to repeat it



def _run(config: pytest.Config, at_start: bool = False) -> Run:
    if RUN_KEY not in config.stash:
        try:
            config.stash[RUN_KEY] = Run.from_config(config)
        except ConfigError as exc:
            if at_start:  # one line, once, exit 2: not a traceback per module and per xdist worker
                pytest.exit(str(exc), returncode=2)
            # later (no devices.toml here, and a test asks for a device): a collection error without a traceback
            raise pytest.Collector.CollectError(str(exc)) from None
    return config.stash[RUN_KEY]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: object) -> None:
    """xdist controller → worker: every worker of the run shares the controller's run id."""
    run = _run(node.config)  # type: ignore[attr-defined]
    node.workerinput["bgh_run_id"] = run.run_id  # type: ignore[attr-defined]



@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """With plain ``-n N`` (dist "load"), each device's tests go to one worker and devices run in parallel."""
    if config.option.dist != "load":
        return None  # the user chose a distribution mode: respect it
    from harness.plugin._xdist import DeviceScheduling  # noqa: PLC0415 - pytest-xdist's scheduler loads only in a distributed run

    return DeviceScheduling(config, log, tuple(d.name for d in _run(config).config.devices))


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem: str, report: pytest.TestReport, sched: object) -> None:
    """xdist's controller: a worker died mid-cell. Its result is an error, "worker crashed", in results.jsonl
    (so junit and HTML); DeviceScheduling has already kept the cell from running again."""
    config = getattr(sched, "config", None)
    if config is None or RUN_KEY not in config.stash:
        return
    from harness.plugin._xdist import record_crash  # noqa: PLC0415 - pytest-xdist's scheduler loads only in a distributed run

    worker = getattr(getattr(getattr(report, "node", None), "gateway", None), "id", "?")
    report.longrepr = record_crash(config.stash[RUN_KEY], crashitem, str(worker))


def _marker_values(metafunc: pytest.Metafunc, name: str) -> tuple[str, ...]:
    values: list[str] = []
    for mark in metafunc.definition.iter_markers(name):
        values.extend(str(a) for a in mark.args)
    return tuple(values)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "device" not in metafunc.fixturenames:
        return
    run = _run(metafunc.config)
    markers = {name: _marker_values(metafunc, name) for name in ("platform", "oem", "tags")}
    for platform in ("android", "ios"):
        if platform in metafunc.fixturenames and not markers["platform"]:
            markers["platform"] = (platform,)
    chosen = run.devices_for(markers)
    if not chosen:
        reason = f"no device in {run.config.path} matches this test ({_describe(markers, run)})"
        metafunc.parametrize("device", [pytest.param(None, marks=pytest.mark.skip(reason=reason))],
                             ids=["no-device"], indirect=True)
        return
    metafunc.parametrize("device", chosen, ids=[d.name for d in chosen], indirect=True)


def _describe(markers: dict[str, tuple[str, ...]], run: Run) -> str:
    parts = [f"{k}={','.join(v)}" for k, v in markers.items() if v]
    parts += [f"--{k} {','.join(v)}" for k, v in run.filters.items() if v]
    return "; ".join(parts) or "no filters"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport,
                                                                                           pytest.TestReport]:
    report = yield
    failed = report.failed
    outcome = apply_known_kill(item, call, report)
    if failed:
        item.bgh_failed = True  # type: ignore[attr-defined]  # read by fixture teardown: take snapshots
    if failed or report.when == "call":
        _note_lost_device(item, call, failed)
    if _report.device_items([item]):
        _report.note_phase(item, report, call, outcome)
        if report.when == "teardown":
            _report.record(_run(item.config).writer, item, item.stash.get(SESSION_KEY, None))
    return report


def _note_lost_device(item: pytest.Item, call: pytest.CallInfo[None], failed: bool) -> None:
    """A phone lost mid-test (dropped, offline, its capture dead) is quarantined for the run at once, with the
    reason: its other cells are skipped, naming it. One that stopped answering counts toward its quarantine
    (two strikes per run)."""
    exc = call.excinfo.value if call.excinfo is not None else None
    session = item.stash.get(SESSION_KEY, None)
    if session is None or item.stash.get(_QUARANTINED_KEY, False):
        return
    pool = _run(item.config).pool
    lost = _report.lost_reason(item, exc)
    if lost is not None:
        item.stash[_QUARANTINED_KEY] = True  # not a flaky failure worth a second try: out of the run at once
        pool.store.record_failure(pool.run_id, session.name, lost, source="report", holder=item.nodeid, limit=1)
    elif failed and isinstance(exc, DeviceUnreachable | DeviceTimeout):
        pool.report_failure(session.name, str(exc), holder=item.nodeid)


_QUARANTINED_KEY = pytest.StashKey[bool]()


SUMMARY_KEY = pytest.StashKey[tuple[ReportRun, Path]]()


def pytest_collection_finish(session: pytest.Session) -> None:
    worker = getattr(session.config, "workerinput", {}).get("workerid")
    items = _report.device_items(session.items)
    # xdist: every worker collects the same list, so one writes it; --collect-only runs nothing to report
    if items and worker in (None, "gw0") and not session.config.option.collectonly:
        _report.select(_run(session.config).writer, items)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or RUN_KEY not in config.stash:
        return
    run = config.stash[RUN_KEY]
    if run.has_report:
        config.stash[SUMMARY_KEY] = (_report.finish(run.writer, run.reports, run.config), run.run_dir)


def pytest_terminal_summary(config: pytest.Config) -> None:
    if SUMMARY_KEY in config.stash:
        report_run, run_dir = config.stash[SUMMARY_KEY]
        _report.summary(report_run, run_dir)


def pytest_unconfigure(config: pytest.Config) -> None:
    if RUN_KEY not in config.stash:
        return
    run = config.stash[RUN_KEY]
    run.close()
    if not hasattr(config, "workerinput"):
        stop_lab_if_ours(run.config, run.run_id)
