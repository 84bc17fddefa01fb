"""An FCM HTTP v1 client: high-priority data messages, authorised with a service account through google-auth.

What it sends (``firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send``):
``POST /v1/projects/<project>/messages:send`` with ``Authorization: Bearer <OAuth access token>`` and
``{"message": {"token": …, "data": {<string>: <string>}, "android": {"priority": "high", "ttl": "<n>s"}}}``;
a 200 is ``{"name": "projects/<project>/messages/<id>"}``. A data-only high-priority message is what
wakes an app in Doze (developer.android.com power-details: "High priority: No restriction").

The access token comes from google-auth's service-account flow: a JWT assertion (RS256, ``aud``
``https://oauth2.googleapis.com/token``, scope ``…/auth/firebase.messaging``) posted to the key file's
``token_uri`` (``google/oauth2/service_account.py:Credentials.refresh``). google-auth's HTTP goes
through ``_AuthRequest`` here, so the token fetch shares the client's timeout.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
import google.auth.transport
import httpx
from google.oauth2 import service_account

from harness.config import PushConfig
from harness.push._errors import PushAuthError, PushCredentialsError, PushUnreachable, fcm_error
from harness.push._redact import fingerprint, guard_library_logs, redact
from harness.push._reuse import rsa_signer, tls_context
from harness.push._secrets import read_secret, service_account_info

__all__ = ["FCM_SCOPE", "FcmClient", "FcmResult", "data_message"]

log = logging.getLogger("harness.push.fcm")

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


@dataclass(frozen=True, slots=True)
class FcmResult:
    device: str
    name: str  # projects/<project>/messages/<message id>


def data_message(token: str, data: Mapping[str, object], *, ttl_s: int | None = None,
                 collapse_key: str | None = None) -> dict[str, Any]:
    """The v1 ``message`` for a high-priority data message; data values are strings on the wire."""
    android: dict[str, Any] = {"priority": "high"}
    if ttl_s is not None:
        android["ttl"] = f"{int(ttl_s)}s"
    if collapse_key is not None:
        android["collapse_key"] = collapse_key
    return {"token": token, "data": {str(k): str(v) for k, v in data.items()}, "android": android}


class _AuthResponse(google.auth.transport.Response):
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return dict(self._response.headers)

    @property
    def data(self) -> bytes:
        return self._response.content


class _AuthRequest(google.auth.transport.Request):
    """google-auth's transport interface over the client's httpx connection pool."""

    def __init__(self, http: httpx.Client, timeout_s: float) -> None:
        self.http, self.timeout_s = http, timeout_s

    def __call__(self, url: str, method: str = "GET", body: bytes | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float | None = None,
                 **kwargs: Any) -> _AuthResponse:
        try:
            response = self.http.request(method, url, content=body, headers=dict(headers or {}),
                                         timeout=timeout or self.timeout_s)
        except httpx.TransportError as exc:
            raise google.auth.exceptions.TransportError(  # type: ignore[no-untyped-call]
                f"{type(exc).__name__}: {exc}") from exc
        return _AuthResponse(response)


class FcmClient:
    """Sends data messages for one Firebase project. Close it when done."""

    def __init__(self, cfg: PushConfig, *, transport: httpx.BaseTransport | None = None,
                 device: str = "fcm") -> None:
        raw = read_secret(device, "FCM service account", cfg.fcm_service_account_path, cfg.fcm_service_account_env)
        info = service_account_info(device, raw)
        self.project_id = cfg.fcm_project_id or str(info.get("project_id") or "")
        if not self.project_id:
            raise PushCredentialsError(device, "FCM project", "no project id",
                                       "set [push] fcm_project_id (or use a key file with project_id)")
        try:
            self._credentials = _credentials(info)
        except (ValueError, KeyError) as exc:
            raise PushCredentialsError(device, "read FCM service account", f"google-auth refused the key: {exc}",
                                       "download a new JSON key for the service account") from None
        self.base_url = cfg.fcm_base_url
        self.timeout_s = cfg.timeout_s
        guard_library_logs()
        self._http = httpx.Client(http2=True, transport=transport, timeout=httpx.Timeout(self.timeout_s),
                                  verify=tls_context())
        self._auth = _AuthRequest(self._http, self.timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FcmClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_data(self, device: str, token: str, data: Mapping[str, object], *, ttl_s: int | None = None,
                  collapse_key: str | None = None) -> FcmResult:
        """One high-priority data message to ``token`` (the app on ``device``); raises a typed ``PushError``."""
        path = f"/v1/projects/{self.project_id}/messages:send"
        command = f"FCM POST {path} token {fingerprint(token)}"
        body = json.dumps({"message": data_message(token, data, ttl_s=ttl_s, collapse_key=collapse_key)}).encode()
        response = self._post(device, command, token, path, body, refresh=False)
        if response.status_code == 401:  # a token revoked early: one fresh token, one retry (as AuthorizedSession)
            response = self._post(device, command, token, path, body, refresh=True)
        if response.status_code != 200:
            code, message = _error_of(response)
            raise fcm_error(device, command, response.status_code, code, redact(message, token))
        name = str(response.json().get("name", ""))
        log.info("[%s] %s → 200 %s", device, command, name.rsplit("/", 1)[-1])
        return FcmResult(device, name)

    def _access_token(self, device: str, command: str, refresh: bool) -> str:
        if refresh or not self._credentials.valid:
            try:
                self._credentials.refresh(self._auth)  # type: ignore[no-untyped-call]
            except google.auth.exceptions.TransportError as exc:
                raise PushUnreachable(device, command, f"cannot reach the OAuth token endpoint: {redact(str(exc))}",
                                      "check the network and the service account's token_uri", service="fcm") from exc
            except google.auth.exceptions.RefreshError as exc:
                raise PushAuthError(device, command, f"the service account was refused: {redact(str(exc))}",
                                    "the key may be deleted or disabled: create a new key in the Firebase console",
                                    service="fcm", status=400, reason="invalid_grant") from exc
        return str(self._credentials.token)

    def _post(self, device: str, command: str, token: str, path: str, body: bytes, refresh: bool) -> httpx.Response:
        headers = {"authorization": f"Bearer {self._access_token(device, command, refresh)}",
                   "content-type": "application/json; charset=UTF-8"}
        try:
            return self._http.post(self.base_url + path, content=body, headers=headers)
        except httpx.TransportError as exc:
            text = redact(str(exc) or type(exc).__name__, token)
            raise PushUnreachable(device, command, f"no answer from {self.base_url}: {text}",
                                  "is the FCM endpoint reachable? check [push] fcm_url (the lab gateway runs with "
                                  "`harness lab up`) and the network", service="fcm") from exc


def _credentials(info: Mapping[str, Any]) -> service_account.Credentials:
    """What ``Credentials.from_service_account_info(info, scopes=[FCM_SCOPE])`` builds, over the process's one
    signer for this key (harness/push/_reuse.py). KeyError or ValueError when a field is missing or malformed."""
    signer = rsa_signer(str(info["private_key"]), info.get("private_key_id"))
    return service_account.Credentials(  # type: ignore[no-untyped-call]
        signer, service_account_email=info["client_email"], token_uri=info["token_uri"], scopes=[FCM_SCOPE],
        project_id=info.get("project_id"), universe_domain=info.get("universe_domain", "googleapis.com"),
        trust_boundary=info.get("trust_boundary"))


def _error_of(response: httpx.Response) -> tuple[str | None, str]:
    """(FcmError code, or the canonical status; message) of an error response."""
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        return None, response.text[:200]
    if not isinstance(error, dict):
        return None, str(error)[:200]
    code = None
    for detail in error.get("details", []) or []:
        if isinstance(detail, dict) and detail.get("@type") == FCM_ERROR_TYPE:
            code = detail.get("errorCode")
    return (str(code) if code else error.get("status")), str(error.get("message", ""))
