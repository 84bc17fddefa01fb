"""Silent pushes to phones under test: APNs (iPhones) and FCM HTTP v1 (Android), configured in ``[push]``.

``Pusher(cfg).send(device, data)`` sends one background push to the device's ``push_token``: an APNs
``content-available`` push (``apns-push-type: background``, priority 5) or an FCM high-priority data
message. Failures are typed (``PushTokenUnregistered`` for APNs 410 / FCM UNREGISTERED, ``PushAuthError``,
``PushUnreachable``, …) and name the device and the fix; tokens and keys are redacted everywhere.
See docs/push.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.config import Config, DeviceConfig, PushConfig
from harness.push._apns import ApnsClient, ApnsResult, ApnsTokenSigner, background_payload
from harness.push._errors import (
    APNS_REASONS,
    FCM_CODES,
    PushAuthError,
    PushCredentialsError,
    PushError,
    PushRejected,
    PushServiceError,
    PushThrottled,
    PushTokenInvalid,
    PushTokenUnregistered,
    PushUnreachable,
)
from harness.push._fcm import FCM_SCOPE, FcmClient, FcmResult, data_message
from harness.push._redact import RedactingFilter, fingerprint, redact
from harness.push._secrets import device_token

__all__ = [
    "APNS_REASONS",
    "FCM_CODES",
    "FCM_SCOPE",
    "ApnsClient",
    "ApnsResult",
    "ApnsTokenSigner",
    "FcmClient",
    "FcmResult",
    "PushAuthError",
    "PushCredentialsError",
    "PushError",
    "PushReceipt",
    "PushRejected",
    "PushServiceError",
    "PushThrottled",
    "PushTokenInvalid",
    "PushTokenUnregistered",
    "PushUnreachable",
    "Pusher",
    "RedactingFilter",
    "background_payload",
    "data_message",
    "fingerprint",
    "redact",
]


@dataclass(frozen=True, slots=True)
class PushReceipt:
    """What the service accepted: the device, its service and the service's id for the message."""

    device: str
    service: str  # apns | fcm
    message_id: str | None


class Pusher:
    """One sender per run: an ``ApnsClient`` and an ``FcmClient``, each made on first use and reused."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self._apns: ApnsClient | None = None
        self._fcm: FcmClient | None = None

    @property
    def push(self) -> PushConfig:
        if self.cfg.push is None:
            raise PushCredentialsError("push", "configure", f"{self.cfg.path} has no [push] table",
                                       "add [push] with the APNs key / FCM service account (docs/push.md)")
        return self.cfg.push

    def send(self, dev: DeviceConfig, data: Mapping[str, object] | None = None) -> PushReceipt:
        """A silent push to the app on ``dev`` now; raises a typed ``PushError``."""
        token = device_token(dev.name, dev.push_token, dev.push_token_env)
        if dev.platform == "ios":
            result = self._apns_client(dev.name).send_background(dev.name, token, data)
            return PushReceipt(dev.name, "apns", result.apns_id)
        fcm = self._fcm_client(dev.name).send_data(dev.name, token, data or {})
        return PushReceipt(dev.name, "fcm", fcm.name.rsplit("/", 1)[-1] or None)

    def _apns_client(self, device: str) -> ApnsClient:
        if self._apns is None:
            self._apns = ApnsClient(self.push, topic=self.push.apns_topic or self.cfg.app.ios_bundle_id, device=device)
        return self._apns

    def _fcm_client(self, device: str) -> FcmClient:
        if self._fcm is None:
            self._fcm = FcmClient(self.push, device=device)
        return self._fcm

    def close(self) -> None:
        for client in (self._apns, self._fcm):
            if client is not None:
                client.close()
        self._apns = self._fcm = None

    def __enter__(self) -> Pusher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
