"""``harness repro``: one scenario test, again and again, on one phone or several, until the numbers speak.

Each run is a whole pytest session of the one test on one device (its own run id, report folder and
log) through the harness plugin, in this process; the lab, when lab phones are involved, is started
once (as ``harness lab up --detach`` would) and stays up across runs. Run *i* on a lab Android phone
gets the lab seed ``base + i`` (``--lab-seed``, ``setprop lab.seed``), where the base is ``--seed`` or
the phone's devices.toml seed, so ``--seed S --runs 1`` replays the run that had seed S.

Devices take turns (run 1 on each, then run 2 on each, …), so an interrupted comparison stays
balanced. Ctrl-C ends the current run through pytest's own interrupt handling (fixtures torn down,
the phone's state restored, its lease released) and the statistics of the finished runs are printed. The
press is also noted by the repro's own SIGINT handler and checked after every run: a KeyboardInterrupt that
lands in a finalizer (a socket's ``__del__``) is only printed by Python, never raised, and the runs went on.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from harness.config import Config, DeviceConfig, load_config
from harness.labctl import lab_state, spawn_lab, stop_lab
from harness.plugin._progress import RunWatch
from harness.reporting import ReportError, load_run, new_run_id
from harness.repro._bundle import BundleSource, write_bundle
from harness.repro._pytest import run_test
from harness.repro._records import DeviceStats, RunRecord, device_stats, record_of
from harness.repro._selection import check_selection, devices_of
from harness.repro._show import describe_run, print_stats, stats_json

__all__ = ["DEFAULT_RUNS", "ReproPlan", "ReproResult", "run_repro", "seed_base"]

DEFAULT_RUNS = 10  # when neither --runs, --until-fail nor --for bounds the repro


@dataclass(frozen=True, slots=True)
class ReproPlan:
    test: str
    devices: tuple[str, ...]  # --device first, then --compare
    devices_path: str = "devices.toml"
    runs: int | None = None  # None: until --until-fail / --for ends it (DEFAULT_RUNS if neither is given)
    until_fail: bool = False
    for_s: float | None = None
    seed: int | None = None
    bugreport: bool = False
    reports: Path = Path("reports")


@dataclass
class ReproResult:
    out_dir: Path
    records: dict[str, list[RunRecord]]
    stats: list[DeviceStats] = field(default_factory=list)
    interrupted: bool = False
    stopped_by: str = ""  # "runs", "until-fail", "time", "interrupt"


def seed_base(cfg: Config, dev: DeviceConfig, seed: int | None) -> int | None:
    """The first run's lab seed on ``dev``; None for phones the harness cannot seed (real ones, lab iPhones)."""
    if not dev.lab or dev.platform != "android":
        return None
    if seed is not None:
        return seed
    return dev.seed if dev.seed is not None else cfg.lab.seed


def run_repro(plan: ReproPlan, console: Console) -> ReproResult:
    cfg = load_config(plan.devices_path)
    devs = devices_of(cfg, list(plan.devices))
    out_dir = plan.reports / "repro" / new_run_id()
    result = ReproResult(out_dir, {d.name: [] for d in devs})
    runs = plan.runs if plan.runs is not None or plan.until_fail or plan.for_s else DEFAULT_RUNS
    try:  # Ctrl-C at any point, the selection's check and the lab's start too, ends as an interrupted repro
        for dev in devs:
            check_selection(plan.test, plan.devices_path, dev, out_dir / "logs")
        with _lab_for(cfg, devs, console), _ctrl_c_noted() as pressed:
            _loop(plan, cfg, devs, runs, result, console, pressed)
    except KeyboardInterrupt:
        result.interrupted, result.stopped_by = True, "interrupt"
    result.stats = [device_stats(d.name, result.records[d.name]) for d in devs]
    _write_summary(plan, result, runs)
    print_stats(console, result.stats, result.interrupted)
    console.print(f"\nrepro folder: {out_dir} (summary.json, runs/, bundles/, logs/)")
    return result


@contextlib.contextmanager
def _ctrl_c_noted() -> Iterator[list[bool]]:
    """``[pressed]``: set by SIGINT, whose usual KeyboardInterrupt is raised as before. Untouched where SIGINT
    is ignored (a process started with it ignored) or off the main thread, where no handler can be set."""
    pressed = [False]
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield pressed
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        pressed[0] = True
        previous(signum, frame)

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _lab_for(cfg: Config, devs: list[DeviceConfig], console: Console) -> Iterator[None]:
    """Start the lab for lab phones unless it runs; stop it afterwards only if this repro started it."""
    started = False
    if any(d.lab for d in devs) and lab_state(cfg) is None:
        console.print("starting the virtual lab (it stays up for every run)")
        spawn_lab(cfg)
        started = True
    try:
        yield
    finally:
        if started:
            stop_lab(cfg)


