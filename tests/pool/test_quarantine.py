"""Health checks and quarantine, shared by the processes of one run and scoped to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.config import DeviceConfig
from harness.errors import DeviceQuarantined, DeviceUnhealthy
from harness.pool import Pool, leases, quarantined
from tests.pool.conftest import Holder
from tests.pool.holder import device

Spawn = Callable[..., Holder]


def test_failing_health_twice_in_a_run_quarantines_it_for_every_process_of_that_run(
    spawn: Spawn, state: Path
) -> None:
    first = spawn("health-fail", "--reason", "adb: device offline", run="nightly-9").event()
    assert first["type"] == "DeviceUnhealthy"
    assert "adb: device offline" in first["message"] and "failure 1 of 2" in first["message"]
    second = spawn("health-fail", "--reason", "adb: no such device", run="nightly-9").event()
    assert second["type"] == "DeviceQuarantined", second

    with Pool(state, "nightly-9") as pool:  # a third process of the run, with no health check at all
        with pytest.raises(DeviceQuarantined) as caught:
            pool.acquire("pixel-8", timeout_s=1, holder="t::later")
        assert "adb: device offline" in str(caught.value) and "adb: no such device" in str(caught.value)
        assert caught.value.run_id == "nightly-9"
        (gone,) = pool.quarantined()
    assert gone.device == "pixel-8"
    assert gone.failures == ("health: adb: device offline", "health: adb: no such device")
    assert quarantined(state, "nightly-9") == [gone]
    assert leases(state) == []  # an unhealthy device is never left leased

    with Pool(state, "adhoc-3") as other, other.acquire("pixel-8", timeout_s=1, holder="t::other-run"):
        pass  # quarantine belongs to the run: another run may still use the phone


def test_a_failure_reported_mid_test_counts_toward_quarantine(state: Path) -> None:
    dev = device("moto-g")

    def crashing_check(_dev: DeviceConfig) -> str | None:
        raise ConnectionResetError("adb server closed the connection")

    with Pool(state, "run-1") as pool:
        with pool.acquire(dev, timeout_s=1, holder="t::one", health=lambda _d: None):
            assert pool.report_failure("moto-g", "disconnected mid-test", holder="t::one") is None
        with pytest.raises(DeviceQuarantined) as caught:
            pool.acquire(dev, timeout_s=1, holder="t::two", health=crashing_check)
        assert isinstance(caught.value.__cause__, ConnectionResetError)
        (gone,) = pool.quarantined()
    assert gone.failures == ("report: disconnected mid-test",
                             "health: health check raised ConnectionResetError: adb server closed the connection")
    assert gone.reason.startswith("failed 2 times in this run: ")


def test_a_healthy_device_is_handed_out_after_one_check(state: Path) -> None:
    checked: list[str] = []

    def check(dev: DeviceConfig) -> str | None:
        checked.append(dev.name)
        return None

    with Pool(state, "run-1") as pool, pool.acquire(device("pixel-8"), timeout_s=1, holder="t", health=check) as lease:
        assert lease.config is not None and lease.config.name == "pixel-8"
    assert checked == ["pixel-8"]


def test_one_health_failure_is_an_error_but_not_yet_a_quarantine(state: Path) -> None:
    with Pool(state, "run-1", quarantine_after=3) as pool:
        for count in (1, 2):
            with pytest.raises(DeviceUnhealthy) as caught:
                pool.acquire(device("pixel-8"), timeout_s=1, holder="t", health=lambda _d: "battery 2%")
            assert (caught.value.failures, caught.value.limit, caught.value.reason) == (count, 3, "battery 2%")
        assert pool.quarantined() == []
        with pool.acquire("pixel-8", timeout_s=1, holder="t"):
            pass


def test_health_needs_the_device_config(state: Path) -> None:
    with Pool(state, "run-1") as pool, pytest.raises(ValueError, match="DeviceConfig"):
        pool.acquire("pixel-8", timeout_s=1, holder="t", health=lambda _d: None)
