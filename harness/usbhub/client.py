"""A client of a Cambrionix hub's API service (``CambrionixApiService``): JSON-RPC 2.0 over TCP.

Device farms switch a phone's USB port between sync + charge (``s``), charge only (``c``) and off (``o``)
with Cambrionix hubs; the hub's local service takes JSON-RPC requests on ``localhost:43424`` as plain JSON
over a TCP socket (Cambrionix Hub API manual §2, §3.3, §15). One socket per call, as the vendor's Python
wrapper does: the service keeps no state per socket, only per connection handle (``cbrx_connection_open``).

- ``cbrx_find(regex)`` searches every USB device under the hub for ``<manufacturer>\\x1D<product>\\x1D<serial>``
  and answers ``{usb-serial: {"HostDevice": hub-serial, "HostPort": n, …}}`` (§5.22). Only a port in sync mode
  has a USB data link, so a phone is found only while its port is ``s``.
- ``Port.N.mode`` is set with ``cbrx_connection_set`` (§14.3); ``Port.N.Mode`` / ``Port.N.Flags`` are read back
  with ``cbrx_connection_get`` (§14.2).
- Errors come back as JSON-RPC error objects; the CBRXAPI codes are listed in §18.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any

from harness.errors import CommandFailed, DeviceTimeout, DeviceUnreachable

__all__ = ["MODES", "CambrionixClient", "HubPort"]

MODES = {"s": "sync + charge", "c": "charge only", "b": "biased", "o": "off"}
_ERRORS = {-10001: "ID not found", -10003: "key not found", -10004: "could not set value", -10005: "invalid handle",
           -10006: "timeout talking to the hub", -10012: "device not found", -10013: "hub not found",
           -10014: "could not open the hub's serial port"}
_MAX_REPLY = 4 << 20


@dataclass(frozen=True, slots=True)
class HubPort:
    hub: str  # the hub's serial number, as cbrx_discover lists it
    port: int

    def __str__(self) -> str:
        return f"{self.hub} port {self.port}"


class CambrionixClient:
    """Calls on one hub API service for one phone (``device`` names it in every error)."""

    def __init__(self, address: str, device: str, timeout_s: float = 10.0) -> None:
        host, _, port = address.rpartition(":")
        self.address, self.host, self.port = address, host or "127.0.0.1", int(port)
        self.device, self.timeout_s = device, timeout_s
        self._next_id = 0

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        """One request, its ``result``; a JSON-RPC error raises ``CommandFailed`` with the code's meaning."""
        self._next_id += 1
        request: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            request["params"] = params
        reply = self._exchange(method, json.dumps(request).encode())
        error = reply.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            meaning = _ERRORS.get(code, str(error.get("message", "error"))) if isinstance(code, int) else str(error)
            raise CommandFailed(self.device, f"usb hub {method}", f"{self.address} answered {code}: {meaning}",
                                "check the hub's serial and port (`cbrx_discover`), or set usb_hub_port")
        return reply.get("result")

    def find(self, usb_serial: str) -> HubPort | None:
        """The hub port the USB device with this serial is on, or None when no hub sees it (off, charge only)."""
        found = self.call("cbrx_find", [usb_serial])
        entry = found.get(usb_serial) if isinstance(found, dict) else None
        if not isinstance(entry, dict):
            matches = [v for k, v in (found or {}).items() if isinstance(v, dict) and k.lower() == usb_serial.lower()]
            entry = matches[0] if matches else None
        if entry is None:
            return None
        return HubPort(str(entry["HostDevice"]), int(entry["HostPort"]))

    def get(self, port: HubPort, key: str) -> Any:
        return self._with_handle(port, lambda handle: self.call("cbrx_connection_get", [handle, key]))

    def set_mode(self, port: HubPort, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown port mode {mode!r} (one of {', '.join(MODES)})")
        self._with_handle(port, lambda handle: self.call("cbrx_connection_set",
                                                         [handle, f"Port.{port.port}.mode", mode]))

    def mode(self, port: HubPort) -> str:
        return str(self.get(port, f"Port.{port.port}.Mode"))

    def flags(self, port: HubPort) -> set[str]:
        """``Port.N.Flags``: ``A`` attached / ``D`` detached, the mode letter, ``C`` charging, ``F`` full, …"""
        return set(str(self.get(port, f"Port.{port.port}.Flags")).split())

    def _with_handle(self, port: HubPort, action: Any) -> Any:
        handle = self.call("cbrx_connection_open", [port.hub])
        try:
            return action(handle)
        finally:
            self.call("cbrx_connection_close", [handle])

    def _exchange(self, method: str, request: bytes) -> dict[str, Any]:
        command = f"usb hub {method}"
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout_s) as sock:
                sock.sendall(request)
                return self._read_reply(sock, command)
        except TimeoutError as exc:
            raise DeviceTimeout(self.device, command, f"{self.address} did not answer within {self.timeout_s:g} s",
                                "check the hub's API service (CambrionixApiService) is running") from exc
        except OSError as exc:
            raise DeviceUnreachable(self.device, command, f"cannot reach the hub API at {self.address}: "
                                    f"{exc.strerror or exc}", "start CambrionixApiService (or the lab: "
                                    "`harness lab up`), or fix usb_hub in devices.toml") from exc

    def _read_reply(self, sock: socket.socket, command: str) -> dict[str, Any]:
        data = b""
        decoder = json.JSONDecoder()
        while len(data) < _MAX_REPLY:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            try:
                value, _ = decoder.raw_decode(data.decode().lstrip())
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # a reply split across segments: read on
            if isinstance(value, dict):
                return value
            break
        raise CommandFailed(self.device, command, f"{self.address} sent no JSON-RPC reply ({len(data)} bytes)",
                            "is usb_hub the address of a Cambrionix API service?")
