"""``[push]`` and ``[collector]`` of ``devices.toml``: where silent pushes go and where wakes come back.

``[push]`` names credentials, never holds them: a key file path or the name of an environment
variable that holds the key text (``apns_key_env``, ``fcm_service_account_env``). Relative paths are
relative to the folder of ``devices.toml``, like ``[lab] state_dir``. Endpoints default to the real
services (Apple: ``api.sandbox.push.apple.com`` / ``api.push.apple.com``,
``Averyy/apple-dev-docs:documentation/UserNotifications/sending-notification-requests-to-apns.md``;
Google: ``fcm.googleapis.com``) and point at the lab gateway for lab runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

__all__ = [
    "APNS_ENVIRONMENTS",
    "APNS_HOSTS",
    "FCM_URL",
    "CollectorConfig",
    "PushConfig",
    "parse_collector",
    "parse_push",
]

APNS_ENVIRONMENTS: tuple[str, ...] = ("sandbox", "production")
APNS_HOSTS = {"sandbox": "https://api.sandbox.push.apple.com", "production": "https://api.push.apple.com"}
FCM_URL = "https://fcm.googleapis.com"


@dataclass(frozen=True, slots=True)
class PushConfig:
    """The senders' settings. Paths are absolute once parsed."""

    apns_key_path: str | None = None  # the .p8 (PKCS#8 PEM) from the Apple developer account
    apns_key_env: str | None = None  # or: an environment variable holding the .p8 text
    apns_key_id: str | None = None  # the 10-character key id (JWT header kid)
    apns_team_id: str | None = None  # the 10-character team id (JWT claim iss)
    apns_topic: str | None = None  # apns-topic; defaults to [app] ios_bundle_id
    apns_environment: str = "sandbox"  # sandbox (development builds) | production
    apns_url: str | None = None  # base URL; None = Apple's host for the environment
    fcm_service_account_path: str | None = None  # the service-account JSON from the Firebase console
    fcm_service_account_env: str | None = None  # or: an environment variable holding that JSON
    fcm_project_id: str | None = None  # defaults to the service account's project_id
    fcm_url: str | None = None  # base URL; None = https://fcm.googleapis.com
    timeout_s: float = 10.0  # every request (and the OAuth token fetch) has this timeout

    @property
    def apns_base_url(self) -> str:
        return (self.apns_url or APNS_HOSTS[self.apns_environment]).rstrip("/")

    @property
    def fcm_base_url(self) -> str:
        return (self.fcm_url or FCM_URL).rstrip("/")

    @property
    def has_apns(self) -> bool:
        return bool((self.apns_key_path or self.apns_key_env) and self.apns_key_id and self.apns_team_id)

    @property
    def has_fcm(self) -> bool:
        return bool(self.fcm_service_account_path or self.fcm_service_account_env)


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    """The wake collector: loopback by default; phones reach it through ``adb reverse`` or ``ios_url``."""

    host: str = "127.0.0.1"  # bind address; keep loopback unless iPhones must reach it over Wi-Fi
    port: int = 0  # 0 = a free port chosen at start
    device_port: int = 8765  # Android: the phone-side port `adb reverse tcp:<device_port> tcp:<port>` opens
    ios_url: str | None = None  # iOS: the URL iPhones post to, e.g. "http://192.168.1.20:8765" (no reverse on iOS)


_PUSH_TYPES: dict[str, type] = {
    "apns_key_path": str, "apns_key_env": str, "apns_key_id": str, "apns_team_id": str, "apns_topic": str,
    "apns_environment": str, "apns_url": str, "fcm_service_account_path": str, "fcm_service_account_env": str,
    "fcm_project_id": str, "fcm_url": str, "timeout_s": float,
}
_COLLECTOR_TYPES: dict[str, type] = {"host": str, "port": int, "device_port": int, "ios_url": str}


def _typed(path: str, where: str, raw: dict[str, Any], types: dict[str, type]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, given in raw.items():
        want = types.get(key)
        if want is None:
            raise ConfigError(path, where, f"unknown key {key!r}", f"known keys: {', '.join(sorted(types))}")
        value = float(given) if want is float and isinstance(given, int) and not isinstance(given, bool) else given
        if not isinstance(value, want) or isinstance(value, bool):
            raise ConfigError(path, where, f"key {key!r} must be a {want.__name__}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(path, where, f"key {key!r} must be a finite number, got {value}")
        out[key] = value
    return out


def _absolute(path: str, value: str | None) -> str | None:
    if value is None or Path(value).is_absolute():
        return value
    return str(Path(path).resolve().parent / value)


def parse_push(path: str, raw: Any) -> PushConfig | None:
    """``[push]`` → ``PushConfig``; None when the table is absent (pushes are then not configured)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError(path, "[push]", "must be a table")
    values = _typed(path, "[push]", raw, _PUSH_TYPES)
    env = values.get("apns_environment", "sandbox")
    if env not in APNS_ENVIRONMENTS:
        raise ConfigError(path, "[push]", f"unknown apns_environment {env!r}", "use sandbox or production")
    for key in ("apns_key_path", "fcm_service_account_path"):
        values[key] = _absolute(path, values.get(key))
    for file_key, env_key in (("apns_key_path", "apns_key_env"), ("fcm_service_account_path",
                                                                  "fcm_service_account_env")):
        if values.get(file_key) and values.get(env_key):
            raise ConfigError(path, "[push]", f"both {file_key!r} and {env_key!r} are set", "keep one of them")
    has_key = values.get("apns_key_path") or values.get("apns_key_env")
    for key in ("apns_key_id", "apns_team_id"):
        if has_key and not values.get(key):
            raise ConfigError(path, "[push]", f"missing key {key!r}", "token auth needs the key id and the team id")
        ident = values.get(key)
        if ident is not None and (len(ident) != 10 or not ident.isalnum()):
            raise ConfigError(path, "[push]", f"key {key!r} must be 10 letters or digits, got {ident!r}",
                              "copy it from the Apple developer account (Keys / Membership)")
    for key in ("apns_url", "fcm_url"):
        url = values.get(key)
        if url is not None and not url.startswith(("http://", "https://")):
            raise ConfigError(path, "[push]", f"key {key!r} must be an http:// or https:// URL, got {url!r}")
    if values.get("timeout_s", 10.0) <= 0:
        raise ConfigError(path, "[push]", f"timeout_s must be positive, got {values['timeout_s']}")
    return PushConfig(**values)


def parse_collector(path: str, raw: Any) -> CollectorConfig:
    if raw is None:
        return CollectorConfig()
    if not isinstance(raw, dict):
        raise ConfigError(path, "[collector]", "must be a table")
    values = _typed(path, "[collector]", raw, _COLLECTOR_TYPES)
    for key in ("port", "device_port"):
        port = values.get(key)
        if port is not None and not 0 <= port <= 65535:
            raise ConfigError(path, "[collector]", f"key {key!r} must be a TCP port (0-65535), got {port}")
    if values.get("device_port") == 0:
        raise ConfigError(path, "[collector]", "device_port must not be 0", "adb reverse needs a fixed phone port")
    url = values.get("ios_url")
    if url is not None and not url.startswith(("http://", "https://")):
        raise ConfigError(path, "[collector]", f"key 'ios_url' must be an http:// or https:// URL, got {url!r}")
    return CollectorConfig(**values)
