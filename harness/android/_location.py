"""Location: the app's location permissions, a mock GPS fix, and the probe's geofence test input.

A real phone is moved the way Android's own location tests move it: a test provider over ``gps``
(``cmd location providers add-test-provider gps``, ``set-test-provider-enabled gps true``,
``set-test-provider-location gps --location LAT,LNG``, AOSP LocationShellCommand, Android 12+). The shell
may do that only with the ``MOCK_LOCATION`` app op allowed for ``com.android.shell``; without it every
test-provider command does nothing and still exits 0, so the verb sets the op first and checks it took.
Play services' fused provider hears the mock fixes, and its geofencing with it.

The geofence input is the probe's launch extra (``harness.contracts.geofence``): a debug build started with
``--ei bgprobe-geofence-regions N`` registers N regions laid out on a known grid, so the harness can move
the phone into region ``i``. Every change (op, provider, grants) is journaled before it is made and undone at teardown.
"""

from __future__ import annotations

import re

from harness.android._base import DriverBase
from harness.contracts.geofence import AWAY, GEOFENCE_EXTRA, region_center
from harness.errors import CommandFailed
from harness.journal import Undo

__all__ = ["BACKGROUND_LOCATION", "FINE_LOCATION", "LocationVerbs"]

FINE_LOCATION = "android.permission.ACCESS_FINE_LOCATION"
BACKGROUND_LOCATION = "android.permission.ACCESS_BACKGROUND_LOCATION"
SHELL = "com.android.shell"
MOCK_PROVIDER = "gps"
_MODE = re.compile(r"MOCK_LOCATION: (\w+)")


class LocationVerbs(DriverBase):
    _mock_ready = False

    def grant_location(self, package: str | None = None) -> None:
        """What the user does in both prompts ("While using", then "Allow all the time"): ``pm grant`` of
        fine and background location (Android 10+). Revoked at teardown, which kills the app."""
        pkg = self._pkg(package)
        revoke = "; ".join(f"pm revoke {pkg} {p}" for p in (BACKGROUND_LOCATION, FINE_LOCATION))
        self.remember(f"location grant {pkg}", Undo.shell(revoke, check=False))  # one may not have been granted
        for permission in (FINE_LOCATION, BACKGROUND_LOCATION):
            self._check("grant_location", f"pm grant {pkg} {permission}")

    def revoke_location(self, package: str | None = None) -> None:
        """Take back both location permissions (Settings → Apps → Permissions → Location → Don't allow):
        ``pm revoke``, which kills the app as Android does when a granted runtime permission is revoked."""
        pkg = self._pkg(package)
        for permission in (BACKGROUND_LOCATION, FINE_LOCATION):
            self._check("revoke_location", f"pm revoke {pkg} {permission}")

    def mock_location(self, latitude: float, longitude: float) -> None:
        """Put the phone at ``latitude, longitude`` (a fix of the mock ``gps`` provider, accuracy 5 m)."""
        if not self._mock_ready:
            self._start_mock_provider()
        command = (f"cmd location providers set-test-provider-location {MOCK_PROVIDER} "
                   f"--location {latitude:.6f},{longitude:.6f} --accuracy 5")
        self._check("mock_location", command)

    def enter_region(self, index: int) -> None:
        """Move into region ``index`` of the probe's geofence layout (its centre)."""
        self.mock_location(*region_center(index))

    def leave_regions(self) -> None:
        """Move outside every region of the probe's geofence layout."""
        self.mock_location(*AWAY)

    def launch_with_geofences(self, regions: int, package: str | None = None) -> None:
        """Start the app afresh (``am start -S``: a running instance is force-stopped first, as a launch
        with arguments on iOS ends the old one) with the probe's geofence extra: the debug build registers
        ``regions`` regions for its geofence task."""
        pkg = self._pkg(package)
        command = (f"am start -S -W -a android.intent.action.MAIN -c android.intent.category.LAUNCHER "
                   f"-p {pkg} --ei {GEOFENCE_EXTRA} {int(regions)}")
        out = self._check("launch_with_geofences", command)
        if "Status: ok" not in out:
            raise CommandFailed(self.name, command, out.strip()[-300:],
                                "is the app installed, with a launcher activity?")

    def _start_mock_provider(self) -> None:
        before = self._mock_location_mode()
        self.remember("mock_location op", Undo.shell(f"appops set {SHELL} android:mock_location {before}", check=False))
        self._check("mock_location", f"appops set {SHELL} android:mock_location allow")
        if self._mock_location_mode() != "allow":
            raise CommandFailed(self.name, "appops set com.android.shell android:mock_location allow",
                                "MOCK_LOCATION is still not allowed for the shell",
                                "allow mock locations for the shell in Developer options")
        self.remember("mock gps provider",
                      Undo.shell(f"cmd location providers remove-test-provider {MOCK_PROVIDER}", check=False))
        self._check("mock_location", f"cmd location providers add-test-provider {MOCK_PROVIDER}")
        self._check("mock_location", f"cmd location providers set-test-provider-enabled {MOCK_PROVIDER} true")
        self._mock_ready = True

    def restore(self) -> list[str]:
        self._mock_ready = False  # the provider is removed: the next mock_location adds it again
        return super().restore()

    def _mock_location_mode(self) -> str:
        """The shell's MOCK_LOCATION mode (``appops get`` prints nothing for it at its default, deny)."""
        out = self._run("mock_location", f"appops get {SHELL} android:mock_location").output
        found = _MODE.search(out)
        return found.group(1) if found else "deny"
