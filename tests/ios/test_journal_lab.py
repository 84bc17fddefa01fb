"""iPhone changes in the restore journal, against the virtual iPhones through the real clients: a fresh process
plugs back a phone a killed run left off USB (the hub cannot find a phone whose port is off, so the entry names
the port), and stops a simulated location; a test that plugs back itself leaves nothing to undo."""

from __future__ import annotations

from harness.ios import IOSDriver
from harness.journal import journal_for
from harness.journal.replay import restore_device
from harness.ui import AppiumProcessControl, UiDriver
from tests.ios.test_location_lab import _position
from tests.ios.test_usb_power_lab import _hub, _listed
from tests.labkit import RunningLab

PHONE = "iphone-15"


def test_a_fresh_process_plugs_back_a_phone_a_killed_run_left_unplugged(ios_lab: RunningLab) -> None:
    dev = ios_lab.cfg.device(PHONE)
    assert dev.udid is not None
    driver = IOSDriver.for_device(ios_lab.cfg, dev)
    driver.unplug()
    del driver  # the run dies with the phone off USB
    [entry] = journal_for(ios_lab.cfg, PHONE).pending()
    assert (entry.key, entry.undo.kind, entry.undo.args["mode"]) == ("hub port", "hub-port", "s")
    assert _hub(ios_lab).find(dev.udid.replace("-", "")) is None  # what a new driver could not have found

    assert restore_device(ios_lab.cfg, dev) == []
    assert _listed(ios_lab, dev.udid)
    assert IOSDriver.for_device(ios_lab.cfg, dev).usb_port_mode() == "s"
    assert journal_for(ios_lab.cfg, PHONE).pending() == []


def test_a_phone_plugged_back_by_the_test_leaves_nothing_to_undo(ios_lab: RunningLab) -> None:
    driver = IOSDriver.for_device(ios_lab.cfg, ios_lab.cfg.device(PHONE))
    driver.unplug(for_s=60)
    assert driver.journal.pending() == []
    assert driver.restore() == []
    assert [h.verb for h in driver.history] == ["unplug", "plug"]  # restore did not plug it again


def test_a_fresh_process_stops_a_simulated_location(ios_lab: RunningLab) -> None:
    dev = ios_lab.cfg.device("iphone-12")
    driver = IOSDriver.for_device(ios_lab.cfg, dev)
    driver.simulate_location(52.5, 5.25)
    driver.simulate_location(48.1, 11.6)  # one entry: stopping the simulation undoes both
    assert _position(ios_lab, "iphone-12") == (48.1, 11.6)
    assert [e.key for e in journal_for(ios_lab.cfg, "iphone-12").pending()] == ["location simulation"]
    del driver

    assert restore_device(ios_lab.cfg, dev) == []
    assert _position(ios_lab, "iphone-12") is None


def test_a_fresh_process_stops_a_location_simulated_through_xcuitest(ios_lab: RunningLab) -> None:
    dev = ios_lab.cfg.device("iphone-15")
    assert dev.process_control == "appium"
    ui = UiDriver(ios_lab.cfg, dev)
    try:
        IOSDriver.for_device(ios_lab.cfg, dev, appium=AppiumProcessControl(ui)).simulate_location(52.41, 5.32)
        assert _position(ios_lab, "iphone-15") == (52.41, 5.32)
    finally:
        ui.close()  # the run's Appium session ends with it

    assert restore_device(ios_lab.cfg, dev) == []  # through an Appium session of its own
    assert _position(ios_lab, "iphone-15") is None
