"""The checks every ``devices.toml`` value goes through: its type, its range, its shape.

Each value is read through a ``Table`` that knows the file and the table (or device) it sits in,
so every error names the file, the place and the key, and says what would be accepted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, overload

from harness.errors import ConfigError

__all__ = ["PORT_MAX", "Table", "check_address", "check_url", "read_text", "require_table"]

PORT_MAX = 65535
_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}
_NAMES = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}


def _show(value: Any) -> str:
    """A value as the user wrote it, cut short: a whole nested table in a message helps nobody."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def read_text(path: str) -> str:
    """The file's text, or one ConfigError saying why it cannot be read (missing, a directory, not UTF-8)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, "file", "not found", "pass --devices PATH or create devices.toml") from None
    except IsADirectoryError:
        raise ConfigError(path, "file", "is a directory, not a file",
                          "pass the devices.toml inside it, e.g. --devices DIR/devices.toml") from None
    except PermissionError:
        raise ConfigError(path, "file", "cannot be read (permission denied)", "check the file's mode") from None
    except OSError as exc:
        raise ConfigError(path, "file", f"cannot be read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "file", f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                          "TOML files are UTF-8; re-save it as UTF-8") from None


def require_table(path: str, where: str, value: Any, array: bool = False) -> Any:
    """A top-level entry must be a table (``[lab]``) or an array of tables (``[[device]]``)."""
    if array:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ConfigError(path, where, f"must be an array of tables ({where}), got {_show(value)}",
                              f"write each entry as its own {where} table")
        return value
    if not isinstance(value, dict):
        raise ConfigError(path, where, f"must be a table, got {_show(value)}", f"write it as a {where} table")
    return value


def check_address(path: str, where: str, key: str, value: str, example: str = "127.0.0.1:5037") -> str:
    """``host:port`` with a port in 1-65535."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= PORT_MAX:
        raise ConfigError(path, where, f"key {key!r} must be host:port with a port in 1-{PORT_MAX}, got {_show(value)}",
                          f'e.g. "{example}"')
    return value


def check_url(path: str, where: str, key: str, value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
        raise ConfigError(path, where, f"key {key!r} must be an http:// or https:// URL, got {_show(value)}")
    return value


class Table:
    """One TOML table plus where it is, so every error can name the file, the entry and the key."""

    def __init__(self, path: str, where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
        self.path, self.where, self.data = path, where, data
        for key in data:
            if key not in allowed:
                raise ConfigError(path, where, f"unknown key {key!r}", f"known keys: {', '.join(sorted(allowed))}")

    def fail(self, problem: str, fix: str = "") -> ConfigError:
        return ConfigError(self.path, self.where, problem, fix)

    def get(self, key: str, kind: str, default: Any = None, required: bool = False) -> Any:
        if key not in self.data:
            if required:
                raise self.fail(f"missing key {key!r}")
            return default
        value = self.data[key]
        ok = isinstance(value, _TYPES[kind]) and not (kind in ("int", "float") and isinstance(value, bool))
        if not ok:
            raise self.fail(f"key {key!r} must be {_NAMES[kind]}, got {_show(value)}")
        if kind == "float" and not math.isfinite(value):
            raise self.fail(f"key {key!r} must be a finite number, got {value}")
        if kind == "str" and required and not value.strip():
            raise self.fail(f"key {key!r} must not be empty")
        return value

    @overload
    def number(self, key: str, default: float, low: float, high: float | None = None,
               low_open: bool = False) -> float: ...
    @overload
    def number(self, key: str, default: None, low: float, high: float | None = None,
               low_open: bool = False) -> float | None: ...
    def number(self, key: str, default: float | None, low: float, high: float | None = None,
               low_open: bool = False) -> float | None:
        """A number in [low, high] (or (low, high] when ``low_open``): rates, durations, shares."""
        value = self.get(key, "float")
        if value is None:
            return default
        too_low = value <= low if low_open else value < low
        if too_low or (high is not None and value > high):
            want = "positive" if low_open and low == 0 and high is None else (
                f"at least {low:g}" if high is None else f"between {low:g} and {high:g}")
            raise self.fail(f"key {key!r} must be {want}, got {value:g}")
        return float(value)

    def integer(self, key: str, default: int | None, low: int) -> int | None:
        value = self.get(key, "int")
        if value is None:
            return default
        if value < low:
            raise self.fail(f"key {key!r} must be at least {low}, got {value}")
        return int(value)

    @overload
    def port(self, key: str, default: int, low: int = 1) -> int: ...
    @overload
    def port(self, key: str, default: None, low: int = 1) -> int | None: ...
    def port(self, key: str, default: int | None, low: int = 1) -> int | None:
        """A TCP port: 1-65535 (``low=0`` where 0 means "pick a free one")."""
        value = self.get(key, "int")
        if value is None:
            return default
        if not low <= value <= PORT_MAX:
            raise self.fail(f"key {key!r} must be a TCP port ({low}-{PORT_MAX}), got {value}")
        return int(value)

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None, required: bool = False) -> Any:
        value = self.get(key, "str", default, required)
        if value is not None and value not in choices:
            raise self.fail(f"unknown {key} {value!r}", f"use one of {', '.join(choices)}")
        return value

    def str_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"key {key!r} must be a list of strings, got {_show(value)}")
        return tuple(value)

    def str_map(self, key: str) -> dict[str, str]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(f"key {key!r} must be a table, got {_show(value)}")
        out: dict[str, str] = {}
        for name, item in value.items():
            if isinstance(item, (dict, list)) or (isinstance(item, float) and not math.isfinite(item)):
                raise self.fail(f"key {key}.{name} must be a string, number or boolean, got {_show(item)}")
            out[str(name)] = str(item).lower() if isinstance(item, bool) else str(item)
        return out
