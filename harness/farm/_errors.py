"""The farm's errors: one line naming the database (never its password) and what to do."""

from __future__ import annotations

from harness.errors import HarnessError

__all__ = ["FarmError", "FarmUnreachable"]


class FarmError(HarnessError):
    """The farm database refused something: a release of someone else's lease, an unknown device, a
    schema newer than this harness."""


class FarmUnreachable(FarmError):
    """The farm database does not answer (down, wrong URL, network); leases held through it are lost once
    their TTL runs out without a heartbeat."""
