"""One driver shape (``harness.driver``): both drivers implement ``Driver``, keep one history record type, and the
pytest plugin loads no device client library until a test drives a phone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.android import AndroidDriver
from harness.driver import Driver, DriverCore, VerbRecord
from harness.ios import IOSDriver

PROTOCOL_METHODS = sorted(name for name, value in vars(Driver).items() if callable(value) and not name.startswith("_"))


def test_the_protocol_names_the_verbs_the_fixtures_use() -> None:
    assert PROTOCOL_METHODS == ["capture", "close", "device_time", "expect", "failure_artifacts", "guard", "health",
                                "installed", "restore", "snapshot"]


@pytest.mark.parametrize("driver", [AndroidDriver, IOSDriver])
def test_both_drivers_have_every_verb_of_the_protocol(driver: type[DriverCore]) -> None:
    assert issubclass(driver, DriverCore)
    missing = [name for name in PROTOCOL_METHODS if not callable(getattr(driver, name, None))]
    assert missing == []


def test_a_recorded_verb_is_history_even_when_it_fails() -> None:
    core = DriverCore("iphone-12", "com.example.courier", None)
    with core.recording("home", "home"):
        pass
    with pytest.raises(RuntimeError), core.recording("kill", "kill 412"):
        raise RuntimeError("the phone went away")
    assert [(r.verb, r.command, r.device, r.exit_code) for r in core.history] == [
        ("home", "home", "iphone-12", None), ("kill", "kill 412", "iphone-12", None)]
    assert all(isinstance(r, VerbRecord) and r.duration_s >= 0 for r in core.history)


def test_guards_run_before_each_action() -> None:
    core = DriverCore("pixel-8", None, None)
    seen: list[str] = []
    core.guards.append(seen.append)
    core.guard("dumpsys battery")
    assert seen == ["dumpsys battery"]


def test_loading_the_plugin_loads_no_device_client() -> None:
    """pytest loads the plugin in every run where the package is installed: no pymobiledevice3, ppadb or Appium
    until a test asks for a phone (measured: 1134 modules and ~760 ms before, 459 and ~230 ms after)."""
    heavy = ("pymobiledevice3", "ppadb", "appium", "selenium", "harness.android", "harness.ios", "harness.ui")
    code = f"import sys, harness.plugin; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
