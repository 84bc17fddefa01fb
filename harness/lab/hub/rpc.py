"""The JSON-RPC 2.0 methods of Cambrionix's API service (``CambrionixApiService``) over virtual hubs.

Pure: one parsed JSON value in, the response object (or None for a notification) out; ``server.HubServer``
does the framing. Requests are ``{"jsonrpc": "2.0", "id": N, "method": …, "params": [...]}``; replies carry
the request's ``id`` and either ``result`` or ``error: {code, message}`` (Cambrionix Hub API manual §3).
A request without ``id`` is a notification: it is carried out and nothing is sent back (JSON-RPC 2.0 §4.1).

Connection handles (``cbrx_connection_open``) count up from 7654 and are closed by the service when unused
for a minute (Cambrionix Hub API manual §18, note on -10001/-10005); using one afterwards is -10005.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from harness.lab.hub.model import (
    ID_NOT_FOUND,
    INVALID_HANDLE,
    INVALID_PARAMS,
    INVALID_REQUEST,
    MESSAGES,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    CambrionixHub,
    CbrxError,
    UsbDevice,
    find_text,
)

__all__ = ["API_VERSION", "CambrionixService", "error_response", "parse_error_response"]

log = logging.getLogger("harness.lab.hub")

API_VERSION = [3, 9]  # cbrx_apiversion (Cambrionix Hub API manual §5.1): the manual this lab follows is v3.9
_BUILD = 0  # [unverified] the build number real services put in cbrx_apidetails' version / semver
_INTERNAL_ERROR = -32603  # JSON-RPC 2.0 §5.1: a lab bug, never a client mistake
_IDLE_S = 60.0

Params = list[Any]


@dataclass
class _Handle:
    hub: CambrionixHub
    last_used: float


def error_response(request_id: object, code: int, message: str | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id,
            "error": {"code": code, "message": message or MESSAGES.get(code, "Internal error")}}


def parse_error_response() -> dict[str, Any]:
    """The reply to bytes that are not JSON: the request's id is unknown, so ``null`` (JSON-RPC 2.0 §5.1)."""
    return error_response(None, PARSE_ERROR)


