"""What every sender of a process can share: the TLS context and the service account's RSA signer.

A run opens a sender per push cell. httpx builds a new TLS context for each client, loading the CA bundle
(``load_verify_locations``), and google-auth parses and checks the service account's RSA key for each
credentials object (cryptography's RSA key check): together about 0.2 s of CPU per cell, measured with cProfile
on a loaded host. Both are immutable once built, so one of each serves every sender. (The credentials
themselves are not shared: each sender keeps its own access token.)
"""

from __future__ import annotations

import functools
import ssl

import httpx
from google.auth import crypt

__all__ = ["rsa_signer", "tls_context"]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The context httpx builds for ``verify=True`` (certifi's bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), built
    once. httpcore sets its ALPN list on it before each handshake, the same list for every HTTP/2 client here."""
    return httpx.create_ssl_context()


@functools.lru_cache(maxsize=8)
def rsa_signer(private_key: str, key_id: str | None) -> crypt.RSASigner:
    """google-auth's signer for a service account key (``RSASigner.from_service_account_info`` does the same)."""
    signer: crypt.RSASigner = crypt.RSASigner.from_string(private_key, key_id)  # type: ignore[no-untyped-call]
    return signer
