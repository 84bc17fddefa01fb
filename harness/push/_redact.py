"""Keep secrets and device tokens out of logs, errors and reports.

``redact(text, *secrets)`` replaces every given secret, and anything that looks like one, with
``<redacted:xxxxxxxx>`` (the first 8 hex digits of its SHA-256, so the same token reads the same in
every line without being recoverable: ``harness.contracts.redaction``, shared with the lab's push gateway).
The shapes recognised without being told: ``Bearer`` values, JWTs, PEM blocks, 64-hex APNs device tokens, FCM
registration tokens (``<instance id>:APA91…``) and Google OAuth access tokens (``ya29.…``).
``RedactingFilter`` applies it to every log record of a logger.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from harness.contracts.redaction import fingerprint

__all__ = ["RedactingFilter", "fingerprint", "guard_library_logs", "redact"]

_PATTERNS = (
    re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.DOTALL),
    re.compile(r"(?i)(?<=bearer )[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    re.compile(r"ya29\.[A-Za-z0-9._-]{8,}"),
    re.compile(r"[A-Za-z0-9_-]{11,}:[A-Za-z0-9_-]{30,}"),  # FCM: <id>:APA91b… (and the older <id>:<token>)
    re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])"),
)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with each of ``secrets`` and every token-shaped string replaced by its fingerprint."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, fingerprint(secret))
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: fingerprint(m.group(0)), text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's final message (known secrets plus token shapes)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = {s for s in secrets if s}

    def add(self, secret: str | None) -> None:
        if secret:
            self.secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, *self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def guard_library_logs() -> None:
    """httpx logs every request line at INFO, and an APNs path holds the device token: redact those loggers."""
    for name in ("httpx", "httpcore", "h2", "hpack", "google.auth"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
