"""DeviceConfig on a virtual phone: the flag store (SettingsProvider's config table) and ``cmd device_config``.

``install(dev)`` registers the ``device_config`` service; the OS parts that read flags find the store with
:func:`store_of` and subscribe per namespace (``DeviceConfig.addOnPropertiesChangedListener``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.os.devconfig._service import HELP, DeviceConfigService
from harness.lab.android.os.devconfig.store import NONE, PERSISTENT, UNTIL_REBOOT, DeviceConfigStore, store_of

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["HELP", "NONE", "PERSISTENT", "UNTIL_REBOOT", "DeviceConfigService", "DeviceConfigStore", "install",
           "store_of"]


def install(dev: AndroidDevice) -> DeviceConfigStore:
    store = DeviceConfigStore(dev)
    dev.services["device_config"] = DeviceConfigService(dev, store)
    dev.on_boot(store.boot)
    return store

