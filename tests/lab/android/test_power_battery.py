"""``dumpsys battery`` / ``cmd battery``, the screen keys and ``dumpsys power`` through the real adb CLI.

Texts are BatteryService's and PowerManagerService's (reference android.md §1.8): silence on success, a sequence
number with ``-f``, status 255 for the -1 results. Lab phones sit on USB power with the screen on; each test
restores that (battery reset, screen woken).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.labkit import RunningLab, Shell

PHONE = "pixel-8"
DUMP_KEYS = ["AC powered", "USB powered", "Wireless powered", "Dock powered", "Max charging current",
             "Max charging voltage", "Charge counter", "status", "health", "present", "level", "scale", "voltage",
             "temperature", "technology", "Charging state", "Charging policy"]


@pytest.fixture
def phone(lab: RunningLab) -> Iterator[str]:
    lab.shell(PHONE, "dumpsys battery reset; input keyevent 224")  # the lab is shared: start from a known state
    yield PHONE
    lab.shell(PHONE, "dumpsys battery reset; input keyevent 224")
    assert lab.shell(PHONE, "cmd battery get usb; dumpsys deviceidle get screen").stdout == "true\ntrue\n"


def run(lab: RunningLab, command: str) -> Shell:
    return lab.shell(PHONE, command)


@pytest.mark.parametrize("name", ["pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23"])
def test_lab_phones_sit_on_usb_power_at_80_percent(lab: RunningLab, name: str) -> None:
    # `reset` returns to the hardware's values: on a shared lab some other test may have unplugged the phone.
    out = lab.shell(name, "dumpsys battery reset; dumpsys battery").stdout
    lines = out.splitlines()
    assert lines[0] == "Current Battery Service state:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == DUMP_KEYS
    assert {"  AC powered: false", "  USB powered: true", "  status: 2", "  level: 80", "  scale: 100",
            "  present: true"} <= set(lines)
    assert lab.shell(name, "dumpsys deviceidle get charging").stdout == "true\n"


def test_unplug_is_silent_freezes_updates_and_stops_charging(lab: RunningLab, phone: str) -> None:
    unplug = run(lab, "dumpsys battery unplug")
    assert (unplug.stdout, unplug.stderr, unplug.code) == ("", "", 0)
    lines = run(lab, "dumpsys battery").stdout.splitlines()
    assert lines[1] == "  (UPDATES STOPPED -- use 'reset' to restart)"
    assert lines[2:6] == ["  AC powered: false", "  USB powered: false", "  Wireless powered: false",
                          "  Dock powered: false"]
    assert "  status: 2" in lines  # unplug only clears the charger flags, as on a real phone
    assert run(lab, "dumpsys deviceidle get charging").stdout == "false\n"
    assert not lab.device(phone).power.charging()
    assert run(lab, "dumpsys battery reset").stdout == ""
    assert "UPDATES STOPPED" not in run(lab, "dumpsys battery").stdout
    assert run(lab, "dumpsys deviceidle get charging").stdout == "true\n"


def test_set_and_get_properties(lab: RunningLab, phone: str) -> None:
    out = run(lab, "cmd battery set level 42; cmd battery set ac 1; cmd battery get level; cmd battery get ac; "
                   "cmd battery get status; cmd battery get invalid")
    assert (out.stdout, out.code) == ("42\ntrue\n2\n0\n", 0)
    assert "\n  mBatteryLevel=42\n" in run(lab, "dumpsys power").stdout
    assert lab.device(phone).power.battery_level() == 42


def test_dash_f_prints_the_new_sequence_number(lab: RunningLab, phone: str) -> None:
    out = run(lab, "cmd battery set -f level 55; cmd battery unplug -f; cmd battery reset -f; cmd battery reset -f")
    numbers = [int(n) for n in out.stdout.split()]
    assert len(numbers) == 3  # a reset with nothing frozen prints nothing, even with -f
    assert numbers[1:] == [numbers[0] + 1, numbers[0] + 2]


@pytest.mark.parametrize(
    ("command", "stdout", "code"),
    [
        ("cmd battery get", "No property specified\n", 255),
        ("cmd battery set", "No property specified\n", 255),
        ("cmd battery set level", "No value specified\n", 255),
        ("cmd battery set foo 1", "Unknown set option: foo\n", 0),
        ("cmd battery set level high", "Bad value: high\n", 255),
        ("cmd battery set level 4.5", "Bad value: 4.5\n", 255),
        ("cmd battery get foo", "Unknown get option: foo\n", 0),
        ("cmd battery frob", "Unknown command: frob\n", 255),
        ("dumpsys battery frob", "Unknown command: frob\n", 0),
    ],
)
def test_bad_input_gets_androids_text_and_status(lab: RunningLab, phone: str, command: str, stdout: str,
                                                 code: int) -> None:
    result = run(lab, command)
    assert (result.stdout, result.stderr, result.code) == (stdout, "", code)
    assert "UPDATES STOPPED" not in run(lab, "dumpsys battery").stdout  # a failed set froze nothing


@pytest.mark.parametrize(("command", "code"), [("cmd battery", 255), ("cmd battery help", 255),
                                                ("dumpsys battery -h", 0)])
def test_help(lab: RunningLab, phone: str, command: str, code: int) -> None:
    result = run(lab, command)
    assert result.code == code
    assert result.stdout.startswith("Battery service (battery) commands:\n  help\n    Print this help text.\n")
    assert "  unplug [-f]\n    Force battery unplugged, freezing battery state.\n" in result.stdout


def test_power_key_toggles_the_screen_and_dumpsys_power_shows_it(lab: RunningLab, phone: str) -> None:
    before = run(lab, "dumpsys power").stdout
    assert before.startswith("POWER MANAGER (dumpsys power)\n\nPower Manager State:\n")
    assert "\n  mWakefulness=Awake\n" in before and "\nDisplay Power: state=ON\n" in before
    off = run(lab, "input keyevent 26; dumpsys power; dumpsys deviceidle get screen").stdout
    assert "\n  mWakefulness=Asleep\n" in off and "\nDisplay Power: state=OFF\n" in off
    assert off.endswith("false\n") and not lab.device(phone).power.screen_on
    on = run(lab, "input keyevent KEYCODE_POWER; dumpsys power | grep -E 'mWakefulness=|Display Power'").stdout
    assert on == "  mWakefulness=Awake\nDisplay Power: state=ON\n"


def test_sleep_and_wakeup_keys_only_go_one_way(lab: RunningLab, phone: str) -> None:
    out = run(lab, "input keyevent 224; dumpsys deviceidle get screen; input keyevent 223; input keyevent 223; "
                   "dumpsys deviceidle get screen; input keyevent 224; input keyevent 224; "
                   "dumpsys deviceidle get screen").stdout
    assert out == "true\nfalse\ntrue\n"


def test_screen_changes_are_logged_as_power_manager_service_does(lab: RunningLab, phone: str) -> None:
    run(lab, "logcat -c; input keyevent 26; input keyevent 26")
    lines = run(lab, "logcat -d -s PowerManagerService").stdout
    assert re.search(r" I PowerManagerService: Going to sleep due to power_button \(uid 1000\)\.\.\.\n", lines)
    assert re.search(r" I PowerManagerService: Waking up from Asleep \(uid=1000, reason=WAKE_REASON_POWER_BUTTON, "
                     r"details=android\.policy:POWER\)\.\.\.\n", lines), lines


def test_battery_changes_are_logged_to_the_events_buffer(lab: RunningLab, phone: str) -> None:
    run(lab, "logcat -c; dumpsys battery unplug; dumpsys battery set level 33")
    events = run(lab, "logcat -b events -d").stdout
    assert re.search(r" I battery_status: \[2,2,1,0,Li-ion\]\n", events), events
    assert re.search(r" I battery_level: \[33,4123,250\]\n", events), events


def test_pure_python_adb_sees_the_same_dump(lab: RunningLab, phone: str) -> None:
    device = lab.ppadb(PHONE)
    assert device.shell("dumpsys battery") == run(lab, "dumpsys battery").stdout
    assert device.shell("dumpsys deviceidle get charging") == "true\n"
