"""An APNs provider-API client: background pushes over HTTP/2 with token (JWT) authentication.

What it sends (``Averyy/apple-dev-docs:documentation/UserNotifications/sending-notification-requests-to-apns.md``,
``…/pushing-background-updates-to-your-app.md``; reference/ios.md §4.6): ``POST /3/device/<token>`` with
``authorization: bearer <JWT>``, ``apns-topic: <bundle id>``, ``apns-push-type: background``,
``apns-priority: 5`` and optionally ``apns-expiration``, ``apns-collapse-id`` and ``apns-id``; the body
is ``{"aps":{"content-available":1}, …custom keys}``. A 200 carries ``apns-id`` (and ``apns-unique-id``
in the development environment); an error carries ``{"reason": …}`` (plus ``timestamp`` on 410).

The JWT (``…/establishing-a-token-based-connection-to-apns.md``) is ``{"alg":"ES256","kid":<key id>}``
+ ``{"iss":<team id>,"iat":<epoch s>}`` signed with the .p8 key. Apple rejects a token older than an
hour (403 ``ExpiredProviderToken``) and one that changes more often than every 20 minutes (429
``TooManyProviderTokenUpdates``), so the signer keeps one token for ``refresh_s`` (20–60 min, 50 by
default) and the client keeps one HTTP/2 connection.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from harness.config import PushConfig
from harness.push._errors import PushCredentialsError, PushUnreachable, apns_error
from harness.push._redact import fingerprint, guard_library_logs, redact
from harness.push._reuse import tls_context
from harness.push._secrets import read_secret

__all__ = ["REFRESH_MAX_S", "REFRESH_MIN_S", "ApnsClient", "ApnsResult", "ApnsTokenSigner", "background_payload"]

log = logging.getLogger("harness.push.apns")

REFRESH_MIN_S = 20 * 60.0
REFRESH_MAX_S = 60 * 60.0


@dataclass(frozen=True, slots=True)
class ApnsResult:
    device: str
    status: int
    apns_id: str | None  # the request's id (ours if we sent apns-id, else the one APNs made)
    unique_id: str | None  # apns-unique-id, development environment only


def background_payload(custom: Mapping[str, object] | None = None) -> dict[str, object]:
    """``{"aps":{"content-available":1}, …custom}``: a background push has no alert, sound or badge."""
    extra = dict(custom or {})
    if "aps" in extra:
        raise ValueError("custom keys must not contain 'aps': the background payload owns it")
    return {"aps": {"content-available": 1}, **extra}


class ApnsTokenSigner:
    """One ES256 provider token, reused for ``refresh_s`` and then replaced."""

    def __init__(self, key_pem: bytes, key_id: str, team_id: str, *, refresh_s: float = 50 * 60.0,
                 clock: Callable[[], float] = time.time, device: str = "apns") -> None:
        if not REFRESH_MIN_S <= refresh_s < REFRESH_MAX_S:
            raise ValueError(f"refresh_s must be within Apple's 20-60 minute window, got {refresh_s:g} s")
        try:
            key = load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise PushCredentialsError(device, "read APNs key", "the .p8 is not a PKCS#8 PEM private key",
                                       "download the key again (Certificates, IDs & Profiles → Keys)") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise PushCredentialsError(device, "read APNs key", "the .p8 is not a P-256 (ES256) key",
                                       "APNs token auth needs the .p8 Apple issued for the Push service")
        self._key = key
        self.key_id, self.team_id, self.refresh_s, self._clock = key_id, team_id, refresh_s, clock
        self._token: str | None = None
        self._issued_s = 0.0

    @property
    def issued_at(self) -> float:
        return self._issued_s

    def token(self) -> str:
        """The current JWT; a new one once the old one is ``refresh_s`` old."""
        now = self._clock()
        if self._token is None or now - self._issued_s >= self.refresh_s:
            self._issued_s = float(int(now))
            self._token = jwt.encode({"iss": self.team_id, "iat": int(now)}, self._key, algorithm="ES256",
                                     headers={"kid": self.key_id, "typ": None})
        return self._token

    def invalidate(self) -> None:
        self._token = None


class ApnsClient:
    """Sends background pushes for one app (topic) over one HTTP/2 connection. Close it when done."""

    def __init__(self, cfg: PushConfig, *, topic: str | None = None, clock: Callable[[], float] = time.time,
                 transport: httpx.BaseTransport | None = None, device: str = "apns") -> None:
        self.base_url = cfg.apns_base_url
        self.topic = topic or cfg.apns_topic
        self.timeout_s = cfg.timeout_s
        key = read_secret(device, "APNs key (.p8)", cfg.apns_key_path, cfg.apns_key_env)
        if not (cfg.apns_key_id and cfg.apns_team_id):
            raise PushCredentialsError(device, "APNs token auth", "apns_key_id and apns_team_id are not both set",
                                       "set them in [push] of devices.toml")
        self.signer = ApnsTokenSigner(key, cfg.apns_key_id, cfg.apns_team_id, clock=clock, device=device)
        guard_library_logs()
        # http:// is the lab's cleartext HTTP/2 (prior knowledge); https:// negotiates h2 by ALPN as APNs requires.
        self._http = httpx.Client(base_url=self.base_url, http1=False, http2=True, transport=transport,
                                  timeout=httpx.Timeout(self.timeout_s), verify=tls_context())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApnsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_background(self, device: str, token: str, custom: Mapping[str, object] | None = None, *,
                        expiration: int | None = None, collapse_id: str | None = None,
                        apns_id: str | None = None, priority: int = 5) -> ApnsResult:
        """One background push to ``token`` (the app on ``device``); raises a typed ``PushError``."""
        body = json.dumps(background_payload(custom), separators=(",", ":")).encode()
        headers = {"apns-push-type": "background", "apns-priority": str(priority)}
        if self.topic:
            headers["apns-topic"] = self.topic
        if expiration is not None:
            headers["apns-expiration"] = str(int(expiration))
        if collapse_id is not None:
            headers["apns-collapse-id"] = collapse_id
        if apns_id is not None:
            headers["apns-id"] = apns_id
        command = f"APNs POST /3/device/{fingerprint(token)}"
        response = self._post(device, command, token, headers, body)
        if response.status_code == 403 and _reason(response) == "ExpiredProviderToken":
            self.signer.invalidate()  # our clock moved past the hour: one fresh token, one retry
            response = self._post(device, command, token, headers, body)
        if response.status_code != 200:
            raise apns_error(device, command, response.status_code, _reason(response))
        result = ApnsResult(device, 200, response.headers.get("apns-id"), response.headers.get("apns-unique-id"))
        log.info("[%s] %s → 200 apns-id %s", device, command, result.apns_id)
        return result

    def _post(self, device: str, command: str, token: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        auth = {"authorization": f"bearer {self.signer.token()}"}
        try:
            return self._http.post(f"/3/device/{token}", content=body, headers={**headers, **auth})
        except httpx.TransportError as exc:
            text = redact(str(exc) or type(exc).__name__, token)
            raise PushUnreachable(device, command, f"no answer from {self.base_url}: {text}",
                                  "is the APNs endpoint reachable? check [push] apns_url (the lab gateway runs with "
                                  "`harness lab up`) and the network", service="apns") from exc


def _reason(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    reason = data.get("reason") if isinstance(data, dict) else None
    return str(reason) if reason is not None else None
