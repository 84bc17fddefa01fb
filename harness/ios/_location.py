"""Location on an iPhone: a simulated position (what Xcode's "Simulate Location" does) and the probe's
geofence test input.

Which door moves the phone depends on how ``devices.toml`` reaches it (``process_control``):

- ``dvt`` / ``tunnel``: DVT's ``LocationSimulation`` channel (``simulateLocationWithLatitude:longitude:``,
  ``stopLocationSimulation``), over lockdown with the developer image mounted (iOS ≤ 16) or over the
  RemoteXPC tunnel (iOS 17+), the same server that launches the app;
- ``appium``: XCUITest's ``mobile: setSimulatedLocation`` / ``resetSimulatedLocation`` (iOS 16.4+);
- none: the developer image's lockdown service ``com.apple.dt.simulatelocation`` (iOS ≤ 16).

The simulation is journaled before it starts and stopped at teardown (``restore``), or at the phone's next
lease if the run was killed. The geofence input is the probe's launch argument
(``harness.contracts.geofence``): a debug build launched with ``--bgprobe-geofence-regions N`` monitors N
regions laid out on a known grid, so ``enter_region(i)`` puts the phone in region ``i``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pymobiledevice3.lockdown_service_provider import LockdownServiceProvider
from pymobiledevice3.services.dvt.instruments.dvt_provider import DvtProvider
from pymobiledevice3.services.dvt.instruments.location_simulation import LocationSimulation
from pymobiledevice3.services.simulate_location import DtSimulateLocation

from harness.contracts.geofence import AWAY, GEOFENCE_ARGUMENT, region_center
from harness.ios._base import IOSBase
from harness.ios.process import DvtControl, TunnelControl
from harness.journal import Undo

__all__ = ["LOCATION_KEY", "LocationSimulator", "LocationVerbs"]

LOCATION_KEY = "location simulation"  # the journal's key for a simulated location


@runtime_checkable
class LocationSimulator(Protocol):
    """A process-control path that can also simulate the phone's location (XCUITest's does)."""

    def set_simulated_location(self, latitude: float, longitude: float) -> None: ...

    def reset_simulated_location(self) -> None: ...


class LocationVerbs(IOSBase):
    def launch_with_geofences(self, regions: int) -> int:
        """Launch the debug build afresh with the probe's geofence argument: it monitors ``regions`` regions."""
        return self.launch([GEOFENCE_ARGUMENT, str(int(regions))])

    def simulate_location(self, latitude: float, longitude: float) -> None:
        """Report ``latitude, longitude`` as the phone's location until ``stop_simulating_location``."""
        self.guard("simulatelocation")
        self.journal.record(LOCATION_KEY, Undo.location())
        with self.recording("simulate_location", f"simulate_location {latitude:.6f},{longitude:.6f}"):
            self._simulate(latitude, longitude)

    def _simulate(self, latitude: float, longitude: float) -> None:
        control = self.control
        if isinstance(control, LocationSimulator):
            control.set_simulated_location(latitude, longitude)
        elif isinstance(control, DvtControl | TunnelControl):
            self._dvt(control, f"LocationSimulation set {latitude:.6f},{longitude:.6f}", latitude, longitude)
        else:
            async def set_location(lockdown: LockdownServiceProvider) -> None:
                await DtSimulateLocation(lockdown).set(latitude, longitude)

            self.transport.call(f"simulatelocation set {latitude:.6f},{longitude:.6f}", set_location)

    def stop_simulating_location(self) -> None:
        """The phone reports its real location again."""
        self._stop_simulation()
        self.journal.forget(LOCATION_KEY)

    def _stop_simulation(self) -> None:
        with self.recording("stop_simulating_location", "stop_simulating_location"):
            control = self.control
            if isinstance(control, LocationSimulator):
                control.reset_simulated_location()
            elif isinstance(control, DvtControl | TunnelControl):
                self._dvt(control, "LocationSimulation stop", None, None)
            else:
                async def clear(lockdown: LockdownServiceProvider) -> None:
                    await DtSimulateLocation(lockdown).clear()

                self.transport.call("simulatelocation clear", clear)

    def enter_region(self, index: int) -> None:
        """Move into region ``index`` of the probe's geofence layout (its centre)."""
        self.simulate_location(*region_center(index))

    def leave_regions(self) -> None:
        """Move outside every region of the probe's geofence layout."""
        self.simulate_location(*AWAY)

    def _dvt(self, control: DvtControl | TunnelControl, what: str, latitude: float | None,
             longitude: float | None) -> None:
        async def action(lockdown: LockdownServiceProvider) -> None:
            source = await control.provider_source(lockdown)
            async with DvtProvider(source) as dvt, LocationSimulation(dvt) as simulation:
                if latitude is None or longitude is None:
                    await simulation.clear()
                else:
                    await simulation.set(latitude, longitude)

        self.transport.call(f"{control.label} {what}", action)
