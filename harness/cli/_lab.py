"""``harness lab up|down|status``: the virtual lab as a service on this machine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal

import typer

from harness.cli._common import DevicesOpt, exits, load, make_console
from harness.config import Config
from harness.config._roles import app_fingerprint
from harness.errors import ConfigError, LabError
from harness.labctl import lab_state, repair_adb_server, spawn_lab, state_dir, stop_lab
from harness.pool import leases

__all__ = ["lab_app"]

lab_app = typer.Typer(help="Start, stop and inspect the virtual lab.", no_args_is_help=True)
console = make_console(markup=False)  # it prints names, models and lease holders: user text, never markup
_READY_TIMEOUT_S = 60.0


def _print_status(status: dict[str, object]) -> None:
    console.print(f"lab pid {status['pid']}  adb server {status['adb_server']}")
    if status.get("usbmuxd"):
        console.print(f"usbmuxd {status['usbmuxd']}  (USBMUXD_SOCKET_ADDRESS for pymobiledevice3 / libimobiledevice)")
    if status.get("appium"):
        console.print(f"appium endpoint {status['appium']}  (WebDriver; UiAutomator2 / XCUITest sessions by udid)")
    if status.get("usb_hub"):
        console.print(f"usb hub API {status['usb_hub']}  (Cambrionix JSON-RPC: the iPhones' ports, docs/usb-power.md)")
    for dev in status["devices"]:  # type: ignore[attr-defined]
        where = dev.get("serial") or dev.get("udid") or ""
        note = "" if dev.get("served") else f"  ({dev.get('note', 'not served')})"
        console.print(f"  {dev['name']:<14} {dev['platform']:<8} {dev['model']:<12} {where}{note}")


def print_leases(cfg: Config) -> None:
    """Who holds which device right now (pytest runs lease phones through harness.pool)."""
    held = leases(state_dir(cfg) / "pool")
    if not held:
        console.print("leases: none")
        return
    console.print("leases:")
    for lease in held:
        console.print(f"  {lease.describe()}")


async def _serve(cfg: Config) -> None:
    from harness.lab.runner import Lab, write_state  # noqa: PLC0415 - only `harness lab up` imports the lab (tests/test_import_contract.py)

    lab = Lab(cfg)
    try:
        await lab.start()
    except BaseException:
        await lab.stop()  # a lab that failed half-way leaves nothing running: no adbd, no adb server it started
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    status = {**lab.status(), "app_fingerprint": app_fingerprint(cfg.app)}  # the [app] it models (plugin/_lab.py)
    write_state(state_dir(cfg), status)
    _print_status(status)
    console.print("lab is up; Ctrl-C stops it")
    try:
        await stop.wait()
    finally:
        await lab.stop()
        with contextlib.suppress(FileNotFoundError):
            (state_dir(cfg) / "lab.json").unlink()


def _refuse_another_app(cfg: Config, running: dict[str, object]) -> None:
    """The lab reads ``[app]`` only when it starts: a lab started from another ``[app]`` (a task added, another
    package) models that app, and a run against it would stop at its first cell (plugin/_lab.py). Say so here,
    where the user asked for a lab for this file, instead of "already running"."""
    theirs = running.get("app_fingerprint")
    if theirs is not None and theirs != app_fingerprint(cfg.app):
        raise LabError(f"{cfg.path}: the running lab (pid {running['pid']}) was started with another [app] than "
                       "this file's (it reads [app] only at start); restart it: `harness lab down` then "
                       "`harness lab up --detach`")


@lab_app.command("up")
@exits
def up(devices: str = DevicesOpt,
       detach: bool = typer.Option(False, "--detach", help="Run in the background (pidfile in the state dir)."),
       verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Serve every `lab = true` device of the config on loopback and attach them to the lab's adb server."""
    cfg = load(devices)
    if not any(dev.lab for dev in cfg.devices):
        raise ConfigError(cfg.path, "[[device]]", "no device has lab = true, so the lab would serve no phone",
                          "add lab = true (and lab_port) to the devices the lab should simulate")
    running = lab_state(cfg)
    if running is not None:
        repaired = repair_adb_server(cfg, running)
        console.print(f"lab already running (pid {running['pid']}); `harness lab status` shows it")
        if repaired:
            console.print(f"its adb server was gone: {repaired}")
        _refuse_another_app(cfg, running)
        return
    if detach:
        _print_status(spawn_lab(cfg))
        return
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(_serve(cfg))


@lab_app.command("down")
@exits
def down(devices: str = DevicesOpt) -> None:
    """Stop the background lab and disconnect its phones from the adb server."""
    cfg = load(devices)
    pid = stop_lab(cfg)
    console.print("no lab is running" if pid is None else f"lab stopped (pid {pid})")


@lab_app.command("status")
@exits
def status(devices: str = DevicesOpt, as_json: bool = typer.Option(False, "--json")) -> None:
    """Endpoints of the running lab: adb server, usbmuxd, the Appium endpoint, each phone's serial/UDID."""
    cfg = load(devices)
    state = lab_state(cfg)
    if as_json:
        print(json.dumps(state if state is not None else {"running": False}, indent=2))
    elif state is None:
        console.print("no lab is running (start it with `harness lab up --detach`)")
    else:
        _print_status(state)
        print_leases(cfg)
    if state is None:
        raise typer.Exit(3)
