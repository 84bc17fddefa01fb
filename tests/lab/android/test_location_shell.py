"""``cmd location`` on the lab's phones through the real adb CLI: the switch, test providers, their errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.labkit import RunningLab

PHONE = "pixel-8"
ALLOW = "appops set com.android.shell android:mock_location allow"


@pytest.fixture
def phone(lab: RunningLab) -> Iterator[str]:
    yield PHONE
    lab.shell(PHONE, f"{ALLOW}; cmd location providers remove-test-provider gps; "
                     "cmd location providers remove-test-provider lab; "
                     "appops set com.android.shell android:mock_location deny; cmd location set-location-enabled true")


def _fixes(lab: RunningLab) -> list[tuple[str, float, float]]:
    service = lab.device(PHONE).services["location"]
    seen: list[tuple[str, float, float]] = []
    lab.call(service.on_fix, lambda provider, lat, lng: seen.append((provider, lat, lng)))
    return seen


def test_without_the_mock_location_op_every_test_provider_command_does_nothing(lab: RunningLab, phone: str) -> None:
    for command in ("add-test-provider gps", "set-test-provider-enabled gps true"):
        result = lab.shell(phone, f"cmd location providers {command}")
        assert (result.code, result.stdout, result.stderr) == (0, "", "")
    assert "[mock" not in lab.shell(phone, "dumpsys location").stdout


def test_a_fix_reaches_clients_only_from_an_enabled_test_provider(lab: RunningLab, phone: str) -> None:
    seen = _fixes(lab)
    assert lab.shell(phone, f"{ALLOW} && cmd location providers add-test-provider gps --supportsAltitude "
                            "--powerRequirement 1").code == 0
    assert lab.shell(phone, "cmd location providers set-test-provider-location gps --location 52.1,5.2").code == 0
    assert seen == []
    lab.shell(phone, "cmd location providers set-test-provider-enabled gps true")
    result = lab.shell(phone, "cmd location providers set-test-provider-location gps --location 52.1,5.2 "
                              "--accuracy 5 --time 1700000000000")
    assert (result.code, result.stderr) == (0, "")
    assert seen == [("gps", 52.1, 5.2)]
    assert "gps provider: [mock, enabled]" in lab.shell(phone, "dumpsys location").stdout
    lab.shell(phone, "cmd location set-location-enabled false")
    assert lab.shell(phone, "cmd location is-location-enabled").stdout == "false\n"
    lab.shell(phone, "cmd location providers set-test-provider-location gps --location 1,2")
    assert seen == [("gps", 52.1, 5.2)]  # the master switch is off: no client hears it


@pytest.mark.parametrize(
    ("args", "message"),
    [("nope --location 1,2", "java.lang.IllegalArgumentException: provider doesn't exist: nope"),
     ("network --location 1,2", "java.lang.IllegalArgumentException: network provider is not a test provider"),
     ("gps --location 1", "java.lang.IllegalArgumentException: Location argument must be in the form of "
                          '"<LATITUDE>,<LONGITUDE>", not [1]'),
     ("gps --accuracy 5", 'java.lang.IllegalArgumentException: Option "--location" is required'),
     ("gps --location 1,x", 'java.lang.NumberFormatException: For input string: "x"'),
     ("gps --speed 3", "java.lang.IllegalArgumentException: Unknown option: --speed")],
)
def test_set_test_provider_location_errors(lab: RunningLab, phone: str, args: str, message: str) -> None:
    result = lab.shell(phone, f"{ALLOW} && cmd location providers set-test-provider-location {args}")
    assert result.code == 255
    assert result.stderr == f"\nException occurred while executing 'providers':\n{message}\n"


def test_a_new_test_provider_is_added_and_removed(lab: RunningLab, phone: str) -> None:
    lab.shell(phone, f"{ALLOW} && cmd location providers add-test-provider lab")
    assert "lab provider: [mock, disabled]" in lab.shell(phone, "dumpsys location").stdout
    lab.shell(phone, "cmd location providers remove-test-provider lab")
    assert "lab provider" not in lab.shell(phone, "dumpsys location").stdout
    result = lab.shell(phone, "cmd location providers set-test-provider-location lab --location 1,2")
    assert "provider doesn't exist: lab" in result.stderr


def test_help_and_unknown_commands(lab: RunningLab, phone: str) -> None:
    result = lab.shell(phone, "cmd location")
    assert result.code == 255 and result.stdout.startswith("Location service commands:\n")
    assert "set-test-provider-location <PROVIDER> --location <LATITUDE>,<LONGITUDE>" in result.stdout
    result = lab.shell(phone, "cmd location bogus")
    assert (result.code, result.stdout) == (255, "Unknown command: bogus\n")
    assert lab.shell(phone, "cmd location is-location-enabled --user 0").stdout == "true\n"
