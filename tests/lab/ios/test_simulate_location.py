"""Location simulation on the virtual iPhone: the ``com.apple.dt.simulatelocation`` framing (byte by byte, as
pymobiledevice3 and idevicesetlocation send it) and the OS model's crossings (the 20 s dwell, exits,
unmonitored regions)."""

from __future__ import annotations

import struct

import pytest

from harness.config import AppConfig, TaskConfig
from harness.contracts.geofence import AWAY, GEOFENCE_ARGUMENT, region_center
from harness.lab.clock import ManualClock
from harness.lab.ios import IPhoneIdentity, VirtualIPhone
from harness.lab.ios.os import IOSModel, attach_system, bundle_for
from harness.lab.ios.simulate_location import Command, SimulateLocationDecoder, SimulateLocationError


def start(lat: str, lng: str) -> bytes:
    """What ``DtSimulateLocation.set`` writes: mode 0, then each coordinate as ``str(float)`` with its length."""
    return struct.pack(">I", 0) + b"".join(struct.pack(">I", len(v)) + v.encode() for v in (lat, lng))


STOP = struct.pack(">I", 1)


@pytest.mark.parametrize(
    ("wire", "commands"),
    [(start("52.4", "5.3"), [Command(52.4, 5.3)]),
     (start("-33.8688", "151.2093") + STOP, [Command(-33.8688, 151.2093), Command(None)]),
     (STOP + STOP, [Command(None), Command(None)]),
     (start("1e-3", "-0.0"), [Command(0.001, -0.0)])],
)
def test_decoder_whole_and_byte_at_a_time(wire: bytes, commands: list[Command]) -> None:
    assert SimulateLocationDecoder().feed(wire) == commands
    decoder = SimulateLocationDecoder()
    got: list[Command] = []
    for i in range(len(wire)):
        got += decoder.feed(wire[i : i + 1])
    assert got == commands


@pytest.mark.parametrize(
    ("wire", "error"),
    [(struct.pack(">I", 7), "unknown mode 7"),
     (struct.pack(">II", 0, 4096), "a coordinate of 4096 bytes"),
     (start("north", "5.3"), "not a coordinate")],
)
def test_decoder_refuses_what_it_cannot_read(wire: bytes, error: str) -> None:
    with pytest.raises(SimulateLocationError, match=error):
        SimulateLocationDecoder().feed(wire)


BUNDLE = "com.example.courier"
APP = AppConfig(name="Courier", ios_bundle_id=BUNDLE, tasks=(TaskConfig("depot-geofence", "geofence", duration_s=1),))


def make(regions: int) -> tuple[IOSModel, VirtualIPhone, ManualClock]:
    clock = ManualClock()
    phone = VirtualIPhone(IPhoneIdentity("iphone-12", "00008101-000A1D2C3E4F001E", "iPhone13,2", "16.7.10"), clock,
                          [bundle_for(APP)])
    model = attach_system(phone, APP, seed=3)
    model.set_location_authorization(BUNDLE, "always")
    model.simulate_location(*AWAY)
    model.launch(BUNDLE, arguments=[GEOFENCE_ARGUMENT, str(regions)])
    model.press_home()
    return model, phone, clock


def runs(phone: VirtualIPhone, since: int = 0) -> int:
    return sum("task_start task=depot-geofence " in e.message for e in phone.syslog.entries(since))


def test_a_crossing_is_reported_after_the_dwell_and_an_exit_too() -> None:
    model, phone, clock = make(3)
    model.simulate_location(*region_center(2))
    clock.advance(19)
    assert runs(phone) == 0
    clock.advance(15)
    assert runs(phone) == 1
    model.simulate_location(*AWAY)
    clock.advance(30)
    assert runs(phone) == 2


def test_going_back_within_the_dwell_reports_nothing() -> None:
    model, phone, clock = make(3)
    model.simulate_location(*region_center(1))
    clock.advance(10)
    model.simulate_location(*AWAY)
    clock.advance(60)
    assert runs(phone) == 0


def test_only_monitored_regions_cross_and_stopping_the_simulation_reports_nothing() -> None:
    model, phone, clock = make(25)
    model.simulate_location(*region_center(24))  # refused past the 20th: never monitored
    clock.advance(60)
    assert runs(phone) == 0
    model.simulate_location(*region_center(19))
    clock.advance(60)
    assert runs(phone) == 1
    model.simulate_location(None)  # back to the real position, which the lab does not know
    clock.advance(60)
    assert runs(phone) == 1 and model.location.position is None
