"""The lab's Cambrionix smart USB hub: the ``CambrionixApiService`` JSON-RPC API on ``[lab] hub_port``.

Farms switch a phone's USB port between sync + charge (``s``), charge only (``c``) and off (``o``) with a
Cambrionix hub; the lab's iPhones sit on one. The lab plugs them in and follows port modes in
``harness/lab/usb.py`` (the cable) and serves the API from ``Lab._start_hub`` (``harness/lab/runner.py``).

``cambrionix`` is the hub (ports, readings, keys), ``rpc`` the API's methods, ``framing`` the bytes on the
port, ``server`` the socket. Only ``server`` does I/O.
"""

from harness.lab.hub.model import MODES, CambrionixHub, CbrxError, ModeListener, UsbDevice
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