def _loop(plan: ReproPlan, cfg: Config, devs: list[DeviceConfig], runs: int | None, result: ReproResult,
          console: Console, pressed: list[bool]) -> None:
    deadline = time.monotonic() + plan.for_s if plan.for_s else None
    bases = {d.name: seed_base(cfg, d, plan.seed) for d in devs}
    watches: dict[str, RunWatch] = {}
    with _progress(console, watches) as progress:
        tasks = {d.name: progress.add_task(d.name, total=runs, fails=0) for d in devs}
        index = 0
        while runs is None or index < runs:
            for dev in devs:
                if deadline is not None and time.monotonic() >= deadline:
                    result.stopped_by = "time"
                    return
                base = bases[dev.name]
                watches[dev.name] = RunWatch(result.out_dir / "runs" / _run_id(result, dev, index))
                rec, interrupted = _one_run(plan, cfg, dev, index, None if base is None else base + index, result)
                watches.pop(dev.name, None)
                result.records[dev.name].append(rec)
                failing = sum(r.failing for r in result.records[dev.name])
                progress.update(tasks[dev.name], advance=1, fails=failing)
                progress.console.print(describe_run(rec, runs))
                if interrupted or pressed[0]:
                    result.interrupted, result.stopped_by = True, "interrupt"
                    return
                if plan.until_fail and rec.failing:
                    result.stopped_by = "until-fail"
                    return
            index += 1
        result.stopped_by = "runs"


def _one_run(plan: ReproPlan, cfg: Config, dev: DeviceConfig, index: int, seed: int | None,
             result: ReproResult) -> tuple[RunRecord, bool]:
    run_id = _run_id(result, dev, index)
    runs_dir = result.out_dir / "runs"
    done = run_test(plan.test, dev.name, plan.devices_path, runs_dir, run_id, seed,
                    result.out_dir / "logs" / f"{run_id}.log")
    try:
        report = load_run(done.run_dir)
    except ReportError:
        report = None  # the session ended before the plugin opened the run (a collection error)
    rec = record_of(report, index=index, device=dev.name, seed=seed, run_id=run_id)
    if rec.failing:
        src = BundleSource(cfg, dev, plan.devices_path, plan.test, rec, done.run_dir, plan.bugreport)
        rec = _with_bundle(rec, write_bundle(result.out_dir / "bundles", src))
    return rec, done.interrupted


def _run_id(result: ReproResult, dev: DeviceConfig, index: int) -> str:
    return f"{result.out_dir.name}-{dev.name}-{index + 1:03d}"


def _with_bundle(rec: RunRecord, path: Path) -> RunRecord:
    return replace(rec, bundle=path)


@contextlib.contextmanager
def _progress(console: Console, watches: dict[str, RunWatch]) -> Iterator[Progress]:
    """A progress bar on the terminal, with what the current run does; pytest's output goes to each run's log
    meanwhile (with the plugin's plain progress lines)."""
    terminal = _terminal(console)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("failing runs: {task.fields[fails]}"), TimeElapsedColumn(), _NowColumn(watches),
                        console=terminal, redirect_stdout=False, redirect_stderr=False, transient=False,
                        refresh_per_second=2)
    try:
        with progress:
            yield progress
    finally:
        if terminal is not console:
            terminal.file.close()


class _NowColumn(ProgressColumn):
    """The phone's current run: its elapsed time and ETA, and the window it waits on (the plugin's progress)."""

    def __init__(self, watches: dict[str, RunWatch]) -> None:
        super().__init__()
        self.watches = watches

    def render(self, task: Task) -> Text:
        watch = self.watches.get(str(task.description))
        return Text(watch.text() if watch is not None else "", no_wrap=True, overflow="ellipsis", style="dim")


def _terminal(console: Console) -> Console:
    """A console on a duplicate of stdout's descriptor: pytest's fd capture cannot swallow it mid-test."""
    try:
        fd = os.dup(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return console
    stream = os.fdopen(fd, "w", buffering=1, encoding="utf-8", errors="replace")
    return Console(file=stream, highlight=False, width=console.width if not stream.isatty() else None)


def _write_summary(plan: ReproPlan, result: ReproResult, runs: int | None) -> None:
    result.out_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "test": plan.test, "devices": list(plan.devices), "devices_toml": plan.devices_path, "runs_asked": runs,
        "until_fail": plan.until_fail, "for_s": plan.for_s, "seed": plan.seed, "interrupted": result.interrupted,
        "stopped_by": result.stopped_by, "stats": [stats_json(s) for s in result.stats],
        "runs": [{"device": r.device, "run": r.index + 1, "seed": r.seed, "run_id": r.run_id, "outcome": r.outcome,
                  "killers": list(r.killers), "time_to_kill_s": r.time_to_kill_s,
                  "bundle": str(r.bundle) if r.bundle else None}
                 for recs in result.records.values() for r in recs],
    }
    (result.out_dir / "summary.json").write_text(json.dumps(data, indent=1) + "\n")
