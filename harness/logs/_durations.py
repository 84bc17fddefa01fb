"""AOSP ``TimeUtils.formatDuration`` text (``+1h29m59s687ms``, ``-8m12s280ms``, ``0``) → seconds."""

from __future__ import annotations

import re

__all__ = ["DURATION", "parse_duration"]

# formatDuration prints a sign then d/h/m/s/ms, always ending in ms; a zero duration prints "0".
DURATION = r"[+-]?(?:\d+d)?(?:\d+h)?(?:\d+m(?!s))?(?:\d+s)?\d+ms|[+-]?0"
_PARTS = re.compile(r"^([+-]?)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(\d+)ms$")
_UNITS = (86400.0, 3600.0, 60.0, 1.0, 0.001)


def parse_duration(text: str) -> float:
    """Seconds; raises ValueError for anything that is not a formatDuration string."""
    text = text.strip()
    if text.lstrip("+-") == "0":
        return 0.0
    m = _PARTS.match(text)
    if m is None:
        raise ValueError(f"not an AOSP duration: {text!r}")
    total = sum(int(v) * unit for v, unit in zip(m.groups()[1:], _UNITS, strict=True) if v)
    return -total if m.group(1) == "-" else total
