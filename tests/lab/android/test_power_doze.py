"""``dumpsys deviceidle`` / ``cmd deviceidle`` through Google's adb CLI against the virtual phones.

Expected texts and statuses are DeviceIdleController's (Android 15-era tree, reference android.md §1.2-1.7).
The lab clock runs 600× (an hour of device time is 6 s), so every sequence whose intermediate states matter is
sent as one shell line, which the phone runs without letting timers in between. Each test puts the phone back:
screen on, battery reset, Doze unforced and enabled, allowlists as they were.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.labkit import RunningLab, Shell

PHONE = "pixel-8"
RESTORE = ("input keyevent 224; dumpsys battery reset; dumpsys deviceidle unforce; dumpsys deviceidle enable all; "
           "cmd deviceidle whitelist -com.android.chrome; cmd deviceidle tempwhitelist -r com.android.chrome")


@pytest.fixture
def phone(lab: RunningLab) -> Iterator[str]:
    lab.shell(PHONE, RESTORE)  # the lab is shared: start from a known state whatever ran before
    yield PHONE
    lab.shell(PHONE, RESTORE)
    assert lab.shell(PHONE, "dumpsys deviceidle get deep; dumpsys deviceidle get light").stdout == "ACTIVE\nACTIVE\n"


def run(lab: RunningLab, command: str) -> Shell:
    return lab.shell(PHONE, command)


def test_the_doze_recipe_unplug_force_idle_unforce_reset(lab: RunningLab, phone: str) -> None:
    assert (run(lab, "dumpsys battery unplug").stdout, run(lab, "dumpsys battery unplug").code) == ("", 0)
    assert run(lab, "dumpsys deviceidle force-idle").stdout == "Now forced in to deep idle mode\n"
    assert run(lab, "dumpsys deviceidle get deep").stdout == "IDLE\n"
    assert run(lab, "dumpsys deviceidle get light").stdout == "OVERRIDE\n"
    assert run(lab, "dumpsys deviceidle get force").stdout == "true\n"
    assert "  mState=IDLE mLightState=OVERRIDE\n" in run(lab, "dumpsys deviceidle").stdout
    assert lab.device(phone).power.dozing()
    unforce = run(lab, "dumpsys deviceidle unforce")
    # The screen is on, so exitForceIdleLocked() makes the device active again.
    assert unforce.stdout == ("Light state: ACTIVE, deep state: ACTIVE\n"
                              "mForceModeManagerQuickDozeRequest: false\nmForceModeManagerOffBodyState: false\n")
    assert run(lab, "dumpsys battery reset").stdout == ""
    assert run(lab, "dumpsys deviceidle get charging").stdout == "true\n"


def test_force_idle_succeeds_while_charging_with_the_screen_on(lab: RunningLab, phone: str) -> None:
    state = run(lab, "cmd deviceidle get charging; cmd deviceidle get screen").stdout
    assert state == "true\ntrue\n"
    forced = run(lab, "cmd deviceidle force-idle deep; cmd deviceidle get deep")
    assert (forced.stdout, forced.code) == ("Now forced in to deep idle mode\nIDLE\n", 0)
    unforce = run(lab, "cmd deviceidle unforce; cmd deviceidle get deep")
    assert unforce.stdout.splitlines()[0] == "Light state: ACTIVE, deep state: ACTIVE"
    assert unforce.stdout.splitlines()[-1] == "ACTIVE"


def test_step_never_leaves_active_while_charging_with_the_screen_on(lab: RunningLab, phone: str) -> None:
    out = run(lab, "dumpsys deviceidle step; dumpsys deviceidle step light").stdout
    assert out == "Stepped to deep: ACTIVE\nStepped to light: ACTIVE\n"


def test_deep_steps_through_every_state_once_unplugged_with_the_screen_off(lab: RunningLab, phone: str) -> None:
    steps = "; ".join(["dumpsys deviceidle step"] * 6)
    out = run(lab, f"input keyevent 223; dumpsys battery unplug; dumpsys deviceidle get deep; {steps}").stdout
    assert out.splitlines() == ["INACTIVE", "Stepped to deep: IDLE_PENDING", "Stepped to deep: SENSING",
                                "Stepped to deep: LOCATING", "Stepped to deep: IDLE",
                                "Stepped to deep: IDLE_MAINTENANCE", "Stepped to deep: IDLE"]


def test_force_inactive_then_light_steps_idle_maintenance_idle(lab: RunningLab, phone: str) -> None:
    out = run(lab, "dumpsys battery unplug; dumpsys deviceidle force-inactive; dumpsys deviceidle step light; "
                   "dumpsys deviceidle step light; dumpsys deviceidle step light; dumpsys deviceidle step deep").stdout
    assert out.splitlines() == ["Light state: INACTIVE, deep state: INACTIVE", "Stepped to light: IDLE",
                                "Stepped to light: IDLE_MAINTENANCE", "Stepped to light: IDLE",
                                "Stepped to deep: IDLE_PENDING"]


def test_force_idle_light_and_its_failure_once_deep_idle_overrides_it(lab: RunningLab, phone: str) -> None:
    light = run(lab, "cmd deviceidle force-idle light; cmd deviceidle get light; cmd deviceidle get deep")
    assert light.stdout == "Now forced in to light idle mode\nIDLE\nINACTIVE\n"
    run(lab, "cmd deviceidle force-idle")
    failed = run(lab, "cmd deviceidle force-idle light")
    assert (failed.stdout, failed.code) == ("Unable to go light idle; stopped at OVERRIDE\n", 255)
    assert run(lab, "cmd deviceidle get force").stdout == "false\n"  # a failed force-idle unforces


def test_motion_while_forced_drops_back_to_inactive_with_the_motion_timeout(lab: RunningLab, phone: str) -> None:
    out = run(lab, "cmd deviceidle force-idle; cmd deviceidle motion; dumpsys deviceidle").stdout
    assert "Light state: INACTIVE, deep state: INACTIVE\n" in out
    assert "  mInactiveTimeout=+10m0s0ms\n" in out


def test_disable_enable_and_enabled_texts(lab: RunningLab, phone: str) -> None:
    disable = run(lab, "cmd deviceidle disable; cmd deviceidle disable; cmd deviceidle enabled")
    assert disable.stdout == "Deep idle mode disabled\nLight idle mode disabled\n0\n"
    refused = run(lab, "cmd deviceidle force-idle")
    assert (refused.stdout, refused.code) == ("Unable to go deep idle; not enabled\n", 255)
    enable = run(lab, "cmd deviceidle enable light; cmd deviceidle enabled light; cmd deviceidle enabled deep; "
                      "cmd deviceidle enable all; cmd deviceidle enabled all")
    assert enable.stdout == "Light idle mode enable\n1\n0\nDeep idle mode enabled\n1\n"  # sic: "enable"


def test_whitelist_add_check_remove_and_list(lab: RunningLab, phone: str) -> None:
    added = run(lab, "cmd deviceidle whitelist +com.android.chrome =com.android.chrome")
    assert (added.stdout, added.code) == ("Added: com.android.chrome\ntrue\n", 0)
    app_id = lab.device(phone).packages.get("com.android.chrome").app_id
    listing = run(lab, "cmd deviceidle whitelist").stdout.splitlines()
    assert f"user,com.android.chrome,{app_id}" in listing
    assert listing[0].startswith("system-excidle,") and any(line.startswith("system,") for line in listing)
    assert lab.device(phone).power.whitelisted("com.android.chrome")
    removed = run(lab, "cmd deviceidle whitelist -com.android.chrome -com.android.chrome =com.android.chrome")
    assert removed.stdout == "Removed: com.android.chrome\nfalse\n"  # a second removal prints nothing


def test_tempwhitelist_add_list_and_remove(lab: RunningLab, phone: str) -> None:
    app_id = lab.device(phone).packages.get("com.android.chrome").app_id
    listed = run(lab, "cmd deviceidle tempwhitelist -d 60000 com.android.chrome; cmd deviceidle tempwhitelist")
    assert listed.code == 0
    assert re.fullmatch(rf"UID={app_id}: \+\d+s\d+ms - shell\n", listed.stdout), listed.stdout
    assert f"  Temp whitelist schedule:\n    UID={app_id}: " in run(lab, "dumpsys deviceidle").stdout
    assert run(lab, "cmd deviceidle tempwhitelist -r com.android.chrome; cmd deviceidle tempwhitelist").stdout == ""


@pytest.mark.parametrize(
    ("command", "stdout", "code"),
    [
        ("cmd deviceidle frob", "Unknown command: frob\n", 255),
        ("dumpsys deviceidle frob", "Unknown command: frob\n", 0),
        ("cmd deviceidle step foo", "Unknown idle mode: foo\n", 0),
        ("cmd deviceidle force-idle foo", "Unknown idle mode: foo\n", 0),
        ("cmd deviceidle get", "Argument required\n", 0),
        ("cmd deviceidle get foo", "Unknown get option: foo\n", 0),
        ("cmd deviceidle get network", "true\n", 0),
        ("cmd deviceidle enabled foo", "Unknown idle mode: foo\n", 0),
        ("cmd deviceidle whitelist com.android.chrome",
         "Package must be prefixed with +, -, or =: com.android.chrome\n", 255),
        ("dumpsys deviceidle whitelist com.android.chrome",
         "Package must be prefixed with +, -, or =: com.android.chrome\n", 0),
        ("cmd deviceidle whitelist +com.example.nope", "Unknown package: com.example.nope\n", 0),
        ("cmd deviceidle tempwhitelist -d", "-d requires a duration\n", 255),
        ("cmd deviceidle tempwhitelist -u", "-u requires a user number\n", 255),
        ("cmd deviceidle tempwhitelist -r", "[-r] requires a package name\n", 255),
        ("cmd deviceidle except-idle-whitelist", "No arguments given\n", 255),
        ("cmd deviceidle force-modemanager-offbody maybe",
         "Provide true or false argument after force-modemanager-offbody\n", 255),
        ("dumpsys deviceidle -x", "Unknown option: -x\n", 0),
    ],
)
def test_bad_input_gets_androids_text_and_status(lab: RunningLab, phone: str, command: str, stdout: str,
                                                 code: int) -> None:
    result = run(lab, command)
    assert (result.stdout, result.stderr, result.code) == (stdout, "", code)


def test_a_java_exception_is_printed_the_way_shell_command_does(lab: RunningLab, phone: str) -> None:
    result = run(lab, "cmd deviceidle tempwhitelist -d soon com.android.chrome")
    assert result.code == 255 and result.stdout == ""
    assert result.stderr == ("\nException occurred while executing 'tempwhitelist':\n"
                             'java.lang.NumberFormatException: For input string: "soon"\n')


@pytest.mark.parametrize(("command", "code"), [("cmd deviceidle", 255), ("cmd deviceidle help", 255),
                                                ("dumpsys deviceidle -h", 0), ("dumpsys deviceidle help", 0)])
def test_help(lab: RunningLab, phone: str, command: str, code: int) -> None:
    result = run(lab, command)
    assert result.code == code
    assert result.stdout.startswith("Device idle controller (deviceidle) commands:\n  help\n")
    assert "  tempwhitelist [-u USER] [-d DURATION] [-r] [package]\n" in result.stdout


@pytest.mark.parametrize(("name", "flags"), [("pixel-8", True), ("samsung-s23", False)])
def test_dump_has_the_lines_scripts_read(lab: RunningLab, name: str, flags: bool) -> None:
    out = lab.shell(name, f"{RESTORE}; dumpsys deviceidle").stdout
    out = out[out.index("  Flags:\n" if flags else "  Settings:\n"):]
    assert out.startswith("  Flags:\n") == flags  # the aconfig block is Android 15's
    for line in ("  Settings:", "    light_after_inactive_to=+4m0s0ms", "    inactive_to=+30m0s0ms",
                 "    idle_to=+1h0m0s0ms", "    max_idle_to=+6h0m0s0ms", "    idle_factor=2.0",
                 "    location_accuracy=20.0m", "  Whitelist system apps:", "  mLightEnabled=true  mDeepEnabled=true",
                 "  mForceIdle=false", "  mScreenOn=true", "  mScreenLocked=false", "  mNetworkConnected=true",
                 "  mCharging=true", "  activeEmergencyCall=false", "  mState=ACTIVE mLightState=ACTIVE",
                 "  mInactiveTimeout=+30m0s0ms"):
        assert f"\n{line}\n" in "\n" + out, line


def test_dump_while_forced_idle_shows_the_next_delays(lab: RunningLab, phone: str) -> None:
    out = run(lab, "cmd deviceidle force-idle; dumpsys deviceidle").stdout
    for line in ("  mForceIdle=true", "  mState=IDLE mLightState=OVERRIDE", "  mNextIdlePendingDelay=+5m0s0ms",
                 "  mNextIdleDelay=+2h0m0s0ms"):
        assert f"\n{line}\n" in out, line
    assert re.search(r"\n  Idling history:\n(    .+\n)*      deep-idle: (0|-\d)", out), out
    after = run(lab, "cmd deviceidle unforce; dumpsys deviceidle").stdout
    assert "\n  mNextLightIdleDelay=+5m0s0ms (flex=+1m0s0ms)\n" in after
    assert "\n         normal: " in after and "(exit-force)" in after


def test_doze_changes_are_logged_to_the_events_buffer(lab: RunningLab, phone: str) -> None:
    run(lab, "logcat -c; cmd deviceidle force-idle")
    events = run(lab, "logcat -b events -d").stdout
    assert re.search(r" I device_idle: \[5,s:shell\]\n", events), events
    assert re.search(r" I device_idle_light: \[7,deep\]\n", events), events
