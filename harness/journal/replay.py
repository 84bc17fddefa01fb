"""Putting a phone back from its journal in a process that did not make the changes.

Used when a phone is leased (the ``device`` fixture, before its health check), by ``harness restore``, and
for a crashed xdist worker's phone. It builds the platform's driver from the config and lets it carry out
each pending entry, newest first. Kept out of ``harness.journal``'s ``__init__``: the drivers import the
journal, and this module imports the drivers.
"""

from __future__ import annotations

import contextlib
import logging

from harness.config import Config, DeviceConfig
from harness.errors import HarnessError
from harness.journal import Replay, journal_for

__all__ = ["replay_device", "restore_device"]

log = logging.getLogger("harness.journal")


def replay_device(cfg: Config, dev: DeviceConfig, timeout_s: float = 20.0) -> Replay:
    """Undo every pending entry of ``dev``'s journal; what was undone and what could not be."""
    pending = journal_for(cfg, dev.name).pending()
    if not pending:
        return Replay([], [], [])
    log.info("[%s] the journal holds %d change(s) to undo", dev.name, len(pending))
    try:
        if dev.platform == "android":
            from harness.android import AndroidDriver  # noqa: PLC0415 - ppadb loads only when a journal holds changes

            android = AndroidDriver.for_device(cfg, dev, timeout_s)
            result = android.journal.replay(android.undo)
        else:
            result = _replay_ios(cfg, dev, timeout_s, needs_appium=any(e.undo.kind == "location" for e in pending))
    except HarnessError as exc:  # no driver at all (a config problem): nothing was undone
        return Replay([], [f"{e.key}: {exc}" for e in pending], pending)
    for entry in result.undone:
        log.warning("[%s] put back %s (changed by %s, never undone)", dev.name, entry.describe(), entry.by)
    return result


def restore_device(cfg: Config, dev: DeviceConfig, timeout_s: float = 20.0) -> list[str]:
    """Put ``dev`` back from its journal; returns the problems (empty when the phone is as it was)."""
    return replay_device(cfg, dev, timeout_s).problems


def _replay_ios(cfg: Config, dev: DeviceConfig, timeout_s: float, *, needs_appium: bool) -> Replay:
    ui = None
    appium = None
    if needs_appium and dev.process_control == "appium":  # the location was simulated through XCUITest
        from harness.ui import AppiumProcessControl, UiDriver  # noqa: PLC0415 - Appium only for an Appium iPhone

        ui = UiDriver(cfg, dev)
        appium = AppiumProcessControl(ui)
    from harness.ios import IOSDriver  # noqa: PLC0415 - pymobiledevice3 loads only when a journal holds changes

    try:
        ios = IOSDriver.for_device(cfg, dev, timeout_s, appium=appium)
        return ios.journal.replay(ios.undo)
    finally:
        if ui is not None:
            with contextlib.suppress(HarnessError):  # the session may never have opened
                ui.close()
