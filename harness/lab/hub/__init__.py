"""The lab's Cambrionix smart USB hub: the ``CambrionixApiService`` JSON-RPC API on ``[lab] hub_port``.

Farms switch a phone's USB port between sync + charge (``s``), charge only (``c``) and off (``o``) with a
Cambrionix hub; the lab's iPhones sit on one. Wire it into the lab (``harness/lab/runner.py``)::

    hub = CambrionixHub("DB0074F5", now=clock.monotonic)
    hub.plug(1, UsbDevice(0x05AC, 0x12A8, "Apple Inc.", "iPhone", udid.replace("-", ""),
                          battery=lambda: (phone.battery_level, phone.charging)))
    hub.add_listener(on_mode)        # (port, new_mode): attach/detach in usbmuxd, charger on/off
    server = HubServer(CambrionixService([hub]), cfg.lab.host, cfg.lab.hub_port)
    await server.start()

``cambrionix`` is the hub (ports, readings, keys), ``rpc`` the API's methods, ``framing`` the bytes on the
port, ``server`` the socket. Only ``server`` does I/O.
"""

from harness.lab.hub.cambrionix import MODES, CambrionixHub, CbrxError, ModeListener, UsbDevice
from harness.lab.hub.rpc import API_VERSION, CambrionixService
from harness.lab.hub.server import HubServer, RpcHandler

__all__ = [
    "API_VERSION",
    "MODES",
    "CambrionixHub",
    "CambrionixService",
    "CbrxError",
    "HubServer",
    "ModeListener",
    "RpcHandler",
    "UsbDevice",
]
