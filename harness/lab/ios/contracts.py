"""The seams between the virtual iPhone's wire services and its OS model.

The services (DVT process control, house_arrest/AFC, the Appium endpoint) only see these protocols;
the model in ``harness.lab.ios.os`` implements them. ``VirtualIPhone.system`` holds the phone's model.
Every method runs on the lab's event loop and returns at once (device time is the clock's business).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from harness.contracts.probe import RUN_TASK_ARGUMENT

__all__ = ["RUN_TASK_ARGUMENT", "ContainerFile", "IOSSystem", "LaunchRefused"]

# RUN_TASK_ARGUMENT: the probe's debug trigger (docs/probe-line.md), one definition shared with the drivers.


class LaunchRefused(Exception):
    """The phone would not launch: unknown bundle id, app not installed, or the device is locked.
    The message is the NSError description a real phone returns for it."""


@dataclass(frozen=True, slots=True)
class ContainerFile:
    path: str  # relative to the container root, e.g. "Documents/bgprobe.jsonl"; directories end with "/"
    data: bytes  # empty for directories
    mtime_s: float  # device time of the last write


class IOSSystem(Protocol):
    """What the OS model offers the wire services."""

    # -- process control (DVT processcontrol, XCUITest mobile: launchApp/terminateApp) ----------------
    def launch(self, bundle_id: str, *, arguments: Sequence[str] = (), environment: Mapping[str, str] | None = None,
               kill_existing: bool = False, start_suspended: bool = False) -> int:
        """Launch ``bundle_id`` in the foreground like a developer tool does (not a user tap: this does
        clear the user force-quit flag only if the app comes to the foreground, as on a phone); returns
        its pid. Raises ``LaunchRefused``."""
        ...

    def kill(self, pid: int, signal: int = 9) -> bool:
        """Deliver ``signal`` to ``pid`` (a process kill, never a user force-quit); False if no such pid."""
        ...

    def pid_for_bundle(self, bundle_id: str) -> int:
        """The running pid of ``bundle_id``, 0 when it is not running (DVT's answer)."""
        ...

    def app_state(self, bundle_id: str) -> str:
        """``not_running`` | ``suspended`` | ``background`` | ``foreground`` (XCUITest queryAppState)."""
        ...

    # -- user actions (Appium: the app switcher swipe, home button, tap on the icon) -----------------
    def user_force_quit(self, bundle_id: str) -> None: ...

    def user_open(self, bundle_id: str) -> int: ...

    def press_home(self) -> None: ...

    # -- power and lock (diagnostics_relay Restart; XCUITest mobile: lock / unlock / isLocked) ----------------
    def reboot(self) -> None:
        """Restart: every app process ends, the phone leaves usbmuxd and comes back locked, before first unlock."""
        ...

    @property
    def locked(self) -> bool: ...

    def lock(self) -> None:
        """The side button: screen off and locked; the phone counts as idle once it stays locked a while."""
        ...

    def unlock(self) -> None:
        """The user unlocks the phone (the first unlock after a boot lets data-protected apps run)."""
        ...

    def open_url(self, url: str) -> int:
        """Open a deep link (``scheme://…``) like a tap on a link: the app that claims the scheme comes to the
        foreground (a user open) and gets the URL; returns its pid. Raises ``LaunchRefused`` for no handler."""
        ...

    # -- permissions (the system dialogs the Appium endpoint renders) ----------------------------------
    def location_authorization(self, bundle_id: str) -> str:
        """``not_determined`` | ``when_in_use`` | ``always`` | ``denied``."""
        ...

    def set_location_authorization(self, bundle_id: str, status: str) -> None:
        """The user's answer in the system dialog or Settings; logs what locationd logs."""
        ...

    # -- location simulation (DVT LocationSimulation, com.apple.dt.simulatelocation, XCUITest) --------
    def simulate_location(self, latitude: float | None, longitude: float | None = None) -> None:
        """Set the phone's reported location (None: stop simulating); region monitoring follows it."""
        ...

    # -- silent push (the lab's APNs gateway hands over what APNs would deliver) -----------------------
    def deliver_silent_push(self, bundle_id: str, payload: Mapping[str, object], *, priority: int = 5) -> str:
        """A background (``content-available``) push reached the phone. Returns what the phone did with it:
        ``delivered`` (the app ran), ``held`` (kept as the newest held push), ``throttled`` (over budget)
        or ``dropped`` (after a user force-quit, app not installed, …). Logs what a real phone logs."""
        ...

    # -- data containers (house_arrest VendContainer / VendDocuments) -----------------------------------
    def container(self, bundle_id: str) -> list[ContainerFile] | None:
        """Every file and directory in the app's data container; None when the app is not installed."""
        ...