class CambrionixService:
    """The API service of a host with ``hubs`` attached; ``cbrx_discover`` lists them all."""

    def __init__(self, hubs: Iterable[CambrionixHub] = (), *, now: Callable[[], float] = time.monotonic,
                 first_handle: int = 7654, idle_s: float = _IDLE_S) -> None:
        self.hubs: dict[str, CambrionixHub] = {}
        self.now, self.idle_s = now, idle_s
        self._next_handle = first_handle
        self._handles: dict[int, _Handle] = {}
        self._methods: dict[str, Callable[[Params], Any]] = {
            "cbrx_apiversion": self._apiversion, "cbrx_apidetails": self._apidetails,
            "cbrx_discover": self._discover, "cbrx_discover_id_to_os_reference": self._os_reference,
            "cbrx_connection_open": self._open, "cbrx_connection_close": self._close,
            "cbrx_connection_getdictionary": self._getdictionary,
            "cbrx_connection_setdictionary": self._setdictionary,
            "cbrx_connection_get": self._get, "cbrx_connection_set": self._set,
            "cbrx_hub_get": self._hub_get, "cbrx_hub_set": self._hub_set, "cbrx_find": self._find,
        }
        for hub in hubs:
            self.add(hub)

    def add(self, hub: CambrionixHub) -> None:
        self.hubs[hub.serial] = hub

    @property
    def open_handles(self) -> list[int]:
        self._expire()
        return sorted(self._handles)

    def handle(self, request: object) -> dict[str, Any] | None:
        if not _valid(request):
            request_id = request.get("id") if isinstance(request, dict) and _valid_id(request.get("id")) else None
            return error_response(request_id, INVALID_REQUEST)
        assert isinstance(request, dict)
        notification, request_id = "id" not in request, request.get("id")
        try:
            result = self._call(request["method"], request.get("params", []))
        except CbrxError as exc:
            return None if notification else error_response(request_id, exc.code)
        except Exception:
            log.exception("hub API: %s failed", request["method"])
            return None if notification else error_response(request_id, _INTERNAL_ERROR)
        return None if notification else {"jsonrpc": "2.0", "id": request_id, "result": result}

    def _call(self, method: str, params: object) -> Any:
        call = self._methods.get(method)
        if call is None:
            raise CbrxError(METHOD_NOT_FOUND, method)
        if not isinstance(params, list):  # the API's parameters are positional (manual §3)
            raise CbrxError(INVALID_PARAMS, "params must be an array")
        self._expire()
        return call(params)

    # -- methods (Cambrionix Hub API manual §5) ---------------------------------------------------
    def _apiversion(self, params: Params) -> list[int]:
        _arity(params, 0)
        return list(API_VERSION)

    def _apidetails(self, params: Params) -> dict[str, Any]:
        _arity(params, 0)
        major, minor = API_VERSION
        return {"version": [major, minor, 0, _BUILD], "semver": f"{major}.{minor}.0+{_BUILD}"}

    def _discover(self, params: Params) -> Any:
        _arity(params, 1)
        kind = _text(params[0])
        if kind == "local":
            return list(self.hubs)
        if kind == "all":
            return {serial: hub.describe() for serial, hub in self.hubs.items()}
        raise CbrxError(INVALID_PARAMS, f"discover {kind!r}: 'local' or 'all'")

    def _os_reference(self, params: Params) -> str:
        _arity(params, 1)
        return self._hub(params[0]).serial_port

    def _open(self, params: Params) -> int:
        _arity(params, 1, 2)
        if len(params) == 2 and params[1] != "local":  # [unverified] remote hubs take more parameters: not served
            raise CbrxError(INVALID_PARAMS, "only local hubs")
        hub = self._hub(params[0])
        handle, self._next_handle = self._next_handle, self._next_handle + 1
        self._handles[handle] = _Handle(hub, self.now())
        return handle

    def _close(self, params: Params) -> bool:
        _arity(params, 1)
        self._use(params[0])
        del self._handles[params[0]]
        return True

    def _getdictionary(self, params: Params) -> list[str]:
        _arity(params, 1)
        return self._use(params[0]).get_keys()

    def _setdictionary(self, params: Params) -> list[str]:
        _arity(params, 1)
        return self._use(params[0]).set_keys()

    def _get(self, params: Params) -> Any:
        _arity(params, 2)
        return self._use(params[0]).get(_text(params[1]))

    def _set(self, params: Params) -> bool:
        _arity(params, 3)
        self._use(params[0]).set(_text(params[1]), params[2])
        return True

    def _hub_get(self, params: Params) -> Any:
        _arity(params, 2)
        return self._hub(params[0]).get(_text(params[1]))

    def _hub_set(self, params: Params) -> bool:
        _arity(params, 3)
        self._hub(params[0]).set(_text(params[1]), params[2])
        return True

    def _find(self, params: Params) -> dict[str, Any]:
        """By regex over manufacturer/description/serial, or by VID (and PID); ``{}`` when none (manual §5.22)."""
        _arity(params, 1, 2)
        match = _matcher(params)
        found: dict[str, Any] = {}
        for hub in self.hubs.values():
            found.update(hub.find(match))
        return found

    # -- ids and handles -----------------------------------------------------------------------
    def _hub(self, serial: object) -> CambrionixHub:
        hub = self.hubs.get(_text(serial))
        if hub is None:
            raise CbrxError(ID_NOT_FOUND, f"{serial!r} is not a hub on this host")
        return hub

    def _use(self, handle: object) -> CambrionixHub:
        entry = self._handles.get(_integer(handle))
        if entry is None:
            raise CbrxError(INVALID_HANDLE, f"{handle!r}")
        entry.last_used = self.now()
        return entry.hub

    def _expire(self) -> None:
        now = self.now()
        for handle, entry in list(self._handles.items()):
            if now - entry.last_used >= self.idle_s:
                del self._handles[handle]


def _valid(request: object) -> bool:
    return (isinstance(request, dict) and request.get("jsonrpc") == "2.0"
            and isinstance(request.get("method"), str) and _valid_id(request.get("id")))


def _valid_id(value: object) -> bool:
    """JSON-RPC 2.0 §4: an id is a string, a number or null."""
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def _arity(params: Params, low: int, high: int | None = None) -> None:
    if not low <= len(params) <= (low if high is None else high):
        raise CbrxError(INVALID_PARAMS, f"{len(params)} parameters")


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise CbrxError(INVALID_PARAMS, f"{value!r} is not a string")
    return value


def _integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise CbrxError(INVALID_PARAMS, f"{value!r} is not an integer")
    return value


def _matcher(params: Params) -> Callable[[UsbDevice], bool]:
    if len(params) == 1 and isinstance(params[0], str):
        try:
            pattern = re.compile(params[0])
        except re.error as exc:
            raise CbrxError(INVALID_PARAMS, f"bad regular expression: {exc}") from exc
        return lambda device: pattern.search(find_text(device)) is not None
    vid = _integer(params[0])
    pid = _integer(params[1]) if len(params) == 2 else None
    return lambda device: device.vid == vid and (pid is None or device.pid == pid)
