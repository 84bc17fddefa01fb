"""``[farm]`` of ``devices.toml``: the shared PostgreSQL database that several controllers lease phones through.

Without it (and without ``HARNESS_FARM_URL``) leases stay files on this controller (``harness/pool``)
and history stays ``reports/history.sqlite``: nothing to set up. With it, every controller pointed at
one database shares leases, bookings, quarantine and history (``harness/farm``, ``docs/farm.md``)::

    [farm]
    url = "postgresql://harness@db.lab.example/harness"   # or HARNESS_FARM_URL; the environment wins
    quarantine_s = 3600                                     # how long a farm-wide quarantine lasts

A password belongs in ``~/.pgpass`` or ``PGPASSWORD``, not in the file; it is never printed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.config._model import Config

__all__ = ["FARM_URL_ENV", "FarmConfig", "farm_url", "parse_farm", "redact_url"]

FARM_URL_ENV = "HARNESS_FARM_URL"
_SCHEMES = ("postgresql", "postgres")
_DEFAULT_QUARANTINE_S = 3600.0


@dataclass(frozen=True, slots=True)
class FarmConfig:
    url: str | None = None  # postgresql://user@host:port/db; None: leases are files on this controller
    quarantine_s: float = _DEFAULT_QUARANTINE_S  # a phone quarantined by one controller stays out for all this long


def _check_url(path: str, where: str, url: str) -> str:
    if urlsplit(url).scheme not in _SCHEMES:
        raise ConfigError(path, where, f"the farm URL must start with postgresql://, got {redact_url(url)!r}",
                          'e.g. url = "postgresql://harness@db.example/harness"')
    return url


def parse_farm(path: str, raw: Any) -> FarmConfig:
    """``[farm]`` → ``FarmConfig`` (the default, no farm, when the table is absent)."""
    if raw is None:
        return FarmConfig()
    if not isinstance(raw, dict):
        raise ConfigError(path, "[farm]", "must be a table")
    known: dict[str, tuple[type, ...]] = {"url": (str,), "quarantine_s": (int, float)}
    for key, value in raw.items():
        want = known.get(key)
        if want is None:
            raise ConfigError(path, "[farm]", f"unknown key {key!r}", f"known keys: {', '.join(sorted(known))}")
        if not isinstance(value, want) or isinstance(value, bool):
            raise ConfigError(path, "[farm]", f"key {key!r} has the wrong type: {value!r}")
    url = raw.get("url")
    quarantine_s = float(raw.get("quarantine_s", _DEFAULT_QUARANTINE_S))
    if quarantine_s <= 0:
        raise ConfigError(path, "[farm]", f"quarantine_s must be positive, got {quarantine_s:g}")
    return FarmConfig(url=None if url is None else _check_url(path, "[farm] url", url), quarantine_s=quarantine_s)


def farm_url(config: Config | None = None) -> str | None:
    """The farm database to use: ``HARNESS_FARM_URL`` when set (even to override the file), else ``[farm] url``."""
    env = os.environ.get(FARM_URL_ENV, "").strip()
    if env:
        return _check_url(FARM_URL_ENV, "environment", env)
    if config is None:
        return None
    farm: FarmConfig | None = getattr(config, "farm", None)
    return None if farm is None else farm.url


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages and status output."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))
