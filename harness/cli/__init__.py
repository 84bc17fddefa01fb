"""The ``harness`` command: ``devices``, ``doctor``, ``lab``, ``logs``, ``demo``, ``report``, ``repro``, ``nightly``."""

from __future__ import annotations

import sys

import typer

from harness.cli._common import DevicesOpt, exits
from harness.cli._devices import devices_cmd
from harness.cli._doctor import doctor_cmd
from harness.cli._lab import lab_app
from harness.cli._report import report_app
from harness.cli.farm import farm_app
from harness.cli.nightly import nightly_cmd
from harness.cli.plan import plan_cmd
from harness.cli.repro import repro_cmd
from harness.cli.restore import restore_cmd

__all__ = ["app", "main"]

app = typer.Typer(help="Test whether an app's background work really runs on the phones its users own.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(lab_app, name="lab")
app.add_typer(report_app, name="report")
app.add_typer(farm_app, name="farm")
app.command("devices")(devices_cmd)
app.command("doctor")(doctor_cmd)
app.command("repro")(repro_cmd)
app.command("nightly")(nightly_cmd)
app.command("restore")(restore_cmd)
app.command("plan", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(plan_cmd)


@app.command("logs")
def logs_cmd(path: str = typer.Argument(..., help="A logcat capture, a dumpsys jobscheduler/deviceidle dump, or an "
                                               "iPhone log (idevicesyslog, pymobiledevice3 syslog, Console export)."),
             package: str | None = typer.Option(None, "--package", help="Only events of this package."),
             as_json: bool = typer.Option(False, "--json", help="One JSON object per line.")) -> None:
    """Print the timeline of background-relevant events in a capture (offline; no phone needed)."""
    from harness.logs.cli_logs import run_logs  # noqa: PLC0415 - the CLI loads a command's dependencies when it runs

    raise typer.Exit(run_logs(path, package, as_json, sys.stdout, sys.stderr))


@app.command("demo")
@exits
def demo_cmd(devices: str = DevicesOpt,
             workers: int | None = typer.Option(None, "--workers", "-n", min=1,
                                                help="Phones tested in parallel (default: one per phone)"),
             tier: str | None = typer.Option(None, "--tier", help="quick, full or soak: run that tier and every "
                                             "shorter one (default: every cell)")) -> None:
    """Bring up the virtual lab (if needed), run the scenario catalogue on every phone and print the survival matrix."""
    from harness.cli._demo import run_demo  # noqa: PLC0415 - the demo (the lab, pytest) loads only for `harness demo`

    raise typer.Exit(run_demo(devices, workers, tier))


def main() -> None:
    app()
