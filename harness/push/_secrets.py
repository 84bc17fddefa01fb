"""Reading push credentials from the files or environment variables ``[push]`` names.

A key file that its group or others may read (any of the mode bits 0o077) is refused, like ssh
refuses a loose private key: the fix is ``chmod 600``. An environment variable holds the key text
itself (the .p8 PEM, or the service-account JSON), which is how CI secret stores hand them over.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from harness.push._errors import PushCredentialsError

__all__ = ["device_token", "read_secret", "service_account_info"]


def read_secret(device: str, what: str, path: str | None, env: str | None) -> bytes:
    """The secret's bytes from ``path`` (permission-checked) or from the variable ``env``."""
    if env:
        value = os.environ.get(env)
        if not value:
            raise PushCredentialsError(device, f"read {what}", f"the environment variable {env} is not set or empty",
                                       f"export {env} with the {what} text, or set the *_path key in [push]")
        return value.encode()
    if not path:
        raise PushCredentialsError(device, f"read {what}", f"no {what} configured",
                                   f"set the {what} path (or the *_env variable) in [push] of devices.toml")
    return _read_private_file(device, what, Path(path))


def _read_private_file(device: str, what: str, path: Path) -> bytes:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise PushCredentialsError(device, f"read {what}", f"{path} does not exist",
                                   "check the path in [push] of devices.toml") from None
    except OSError as exc:
        raise PushCredentialsError(device, f"read {what}", f"cannot stat {path}: {exc.strerror}") from exc
    loose = stat.S_IMODE(info.st_mode) & 0o077
    if loose:
        raise PushCredentialsError(device, f"read {what}",
                                   f"{path} is readable or writable by group/others (mode "
                                   f"{stat.S_IMODE(info.st_mode):04o}); refusing to use it",
                                   f"run `chmod 600 {path}`")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PushCredentialsError(device, f"read {what}", f"cannot read {path}: {exc.strerror}") from exc


def service_account_info(device: str, raw: bytes) -> dict[str, Any]:
    """The parsed service-account JSON, with the keys google-auth needs checked up front."""
    try:
        info = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise PushCredentialsError(device, "read service account", f"not JSON ({exc.msg} at line {exc.lineno})",
                                   "download the key again from the Firebase console (Service accounts)") from None
    if not isinstance(info, dict):
        raise PushCredentialsError(device, "read service account", "the JSON is not an object")
    missing = [k for k in ("client_email", "private_key", "token_uri") if not info.get(k)]
    if info.get("type") != "service_account" or missing:
        raise PushCredentialsError(device, "read service account",
                                   f"not a service-account key (type={info.get('type')!r}, missing {missing})",
                                   "use the JSON key of a service account, not google-services.json")
    return info


def device_token(device: str, token: str | None, env: str | None) -> str:
    """The push token for ``device`` from ``push_token`` or the variable ``push_token_env``."""
    if env:
        value = os.environ.get(env, "").strip()
        if not value:
            raise PushCredentialsError(device, "read push token", f"the environment variable {env} is not set",
                                       f"export {env} with the token the app registered")
        return value
    if not token:
        raise PushCredentialsError(device, "read push token", "no push_token for this device",
                                   "read the token the app logs at start and set push_token (or push_token_env) "
                                   "in its [[device]] entry")
    return token
