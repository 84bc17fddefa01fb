"""Each lab phone's push token, deterministic so a devices.toml can name it before the lab starts.

Shapes as the real services hand them out: an APNs device token is 32 bytes, written as 64 hex digits
(``application(_:didRegisterForRemoteNotificationsWithDeviceToken:)``); an FCM registration token is
``<22-character Firebase installation id>:APA91b<…>`` (base64url, ~163 characters). A ``push_token``
configured for a lab device wins: it is the token the phone's app registered.
"""

from __future__ import annotations

import base64
import hashlib
import re

from harness.config import DeviceConfig

__all__ = ["APNS_TOKEN", "FCM_TOKEN", "apns_token", "fcm_token", "token_for"]

APNS_TOKEN = re.compile(r"[0-9a-fA-F]{64,200}")
FCM_TOKEN = re.compile(r"[A-Za-z0-9_-]{11,}:APA91[A-Za-z0-9_-]{20,}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def apns_token(udid: str, bundle_id: str, seed: int = 1) -> str:
    return hashlib.sha256(f"apns|{udid}|{bundle_id}|{seed}".encode()).hexdigest()


def fcm_token(name: str, package: str, seed: int = 1) -> str:
    digest = hashlib.sha512(f"fcm|{name}|{package}|{seed}".encode()).digest()
    fid = _b64(hashlib.sha256(digest).digest()[:16])[:22]
    body = _b64(digest + hashlib.sha512(digest).digest())[:134]
    return f"{fid}:APA91b{body}"


def token_for(dev: DeviceConfig, app_id: str, seed: int) -> str:
    """The token the lab phone ``dev`` registered for ``app_id``."""
    if dev.push_token:
        return dev.push_token
    if dev.platform == "ios":
        return apns_token(dev.udid or dev.name, app_id, seed)
    return fcm_token(dev.name, app_id, seed)
