"""Battery, screen and Doze: ``dev.power`` and the ``battery``, ``deviceidle`` and ``power`` services.

Modules: ``battery`` (BatteryService), ``screen`` (PowerManagerService wakefulness, ``dumpsys power``), ``doze``
(DeviceIdleController's state machines), ``allowlist`` (power-save allowlists), ``deviceidle`` and
``deviceidle_dump`` (its shell command and dump), ``model`` (the PowerModel facade), ``constants`` (tunables),
``config`` (how the tunables follow the ``device_idle`` DeviceConfig flags and ``device_idle_constants``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.os.power.config import DozeConfig
from harness.lab.android.os.power.constants import DozeConstants
from harness.lab.android.os.power.model import LabPower

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["DozeConstants", "LabPower", "install"]


def install(dev: AndroidDevice) -> None:
    """Put ``dev.power`` on the device, register its three services and subscribe to keys and reboots."""
    consts = DozeConstants()
    config = DozeConfig(dev, consts)
    config.attach()  # the device_idle flags, before the controller first reads them
    power = LabPower(dev, consts)
    dev.power = power
    dev.services["battery"] = power.battery
    dev.services["deviceidle"] = power.deviceidle
    dev.services["power"] = power.power_service
    dev.on_key(power.on_key)
    dev.on_shutdown(power.shutdown)
    dev.on_boot(config.load)  # Constants() runs before the controller's onStart
    dev.on_boot(power.boot)
