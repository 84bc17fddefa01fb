"""No secret or device token in logs, errors or reports."""

from __future__ import annotations

import logging

import pytest

from harness.push import RedactingFilter, fingerprint, redact

APNS = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad"
FCM = "bk3RNwTe3H0:CI2k_HHwgIpoDKCIZvvDMExUdFQ3P1AAoVdvLDjOnW-7p0APA91bH9NRZeYI3CSN1Vd4QGDfj0"
JWT = "eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQ0RFMTIzNDUifQ.eyJpc3MiOiJURUFNMTIzNDU2IiwiaWF0IjoxfQ.c2lnbmF0dXJl"
PEM = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"POST https://api.push.apple.com/3/device/{APNS} 200", APNS),
        (f"token={FCM} sent", FCM),
        (f"authorization: bearer {JWT}", JWT),
        ("Authorization: Bearer ya29.c.b0AXv0zTPj1rZ7Qm3wX8", "ya29.c.b0AXv0zTPj1rZ7Qm3wX8"),
        (f"key was {PEM} oops", "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg"),
        ("run token s3cr3t-run-t0ken in a message", "s3cr3t-run-t0ken"),
    ],
)
def test_secrets_and_token_shapes_are_replaced_by_a_fingerprint(text: str, secret: str) -> None:
    clean = redact(text, "s3cr3t-run-t0ken")
    assert secret not in clean
    assert "<redacted:" in clean


def test_fingerprint_is_stable_and_short() -> None:
    assert fingerprint(APNS) == fingerprint(APNS) != fingerprint(FCM)
    assert len(fingerprint(APNS)) == len("<redacted:12345678>")
    assert redact("nothing secret here: pixel-8 push 200") == "nothing secret here: pixel-8 push 200"


def test_logging_filter_redacts_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.push.redact")
    flt = RedactingFilter(["hunter2-collector-token"])
    logger.addFilter(flt)
    try:
        with caplog.at_level(logging.INFO, logger="tests.push.redact"):
            logger.info("sent %s with %s", APNS, "hunter2-collector-token")
    finally:
        logger.removeFilter(flt)
    assert APNS not in caplog.text and "hunter2-collector-token" not in caplog.text
    assert f"sent {fingerprint(APNS)}" in caplog.text
