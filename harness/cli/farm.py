"""``harness farm status|book|release|log|import``: the shared farm by hand (docs/farm.md).

Every command needs a farm URL: ``HARNESS_FARM_URL`` or ``[farm] url`` in ``devices.toml``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from harness.cli._common import DevicesOpt, exits
from harness.config import Config, load_config
from harness.config._farm import FarmConfig, farm_url
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.farm import PgLeaseStore

__all__ = ["farm_app", "parse_duration"]

farm_app = typer.Typer(help="The shared device farm: who holds which phone, bookings, overrides, history.",
                       no_args_is_help=True)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_duration(text: str) -> float:
    """``2h``, ``90m``, ``1h30m``, ``45s``, or plain seconds, in seconds."""
    cleaned = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        return float(cleaned)
    if not cleaned or _PART.sub("", cleaned):
        raise typer.BadParameter(f"{text!r} is not a duration: use e.g. 2h, 90m, 1h30m or 45s")
    return sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned))


def _config(devices: str) -> Config | None:
    """devices.toml when it is there (for its [farm] url and its device names); the environment may do alone."""
    return load_config(devices) if Path(devices).exists() else None


def _url(cfg: Config | None) -> str:
    url = farm_url(cfg)
    if url is None:
        raise HarnessError("no farm configured: set HARNESS_FARM_URL=postgresql://... or add [farm] url = \"...\" "
                           "to devices.toml (docs/farm.md)")
    return url


def _store(devices: str) -> tuple[Config | None, PgLeaseStore]:
    from harness.farm import PgLeaseStore  # noqa: PLC0415 - psycopg loads only for farm commands

    cfg = _config(devices)
    farm = cfg.farm if cfg is not None else FarmConfig()
    return cfg, PgLeaseStore(_url(cfg), quarantine_s=farm.quarantine_s)


def _show(value: object) -> str:
    return "-" if value is None else str(value)


@farm_app.command("status")
@exits
def status_cmd(devices: str = DevicesOpt,
               as_json: bool = typer.Option(False, "--json", help="A JSON array of rows with exactly the keys name, "
                                            "state, owner, run, test, since, expiry, token.")) -> None:
    """Every phone: free, leased, booked, quarantined or offline, and who holds it since when, until when."""
    from harness.farm import status  # noqa: PLC0415 - psycopg loads only for farm commands

    cfg, store = _store(devices)
    try:
        rows = status(store, [d.name for d in cfg.devices] if cfg else [])
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in rows], indent=1))
        return
    typer.echo(f"farm {store.where}")
    for r in rows:
        typer.echo(f"  {r.name:<16} {r.state:<11} token {_show(r.token):<5} {_show(r.owner):<24} run {_show(r.run)}  "
                   f"test {_show(r.test)}  since {_show(r.since)}  until {_show(r.expiry)}"
                   + (f"\n    {r.detail}" if r.detail else ""))


@farm_app.command("book")
@exits
def book_cmd(device: str = typer.Argument(..., help="The phone's name."),
             duration: str = typer.Option(..., "--for", help="How long: 2h, 90m, 1h30m."),
             note: str = typer.Option(..., "--note", help="What for; shown to everyone in `farm status`."),
             wait: str = typer.Option("0", "--wait", help="Wait this long for your turn if it is busy (e.g. 10m)."),
             devices: str = DevicesOpt) -> None:
    """Reserve a phone for yourself (manual debugging); prints its fencing token."""
    from harness.farm import book  # noqa: PLC0415 - psycopg loads only for farm commands

    _, store = _store(devices)
    try:
        record = book(store, device, parse_duration(duration), note, wait_s=parse_duration(wait))
    finally:
        store.close()
    typer.echo(record.fence)


@farm_app.command("release")
@exits
def release_cmd(device: str = typer.Argument(..., help="The phone's name."),
                force: bool = typer.Option(False, "--force", help="Release anyone's lease or booking (and lift a "
                                                                  "quarantine); needs --reason; audited."),
                reason: str | None = typer.Option(None, "--reason", help="Why, for the audit log."),
                devices: str = DevicesOpt) -> None:
    """Release your own lease or booking of a phone (anyone's with --force --reason)."""
    from harness.farm import release  # noqa: PLC0415 - psycopg loads only for farm commands

    _, store = _store(devices)
    try:
        typer.echo(release(store, device, force=force, reason=reason))
    finally:
        store.close()


@farm_app.command("log")
@exits
def log_cmd(device: str | None = typer.Option(None, "--device", help="Only this phone."),
            last: int = typer.Option(50, "--last", min=1, help="How many rows (newest)."),
            as_json: bool = typer.Option(False, "--json", help="JSON rows."),
            devices: str = DevicesOpt) -> None:
    """The audit log: bookings, releases, forced releases with their reasons, quarantines, expired leases."""
    from harness.farm import audit_log  # noqa: PLC0415 - psycopg loads only for farm commands

    _, store = _store(devices)
    try:
        rows = audit_log(store, last, device)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], indent=1))
        return
    for r in rows:
        typer.echo(f"{r.at}  {r.actor:<20} {r.action:<14} {_show(r.device):<14} token {_show(r.token):<5} "
                   f"reason {_show(r.reason)}" + (f"\n    ended: {r.previous}" if r.previous else ""))


@farm_app.command("import")
@exits
def import_cmd(path: str = typer.Argument(..., help="A history database, e.g. reports/history.sqlite."),
               devices: str = DevicesOpt) -> None:
    """Copy a controller's history.sqlite into the farm (runs already there are replaced, not doubled)."""
    from harness.farm import import_sqlite  # noqa: PLC0415 - psycopg loads only for farm commands

    counts = import_sqlite(_url(_config(devices)), Path(path))
    typer.echo(f"imported {counts.runs} run(s), {counts.results} result(s), {counts.quarantined} quarantine(s) "
               f"from {path}")
