"""The fingerprint a secret is named by: ``<redacted:1a2b3c4d>``, the first 8 hex digits of its SHA-256.

The same token reads the same in every line (a log, a report, the lab push gateway's state) without being
recoverable from it. ``harness.push._redact`` applies it to text; the lab's push gateway names its tokens by it.
"""

from __future__ import annotations

import hashlib

__all__ = ["fingerprint"]


def fingerprint(secret: str) -> str:
    """``<redacted:1a2b3c4d>``: names a secret in text without revealing it."""
    return f"<redacted:{hashlib.sha256(secret.encode()).hexdigest()[:8]}>"
