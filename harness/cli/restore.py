"""``harness restore DEVICE|--all``: put phones back from their restore journals, by hand.

What a run changes on a phone is journaled before it is changed (harness.journal); a run killed before its
teardown leaves the entries pending, and the phone's next lease replays them. This command does the same
without a test run, e.g. before handing a phone back to a person. It leases each phone while it works, so it
never undoes what a running test has just done.
"""

from __future__ import annotations

import time

import typer
from rich.markup import escape

from harness.cli._common import DevicesOpt, exits, load, make_console
from harness.config import Config, DeviceConfig
from harness.errors import ConfigError, HarnessError
from harness.journal import Replay, journal_for
from harness.journal.replay import replay_device
from harness.labctl import state_dir
from harness.pool import Pool

__all__ = ["restore_cmd"]

console = make_console()


@exits
def restore_cmd(
    device: str | None = typer.Argument(None, help="The phone to put back (a name in devices.toml)."),
    every: bool = typer.Option(False, "--all", help="Every phone in devices.toml."),
    devices: str = DevicesOpt,
    wait: float = typer.Option(10.0, "--wait", min=0, help="Seconds to wait for a phone a test holds."),
) -> None:
    """Undo what earlier runs left changed on a phone (background restriction, battery, Doze, device_config,
    hub port power, location mocks), newest change first. Exit 1 if anything could not be undone."""
    cfg = load(devices)
    chosen = _chosen(cfg, device, every)
    results = [(dev, _restore_one(cfg, dev, wait)) for dev in chosen]
    for dev, result in results:
        _print(dev, result)
    raise typer.Exit(1 if any(result.problems for _, result in results) else 0)


def _chosen(cfg: Config, device: str | None, every: bool) -> list[DeviceConfig]:
    if every == (device is not None):
        raise ConfigError(cfg.path, "harness restore", "name one phone or give --all",
                          "e.g. `harness restore pixel-8` or `harness restore --all`")
    if every:
        return list(cfg.devices)
    known = {d.name: d for d in cfg.devices}
    if device not in known:
        raise ConfigError(cfg.path, "harness restore", f"no device named {device!r}",
                          f"configured: {', '.join(known) or 'none'}")
    return [known[device]]


def _restore_one(cfg: Config, dev: DeviceConfig, wait_s: float) -> Replay:
    from harness.farm import farm_store  # noqa: PLC0415 - psycopg loads only when a farm URL is set

    if not journal_for(cfg, dev.name).pending():
        return Replay([], [], [])
    # The same lease store as the runs' (a farm's PostgreSQL when one is configured), so a phone a test holds is
    # waited for, not undone under it.
    pool = Pool(state_dir(cfg) / "pool", f"restore-{int(time.time())}", store=farm_store(cfg))
    try:
        with pool.acquire(dev, wait_s, holder="harness restore"):
            return replay_device(cfg, dev)
    except HarnessError as exc:  # held by a test, or the pool is stuck: nothing was undone
        return Replay([], [str(exc)], journal_for(cfg, dev.name).pending())
    finally:
        pool.close()


def _print(dev: DeviceConfig, result: Replay) -> None:
    if not result.undone and not result.problems:
        console.print(f"{escape(dev.name)}: nothing to put back")
        return
    if result.undone:
        console.print(f"{escape(dev.name)}: put back {len(result.undone)} change(s)")
        for entry in result.undone:
            console.print(f"  [green]undone[/] {escape(entry.key)}: {escape(entry.undo.describe())}"
                          f"  (changed by {escape(entry.by)})")
    if result.problems:
        console.print(f"{escape(dev.name)}: [red]could not put back[/] {len(result.failed)} change(s)")
        for problem in result.problems:
            console.print(f"  [red]failed[/] {escape(problem)}", soft_wrap=True)
