"""Text cleaning shared by the writers."""

from __future__ import annotations

import re
import time

__all__ = ["clean", "utc_clock", "utc_stamp"]

# pytest colours its failure text when the terminal does; the escapes are noise in a file.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
# XML 1.0 forbids most control characters, even escaped; app log lines do carry them (NUL, \x1b).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", _ANSI.sub("", text))


def utc_stamp(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def utc_clock(t: float) -> str:
    """Device time as the device printed it (see _model: it is encoded with timegm)."""
    return time.strftime("%H:%M:%S", time.gmtime(t))
