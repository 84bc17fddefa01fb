"""Secrets never reach a report: push tokens, private keys, JWTs, OAuth tokens, service-account fields.

Two nets. Patterns catch a secret's shape wherever it comes from (an FCM registration token, a JWT, a PEM
private key, an ``Authorization`` header, a service account's ``private_key``). Exact values catch what a shape
cannot: the configured APNs device tokens (64 hex digits, like any digest) and the lines of the configured key
files. ``RunWriter`` passes every result through ``Redactor.text`` before it is written, so results.jsonl and
everything rendered from it (HTML, JUnit, history, timeline pictures) hold no secret.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.reporting._model import Result

__all__ = ["REDACTED", "Redactor", "config_secrets", "redact"]

REDACTED = "[redacted]"
# Each shape with the literal texts one of which any match contains (lower case: looked for in the lowered text, for
# a case-blind shape): a shape none of whose texts occurs is not run, which makes a megabyte log capture with no
# secret (nearly all of them) cost a few substring searches instead of seven regex scans (issue 22).
_PATTERNS: tuple[tuple[re.Pattern[str], str, tuple[str, ...], bool], ...] = (
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
     "[redacted private key]", ("-----BEGIN ",), False),
    (re.compile(r"(\"?(?:private_key|private_key_id|client_secret|refresh_token|access_token)\"?\s*[:=]\s*\"?)"
                r"[^\"\s,}]+"), rf"\1{REDACTED}", ("private_key", "client_secret", "refresh_token", "access_token"),
     False),
    (re.compile(r"\beyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]{6,}"), "[redacted JWT]", ("eyJ",), False),
    (re.compile(r"\b[\w-]{10,}:APA91b[\w-]{20,}"), "[redacted FCM token]", (":APA91b",), False),
    (re.compile(r"\bya29\.[\w.-]{10,}"), "[redacted OAuth token]", ("ya29.",), False),
    (re.compile(r"(?i)\b(authorization:?\s*(?:bearer|key=)\s*)\S+"), rf"\1{REDACTED}", ("authorization",), True),
    (re.compile(r"(?i)\b(bearer\s+)[\w.~+/-]{16,}=*"), rf"\1{REDACTED}", ("bearer",), True),
)
_TEXT = (".txt", ".json", ".jsonl", ".log", ".xml", ".html")
_MIN_SECRET = 8  # shorter "secrets" (an empty env var, a one-word line of a key file) would redact ordinary words


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for value in sorted(set(secrets), key=len, reverse=True):
        if len(value) >= _MIN_SECRET:
            text = text.replace(value, REDACTED)
    lowered: str | None = None
    for pattern, repl, needles, blind in _PATTERNS:
        if blind and lowered is None:
            lowered = text.lower()
        haystack = lowered if blind and lowered is not None else text
        if any(n in haystack for n in needles):
            text = pattern.sub(repl, text)
            lowered = None  # the text changed
    return text


@dataclass(frozen=True)
class Redactor:
    """Redacts the configured secrets (exact values) and every secret-shaped string. ``source`` is asked on each
    use: the lab writes its key files when it starts, which can be after the run's writer opened."""

    secrets: tuple[str, ...] = field(default=(), repr=False)
    source: Callable[[], tuple[str, ...]] | None = field(default=None, repr=False)

    def text(self, value: str) -> str:
        return redact(value, self.secrets + (self.source() if self.source is not None else ()))

    def result(self, result: Result) -> Result:
        """The result with its message, explanation and timeline labels redacted."""
        secrets = self.secrets + (self.source() if self.source is not None else ())
        return replace(result, message=redact(result.message, secrets),
                       explanation=redact(result.explanation, secrets), verdict=redact(result.verdict, secrets),
                       evidence=tuple(redact(e, secrets) for e in result.evidence),
                       timeline=tuple(replace(i, label=redact(i.label, secrets)) for i in result.timeline))

    def files(self, folder: Path) -> None:
        """Rewrite the text files in ``folder`` (a test's artifacts: its log capture, dumpsys snapshots) that hold
        a secret: a phone may log its own push token, and a capture is kept verbatim otherwise."""
        secrets = self.secrets + (self.source() if self.source is not None else ())
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            if path.suffix not in _TEXT or not path.is_file():
                continue
            text = path.read_text(errors="replace")
            clean = redact(text, secrets)
            if clean != text:
                path.write_text(clean)

    def data(self, value: Any) -> Any:
        """Every string inside a JSON-like value, redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


def config_secrets(cfg: Any) -> tuple[str, ...]:
    """The secrets a ``harness.config.Config`` points at: each phone's push token (inline or from its environment
    variable) and the lines of the APNs key and of the FCM service account's private fields."""
    found: list[str] = []
    for dev in getattr(cfg, "devices", ()):
        found += [dev.push_token or "", os.environ.get(dev.push_token_env or "", "")]
    push = getattr(cfg, "push", None)
    if push is not None:
        found += _key_lines(_read(push.apns_key_path) or os.environ.get(push.apns_key_env or "", ""))
        found += _account_fields(_read(push.fcm_service_account_path)
                                 or os.environ.get(push.fcm_service_account_env or "", ""))
    return tuple(s for s in found if len(s) >= _MIN_SECRET)


def _read(path: str | None) -> str:
    try:
        return Path(path).read_text() if path else ""
    except OSError:
        return ""  # the lab writes its key files when it starts: before that there is nothing to hide yet


def _key_lines(pem: str) -> list[str]:
    return [line.strip() for line in pem.splitlines() if line.strip() and not line.startswith("-----")]


def _account_fields(text: str) -> list[str]:
    try:
        account = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return _key_lines(text)
    if not isinstance(account, dict):
        return []
    key = str(account.get("private_key", ""))
    return [str(account.get("private_key_id", "")), key, *_key_lines(key)]
