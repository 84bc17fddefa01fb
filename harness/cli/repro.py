"""``harness repro TEST --device NAME``: run one scenario test many times and measure the kill rate."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from harness.cli._common import DevicesOpt, exits, make_console
from harness.errors import ConfigError

__all__ = ["parse_for", "repro_cmd"]

console = make_console()
CompareOpt = typer.Option([], "--compare", help="Also run on these phones, in turn, and compare "
                          "(repeatable, or comma-separated).")
_FOR = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_for(text: str) -> float:
    """``--for``: ``90`` (seconds), ``45s``, ``10m``, ``2h``, ``1h30m``."""
    text = text.strip()
    if text.isdigit():
        return float(text)
    m = _FOR.fullmatch(text)
    if not text or m is None or not any(m.groups()):
        raise ConfigError("--for", repr(text), "not a duration", "write it like 90, 45s, 10m, 2h or 1h30m")
    hours, minutes, seconds = (int(g or 0) for g in m.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


def _compare_list(values: list[str]) -> list[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


@exits
def repro_cmd(
    test: str = typer.Argument(..., help="The scenario test, e.g. scenarios/test_periodic_sync.py::test_name."),
    device: str = typer.Option(..., "--device", help="The phone to run it on (a devices.toml name)."),
    runs: int | None = typer.Option(None, "--runs", min=1, help="How many runs per phone (default 10, or "
                                    "unbounded with --until-fail / --for)."),
    until_fail: bool = typer.Option(False, "--until-fail", help="Stop at the first failing run."),
    for_: str | None = typer.Option(None, "--for", help="Stop starting runs after this long (90, 10m, 2h)."),
    compare: list[str] = CompareOpt,
    seed: int | None = typer.Option(None, "--seed", help="Lab phones: the first run's seed (run i gets seed+i); "
                                    "default: the phone's devices.toml seed."),
    bugreport: bool = typer.Option(False, "--bugreport", help="Add the phone's `adb bugreport` to each bug bundle."),
    devices: str = DevicesOpt,
    reports: str = typer.Option("reports", "--reports", help="Where the repro folder goes (reports/repro/<id>)."),
) -> None:
    """Run one scenario test again and again; print its fire and kill rates.

    Per phone: fire and kill rates with 95 % Wilson intervals, the killers seen and the time-to-kill
    distribution. Every failing run leaves a bug bundle (zip) holding the command that reproduces it.
    """
    from harness.repro import ReproPlan, run_repro  # noqa: PLC0415 - the repro runner (pytest, reports) loads only for `harness repro`

    plan = ReproPlan(test, (device, *_compare_list(compare)), devices, runs, until_fail,
                     parse_for(for_) if for_ is not None else None, seed, bugreport, Path(reports))
    result = run_repro(plan, console)
    if result.interrupted:
        raise typer.Exit(130)
    if not any(s.fired.n for s in result.stats):
        console.print("[red]no run reached a verdict[/] (errors or skips only): see the logs in the repro folder")
        raise typer.Exit(1)
