"""``process_control = "appium"`` for the iOS driver: launch and kill through XCUITest.

It has the shape of ``harness.ios.process.ProcessControl``. XCUITest knows apps by bundle id, not by pid:
``launch`` is ``mobile: launchApp`` (a running instance is terminated first) or ``activateApp``, and the
pid comes from ``mobile: activeAppInfo`` (the foreground app's). ``pid_of`` answers from
``queryAppState``: 0 when not running, the foreground pid when in front, and for a background app the pid
last seen for it (XCUITest cannot list background pids; the lockdown ``os_trace_relay`` PidList can).
``kill`` is ``mobile: terminateApp`` of the bundle last seen with that pid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.ui._verbs import AppState, UiDriver

__all__ = ["AppiumProcessControl"]


class AppiumProcessControl:
    def __init__(self, ui: UiDriver) -> None:
        self.ui = ui
        self.session = ui.session
        self._pids: dict[str, int] = {}

    def launch(self, bundle_id: str, arguments: Sequence[str] = (), environment: Mapping[str, str] | None = None,
               kill_existing: bool = True) -> int:
        if kill_existing or arguments or environment:
            self.session.execute("launchApp", {"bundleId": bundle_id, "arguments": list(arguments),
                                               "environment": dict(environment or {})})
        else:
            self.session.execute("activateApp", {"bundleId": bundle_id, "appId": bundle_id})
        return self._front_pid(bundle_id)

    def _front_pid(self, bundle_id: str) -> int:
        info = self.session.execute("activeAppInfo")
        if isinstance(info, dict) and info.get("bundleId") == bundle_id:
            self._pids[bundle_id] = int(info.get("pid") or 0)
            return self._pids[bundle_id]
        return 0

    def kill(self, pid: int) -> None:
        bundle = next((b for b, p in self._pids.items() if p == pid), self.ui.app_id)
        self.session.execute("terminateApp", {"bundleId": bundle, "appId": bundle})
        self._pids.pop(bundle, None)

    def pid_of(self, bundle_id: str) -> int:
        state = AppState(int(self.session.execute("queryAppState", {"bundleId": bundle_id, "appId": bundle_id})))
        if state <= AppState.NOT_RUNNING:
            self._pids.pop(bundle_id, None)
            return 0
        if state == AppState.RUNNING_IN_FOREGROUND:
            return self._front_pid(bundle_id)
        return self._pids.get(bundle_id, 0)

    def home(self) -> None:
        self.session.execute("pressButton", {"name": "home"})

    # -- location simulation (harness.ios's LocationSimulator) -------------------------------------------
    def set_simulated_location(self, latitude: float, longitude: float) -> None:
        """``mobile: setSimulatedLocation``: XCUIDevice.location (iOS 16.4+ with Xcode 14.3+)."""
        self.session.execute("setSimulatedLocation", {"latitude": latitude, "longitude": longitude})

    def reset_simulated_location(self) -> None:
        self.session.execute("resetSimulatedLocation")
