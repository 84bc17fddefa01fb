"""Quarantine on the farm: shared by every controller, with its reason and its expiry; offline phones."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.errors import DeviceQuarantined, DeviceUnhealthy
from harness.farm import PgLeaseStore, audit_log, release, status
from harness.pool import Pool
from tests.pool.holder import device


def test_a_quarantine_is_shared_by_every_controller_until_it_expires_or_is_lifted(farm_url: str) -> None:
    a = Pool(Path("/unused"), "nightly-9", store=PgLeaseStore(farm_url, hostname="ci-1", quarantine_s=0.5))
    b = Pool(Path("/unused"), "adhoc-3", store=PgLeaseStore(farm_url, hostname="ci-2", quarantine_s=3600))
    with pytest.raises(DeviceUnhealthy):
        a.acquire(device("pixel-8"), timeout_s=5, holder="t::one", health=lambda _d: "adb: device offline")
    admin = PgLeaseStore(farm_url, hostname="admin-desk")
    assert [(r.state, r.detail) for r in status(admin)] == [("offline", "adb: device offline")]
    with pytest.raises(DeviceQuarantined):
        a.acquire(device("pixel-8"), timeout_s=5, holder="t::two", health=lambda _d: "battery at 2%")
    (gone,) = a.quarantined()
    assert gone.run_id == "nightly-9" and "battery at 2%" in gone.reason

    with pytest.raises(DeviceQuarantined) as caught:  # another controller, another run: out for it too
        b.acquire("pixel-8", timeout_s=5, holder="t::other-controller")
    text = str(caught.value)
    assert "start a new run" not in text  # a farm quarantine outlives the run
    for part in ("[pixel-8]", "nightly-9", "adb: device offline", "battery at 2%", "until", "--force --reason"):
        assert part in text, text
    (row,) = status(admin)
    assert (row.state, row.run) == ("quarantined", "nightly-9") and row.expiry is not None

    deadline = time.monotonic() + 10
    while status(admin)[0].state == "quarantined":  # a's quarantine lasts 0.5 s ([farm] quarantine_s)
        assert time.monotonic() < deadline, "the quarantine never expired"
        time.sleep(0.05)
    with b.acquire(device("pixel-8"), timeout_s=5, holder="t::after-expiry", health=lambda _d: None):
        pass  # and the passing check put it back online
    assert [r.state for r in status(admin)] == ["free"]

    b.report_failure("pixel-8", "disconnected mid-test", holder="t::x")
    b.report_failure("pixel-8", "disconnected again", holder="t::y")
    assert status(admin)[0].state == "quarantined"
    assert "quarantine lifted" in release(admin, "pixel-8", force=True, reason="replugged the cable")
    assert [r.action for r in audit_log(admin)][-2:] == ["quarantine", "unquarantine"]
    with b.acquire("pixel-8", timeout_s=5, holder="t::after-lift"):
        pass
    for closing in (a, b):
        closing.close()
    admin.close()
