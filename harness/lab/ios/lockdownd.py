"""lockdownd on device port 62078: a pure request → reply state machine under a thin stream loop.

Every reply echoes ``Request``: pymobiledevice3 raises "Incorrect response returned" otherwise
(``pmd3:lockdown.py:LockdownClient._verify_request_response``) and libimobiledevice's
``lockdown_check_result`` fails (``limd@1.3.0:src/lockdown.c``). Errors are ``{"Error": name}`` with the
names both clients map (``lockdownd_strtoerr``; pymobiledevice3's ``exception_errors``).

Sessions never switch to TLS: ``StartSession`` answers ``EnableSessionSSL: false`` and ``StartService``
``EnableServiceSSL: false``. Both clients accept that: pymobiledevice3 runs ``start_tls`` only if
``EnableSessionSSL`` is truthy (``validate_pairing``) and wraps a service only if ``EnableServiceSSL``
is (``start_lockdown_service``); libimobiledevice 1.3.0 sets ``ssl_enabled = 0`` on false
(``lockdownd_start_session``) and enables service SSL only when told (``lockdownd_start_service``).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard

from harness.lab.ios.codec import PlistFrameDecoder, ProtocolError, encode_plist_frame
from harness.lab.ios.device import WIRELESS_LOCKDOWN, WIRELESS_SWITCHES
from harness.lab.ios.link import Link, PortHandler
from harness.lab.ios.services import SERVICES, offered

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["LOCKDOWN_TYPE", "LockdownSession", "lockdown_handler"]

log = logging.getLogger("harness.lab.ios.lockdownd")

LOCKDOWN_TYPE = "com.apple.mobile.lockdown"
# No client source names the error a real lockdownd gives an unknown request; both clients turn any
# unknown error string into a generic failure (pmd3 LockdownError, limd LOCKDOWN_E_UNKNOWN_ERROR).
UNKNOWN_REQUEST_ERROR = "InvalidRequest"
SETTABLE = frozenset({"DeviceName"})  # global-domain keys SetValue may change

Reply = dict[str, Any]
# Replies are XML plists, and XML cannot carry these characters (plistlib refuses them): a request that
# holds one in a name the reply echoes is answered as a malformed request instead.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text(value: object) -> TypeGuard[str]:
    """A string a reply may echo."""
    return isinstance(value, str) and _NOT_XML.search(value) is None


class LockdownSession:
    """The state of one lockdownd connection: ``handle(request) -> reply``. No I/O."""

    def __init__(self, device: VirtualIPhone) -> None:
        self.device = device
        self.session_id: str | None = None
        self.closed = False  # set by Goodbye: the reply is the last thing on this connection
        self._handlers: dict[str, Callable[[dict[str, Any]], Reply]] = {
            "QueryType": self._query_type,
            "GetValue": self._get_value,
            "SetValue": self._set_value,
            "StartSession": self._start_session,
            "StopSession": self._stop_session,
            "ValidatePair": self._validate_pair,
            "Pair": self._pair,
            "Unpair": self._unpair,
            "StartService": self._start_service,
            "Goodbye": self._goodbye,
        }

    def handle(self, request: Any) -> Reply:
        if not isinstance(request, dict) or not _text(request.get("Request")):
            return {"Error": "MissingRequest"}
        name = request["Request"]
        handler = self._handlers.get(name)
        if handler is None:
            log.info("[%s] lockdownd: unknown request %r", self.device.name, name)
            return {"Request": name, "Error": UNKNOWN_REQUEST_ERROR}
        reply = handler(request)
        return {"Request": name, **reply}

    # QueryType: pmd3 requires this exact Type (IncorrectModeError otherwise, ``_initialize``).
    def _query_type(self, _req: dict[str, Any]) -> Reply:
        return {"Type": LOCKDOWN_TYPE}

    def _get_value(self, req: dict[str, Any]) -> Reply:
        domain, key = req.get("Domain"), req.get("Key")
        # only strings are echoed: a Key that is a dict (unhashable) or a 2**70 (no plist integer) is not a key
        echo = {name: value for name, value in (("Domain", domain), ("Key", key)) if _text(value)}
        if not (domain is None or _text(domain)) or not (key is None or _text(key)):
            return {**echo, "Error": "MissingValue"}
        values = self.device.values(domain if isinstance(domain, str) else None)
        if values is None:
            return {**echo, "Error": "MissingValue"}
        if key is None:
            return {**echo, "Value": values}
        if key not in values:  # ideviceinfo -k / pmd3 MissingValueError
            return {**echo, "Error": "MissingValue"}
        return {**echo, "Value": values[key]}

    def _set_value(self, req: dict[str, Any]) -> Reply:
        domain, key, value = req.get("Domain"), req.get("Key"), req.get("Value")
        if domain == WIRELESS_LOCKDOWN and key in WIRELESS_SWITCHES and isinstance(value, bool):
            self.device.wireless[str(key)] = value
            return {}
        if domain or not isinstance(key, str) or key not in SETTABLE or not _text(value):
            return {"Error": "SetProhibited"}
        self.device.device_name = value
        return {}

    def _start_session(self, req: dict[str, Any]) -> Reply:
        if self.session_id is not None:
            return {"Error": "SessionActive"}
        host_id = req.get("HostID")
        if not isinstance(host_id, str):
            return {"Error": "MissingHostID"}
        if not self.device.trusts(host_id):
            return {"Error": "InvalidHostID"}  # pmd3 then treats the pair record as stale
        self.session_id = str(uuid.uuid4()).upper()
        return {"SessionID": self.session_id, "EnableSessionSSL": False}

    def _stop_session(self, req: dict[str, Any]) -> Reply:
        # pmd3's stop_session requires Result == "Success" (CannotStopSessionError otherwise).
        session_id = req.get("SessionID")
        if not isinstance(session_id, str):
            return {"Error": "MissingSessionID"}
        if session_id != self.session_id:
            return {"Error": "InvalidSessionID"}
        self.session_id = None
        return {"Result": "Success"}

    def _validate_pair(self, req: dict[str, Any]) -> Reply:
        # Sent only for ProductVersion < 7.0 (pmd3 validate_pairing; limd 1.3.0 handshake step 5).
        record = req.get("PairRecord")
        host_id = record.get("HostID") if isinstance(record, dict) else None
        return {} if self.device.trusts(host_id) else {"Error": "InvalidHostID"}

    def _pair(self, req: dict[str, Any]) -> Reply:
        # pmd3 pair()/limd lockdownd_pair send a PairRecord built from DevicePublicKey; the phone
        # trusts its HostID and returns an EscrowBag (kept by pmd3 in the saved record).
        record = req.get("PairRecord")
        host_id = record.get("HostID") if isinstance(record, dict) else None
        if not isinstance(host_id, str):
            return {"Error": "InvalidPairRecord"}
        if not self.device.trust_new_hosts:
            return {"Error": "UserDeniedPairing"}
        self.device.trusted_hosts.add(host_id)
        return {"EscrowBag": self.device.pairing.escrow_bag}

    def _unpair(self, req: dict[str, Any]) -> Reply:
        record = req.get("PairRecord")
        host_id = record.get("HostID") if isinstance(record, dict) else None
        if self.device.trusts(host_id):
            self.device.trusted_hosts.discard(str(host_id))
        return {}

    def _start_service(self, req: dict[str, Any]) -> Reply:
        name = req.get("Service")
        if not _text(name):
            return {"Error": "MissingService"}
        if self.session_id is None:
            return {"Service": name, "Error": "SessionInactive"}  # pmd3 reconnects and retries once
        # Developer services exist only below iOS 17 and while the DeveloperDiskImage is mounted; a phone
        # without them answers InvalidService (services.offered), which makes pmd3 try an RSD tunnel.
        factory = SERVICES.get(name) if offered(self.device, name) else None
        if factory is None:
            return {"Service": name, "Error": "InvalidService"}
        port = self.device.start_service(name, factory(self.device))
        # limd 1.3.0 lockdownd_start_service requires a non-zero Port; pmd3 reads attr["Port"].
        return {"Service": name, "Port": port, "EnableServiceSSL": False}

    def _goodbye(self, _req: dict[str, Any]) -> Reply:
        self.closed = True
        return {"Result": "Success"}


def lockdown_handler(device: VirtualIPhone) -> PortHandler:
    async def serve(link: Link) -> None:
        await serve_lockdown(device, link)

    return serve


async def serve_lockdown(device: VirtualIPhone, link: Link) -> None:
    """Answer length-prefixed plist requests until the client leaves, says Goodbye or sends garbage."""
    session = LockdownSession(device)
    decoder = PlistFrameDecoder()
    while data := await link.read():
        try:
            requests = decoder.feed(data)
        except ProtocolError as exc:
            log.warning("[%s] lockdownd: dropping connection: %s", device.name, exc)
            break
        for request in requests:
            link.write(encode_plist_frame(session.handle(request)))
            if session.closed:
                break
        await link.drain()
        if session.closed:
            break
    link.close()
