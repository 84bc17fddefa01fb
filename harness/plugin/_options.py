"""The plugin's command-line options and markers."""

from __future__ import annotations

from pathlib import Path

import pytest

__all__ = ["DEFAULT_DEVICES", "KILLER_OF_OEM", "MARKERS", "add_options", "devices_named"]

MARKERS = (
    "platform(*names): run only on devices of these platforms (android, ios)",
    "oem(*names): run only on devices of these OEMs (google, xiaomi, oppo, samsung, apple, …)",
    "tags(*names): run only on devices carrying all these tags",
    "known_kill(oem, reason): on this OEM the task is expected to be killed; the test records the kill and "
    "reports an expected kill, and fails strictly when the kill stops happening",
)

# Which killer (harness.logs attribution) stands for each OEM's battery manager.
KILLER_OF_OEM = {"xiaomi": "miui", "samsung": "samsung", "oppo": "oppo", "realme": "oppo", "oneplus": "oneplus",
                 "huawei": "huawei", "lenovo": "lenovo", "apple": "ios"}


DEFAULT_DEVICES = "devices.toml"


def devices_named(config: pytest.Config) -> bool:
    """Whether the run has a device pool to check up front: ``--devices`` given, or a devices.toml here.

    A project whose tests use no phone (and has no devices.toml) must still run; it learns of a missing
    file only when a test asks for a device.
    """
    path = config.getoption("--devices")
    return path != DEFAULT_DEVICES or Path(path).exists()


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("bgharness", "background-work harness")
    group.addoption("--devices", default=DEFAULT_DEVICES, help="the device pool (default: devices.toml)")
    group.addoption("--device", action="append", default=[], help="run on this device (repeatable)")
    group.addoption("--platform", action="append", default=[], help="only devices of this platform (repeatable)")
    group.addoption("--oem", action="append", default=[], help="only devices of this OEM (repeatable)")
    group.addoption("--tag", action="append", default=[], help="only devices with this tag (repeatable)")
    group.addoption("--lab", dest="lab", action="store_true", default=True,
                    help="start the virtual lab for lab devices when it is not running (default)")
    group.addoption("--no-lab", dest="lab", action="store_false", help="never start the virtual lab")
    group.addoption("--reports", default="reports", help="where run reports go (default: reports/)")
    group.addoption("--lease-timeout", type=float, default=60.0,
                    help="seconds without a heartbeat after which another run may take a device (default 60)")
    group.addoption("--lab-seed", type=int, default=None,
                    help="seed every lab Android phone's OEM policy randomness with this number at the start of "
                         "each test (setprop lab.seed), and record it in the results: the same seed reproduces "
                         "the same kills (default: the devices.toml seed, set when the lab starts)")
