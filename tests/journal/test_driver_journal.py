"""The Android driver journals each change before making it, and a fresh process puts the phone back from the
journal alone: against the lab, through the real adb server."""

from __future__ import annotations

from harness.android import AndroidDriver
from harness.journal import Undo, journal_for
from harness.journal.replay import replay_device, restore_device
from tests.labkit import RunningLab

PHONE = "pixel-8"
OP = "RUN_ANY_IN_BACKGROUND"
PKG = "com.example.courier"  # [app] android_package of the shipped devices.toml


def _driver(lab: RunningLab, name: str = PHONE) -> AndroidDriver:
    return AndroidDriver.for_device(lab.cfg, lab.cfg.device(name), timeout_s=20)


def _appops(lab: RunningLab, package: str, name: str = PHONE) -> str:
    return lab.shell(name, f"cmd appops get {package} {OP}").stdout


def test_the_entry_is_on_disk_when_the_phone_receives_the_change(lab: RunningLab) -> None:
    drv = _driver(lab)
    assert drv.package is not None
    path = journal_for(lab.cfg, PHONE).path
    assert path is not None
    seen: list[str] = []
    watching = [True]

    def on_change(package: str, op_name: str) -> None:  # runs in the lab, as the phone applies the change
        if watching[0] and package == drv.package:
            seen.append(path.read_text() if path.exists() else "")

    lab.call(lambda: lab.device(PHONE).appops.on_change(on_change))
    try:
        drv.restrict_background(True)
    finally:
        watching[0] = False
        problems = drv.restore()
    assert problems == []
    assert len(seen) == 1
    assert f'"key":"appops {drv.package} {OP}"' in seen[0]
    assert f"cmd appops set {drv.package} {OP} allow" in seen[0]


def test_a_new_process_puts_the_phone_back_from_the_journal_alone(lab: RunningLab) -> None:
    assert lab.cfg.app.android_package == PKG
    before_ops = _appops(lab, PKG)
    before_bucket = lab.shell(PHONE, f"am get-standby-bucket {PKG}").stdout
    drv = _driver(lab)
    drv.restrict_background(True)
    drv.unplug()
    drv.set_standby_bucket("rare")
    drv.set_standby_bucket("restricted")  # the second change keeps the undo to the original bucket
    drv.force_idle()
    assert "ignore" in _appops(lab, PKG)
    del drv  # the run dies here: no restore()

    result = replay_device(lab.cfg, lab.cfg.device(PHONE))
    assert result.problems == []
    assert [e.key for e in result.undone] == ["doze", f"bucket {PKG}", "battery",
                                              f"appops {PKG} {OP}"]
    assert _appops(lab, PKG) == before_ops
    assert lab.shell(PHONE, f"am get-standby-bucket {PKG}").stdout == before_bucket
    battery = _driver(lab).battery()
    assert battery.plugged and not battery.updates_stopped
    assert journal_for(lab.cfg, PHONE).pending() == []
    assert restore_device(lab.cfg, lab.cfg.device(PHONE)) == []  # nothing left: nothing to do


def test_an_undo_the_phone_refuses_stays_in_the_journal(lab: RunningLab) -> None:
    drv = _driver(lab, "xiaomi-13")
    drv.restrict_background(True, package=PKG)
    drv.journal.record("bogus", Undo.shell("cmd appops set com.example.not.installed RUN_ANY_IN_BACKGROUND allow"))
    problems = drv.restore()
    assert len(problems) == 1
    assert problems[0].startswith("bogus: [xiaomi-13] cmd appops set com.example.not.installed")
    assert "No UID for com.example.not.installed" in problems[0]
    assert "ignore" not in _appops(lab, PKG, "xiaomi-13")  # the rest was still undone
    [left] = journal_for(lab.cfg, "xiaomi-13").pending()
    assert left.key == "bogus"
    journal_for(lab.cfg, "xiaomi-13").forget("bogus")


def test_adding_an_app_already_on_the_doze_whitelist_changes_and_journals_nothing(lab: RunningLab) -> None:
    drv = _driver(lab, "oppo-find-x6")
    drv.whitelist_add()
    assert [e.key for e in drv.journal.pending()] == [f"whitelist {PKG}"]
    again = _driver(lab, "oppo-find-x6")
    again.whitelist_add()  # already exempt: the first entry stays the only one
    assert len(again.journal.pending()) == 1
    assert drv.restore() == []
    assert not drv.whitelisted()
