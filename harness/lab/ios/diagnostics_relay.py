"""``com.apple.mobile.diagnostics_relay``: restart the phone (what ``pymobiledevice3 diagnostics restart`` and
``idevicediagnostics restart`` ask for).

Length-prefixed plist requests, one reply each (``limd:src/diagnostics_relay.c``,
``pmd3:services/diagnostics.py``):

- ``{"Request": "Restart"}``, optionally with ``WaitForDisconnect``, ``DisplayPass``, ``DisplayFail``
  (libimobiledevice's flags; pymobiledevice3 sends none) → ``{"Status": "Success"}``. Both clients only read
  ``Status``. The phone goes down when the client closes the connection (pymobiledevice3's docstring for
  ``restart``; ``WaitForDisconnect`` asks for exactly that) [that a request without the flag also waits for the
  hang-up is pymobiledevice3's word, not observed here]. The model then reboots (``IOSSystem.reboot``): usbmuxd
  sees ``Detached``, and ``Attached`` once it has booted, locked and before its first unlock.
- ``{"Request": "Goodbye"}`` → ``{"Status": "Success"}`` (libimobiledevice's ``diagnostics_relay_goodbye``,
  which ``idevicediagnostics`` sends before it hangs up).
- Anything else (``Shutdown``, ``Sleep``, ``MobileGestalt``, ``IORegistry``, diagnostics reports) is not
  modelled and answers ``{"Status": "UnknownRequest"}`` [unverified wording: both clients treat any Status but
  ``Success`` as a failure].
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from harness.lab.ios.codec import PlistFrameDecoder, ProtocolError, encode_plist_frame
from harness.lab.ios.link import Link

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["DIAGNOSTICS_RELAY", "DiagnosticsRelay", "serve_diagnostics_relay"]

log = logging.getLogger("harness.lab.ios.diagnostics_relay")

DIAGNOSTICS_RELAY = "com.apple.mobile.diagnostics_relay"


class DiagnosticsRelay:
    """The replies of one diagnostics_relay connection. No I/O; ``restart`` once a Restart was accepted."""

    def __init__(self, can_restart: bool) -> None:
        self.can_restart = can_restart
        self.restart = False

    def handle(self, request: Any) -> dict[str, Any]:
        name = request.get("Request") if isinstance(request, dict) else None
        if name == "Restart":
            if not self.can_restart:
                return {"Status": "Failure"}
            self.restart = True
            return {"Status": "Success"}
        if name == "Goodbye":
            return {"Status": "Success"}
        return {"Status": "UnknownRequest"}


async def serve_diagnostics_relay(device: VirtualIPhone, link: Link) -> None:
    relay, decoder = DiagnosticsRelay(can_restart=device.system is not None), PlistFrameDecoder()
    try:
        while data := await link.read():
            try:
                requests = decoder.feed(data)
            except ProtocolError as exc:
                log.warning("[%s] diagnostics_relay: dropping connection: %s", device.name, exc)
                break
            for request in requests:
                link.write(encode_plist_frame(relay.handle(request)))
            await link.drain()
    finally:
        link.close()
        if relay.restart and device.system is not None:
            log.info("[%s] diagnostics_relay: restarting", device.name)
            device.syslog.clear()  # a new syslog_relay / os_trace client after the boot gets no pre-reboot lines
            device.system.reboot()
