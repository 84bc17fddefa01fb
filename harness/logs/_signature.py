"""One row of the kill-attribution tables (``attribution``, ``oem_signatures``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.logs.events import Killer

__all__ = ["Signature"]


@dataclass(frozen=True, slots=True)
class Signature:
    killer: Killer
    reason: re.Pattern[str] | None = None  # searched in an AMS kill / force-stop reason
    tag: re.Pattern[str] | None = None  # an OEM line's tag: context for the next AMS line
    text: re.Pattern[str] | None = None  # with ``tag``: what the message must say to count
    # With ``tag``: the line names no package, so it may match on time alone, when the AMS reason
    # looks like this.
    loose: re.Pattern[str] | None = None
    emits: bool = False  # with ``tag``: with no AMS line to attribute, it is a force-stop itself
    source: str = ""  # where the signature was seen


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
