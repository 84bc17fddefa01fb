"""The APNs client against request/response fixtures from Apple's documentation (reference/ios.md §4.6).

The responses are the documented ones: 200 with ``apns-id`` (+ ``apns-unique-id`` in development), errors
as ``{"reason": …}`` with the documented status (and ``timestamp`` on 410). httpx's MockTransport stands
in for the network; the request the client built is checked byte by byte against the documented shape.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from harness.config import PushConfig
from harness.push import (
    ApnsClient,
    ApnsTokenSigner,
    PushAuthError,
    PushCredentialsError,
    PushError,
    PushRejected,
    PushServiceError,
    PushThrottled,
    PushTokenInvalid,
    PushTokenUnregistered,
    PushUnreachable,
)
from tests.push.keys import KEY_ID, TEAM_ID, apns_key, service_account

TOKEN = "6d5b1c2f" * 8
BUNDLE = "com.example.courier"
DOC_APNS_ID = "eabeae54-14a8-11e5-b60b-1697f925ec7b"  # Apple's example apns-id


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _cfg(tmp_path: Path, **kw: object) -> PushConfig:
    key = apns_key(tmp_path)
    return PushConfig(apns_key_path=str(key.path), apns_key_id=KEY_ID, apns_team_id=TEAM_ID, apns_topic=BUNDLE,
                      apns_url="https://api.sandbox.push.apple.com", **kw)  # type: ignore[arg-type]


def _client(cfg: PushConfig, responses: list[httpx.Response], seen: list[httpx.Request],
            clock: Clock | None = None) -> ApnsClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses.pop(0)

    return ApnsClient(cfg, transport=httpx.MockTransport(handle), clock=clock or Clock(), device="iphone-15")


def test_request_is_apples_background_push(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    seen: list[httpx.Request] = []
    ok = httpx.Response(200, headers={"apns-id": DOC_APNS_ID, "apns-unique-id": "a8f2e4c1-0d35-4f1b-9a64-3c7e5b2d1f90"})
    clock = Clock()
    with _client(cfg, [ok], seen, clock) as client:
        result = client.send_background("iphone-15", TOKEN, {"orders": 3}, expiration=1_700_003_600,
                                        collapse_id="orders")
    assert (result.status, result.apns_id, result.device) == (200, DOC_APNS_ID, "iphone-15")
    assert result.unique_id == "a8f2e4c1-0d35-4f1b-9a64-3c7e5b2d1f90"
    request = seen[0]
    assert (request.method, request.url.path) == ("POST", f"/3/device/{TOKEN}")
    assert request.headers["apns-push-type"] == "background"
    assert request.headers["apns-priority"] == "5"
    assert request.headers["apns-topic"] == BUNDLE
    assert request.headers["apns-expiration"] == "1700003600"
    assert request.headers["apns-collapse-id"] == "orders"
    assert json.loads(request.content) == {"aps": {"content-available": 1}, "orders": 3}
    scheme, _, token = request.headers["authorization"].partition(" ")
    assert scheme == "bearer"
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": KEY_ID}  # exactly Apple's header
    public = apns_key_public(cfg)
    assert jwt.decode(token, public, algorithms=["ES256"]) == {"iss": TEAM_ID, "iat": int(clock.now)}


def apns_key_public(cfg: PushConfig):  # type: ignore[no-untyped-def]

    assert cfg.apns_key_path is not None
    return load_pem_private_key(Path(cfg.apns_key_path).read_bytes(), None).public_key()


# (status, reason, error class) as Apple's "Handling notification responses from APNs" lists them
APPLE_ERRORS = [
    (400, "BadCollapseId", PushRejected), (400, "BadDeviceToken", PushTokenInvalid),
    (400, "BadExpirationDate", PushRejected), (400, "BadMessageId", PushRejected), (400, "BadPriority", PushRejected),
    (400, "BadTopic", PushRejected), (400, "DeviceTokenNotForTopic", PushTokenInvalid),
    (400, "DuplicateHeaders", PushRejected), (400, "IdleTimeout", PushUnreachable),
    (400, "InvalidPushType", PushRejected), (400, "MissingDeviceToken", PushTokenInvalid),
    (400, "MissingTopic", PushRejected), (400, "PayloadEmpty", PushRejected), (400, "TopicDisallowed", PushRejected),
    (403, "BadCertificate", PushAuthError), (403, "BadCertificateEnvironment", PushAuthError),
    (403, "ExpiredProviderToken", PushAuthError), (403, "Forbidden", PushAuthError),
    (403, "InvalidProviderToken", PushAuthError), (403, "MissingProviderToken", PushAuthError),
    (403, "UnrelatedKeyIdInToken", PushAuthError), (404, "BadPath", PushRejected),
    (405, "MethodNotAllowed", PushRejected), (410, "ExpiredToken", PushTokenUnregistered),
    (410, "Unregistered", PushTokenUnregistered), (413, "PayloadTooLarge", PushRejected),
    (429, "TooManyProviderTokenUpdates", PushThrottled), (429, "TooManyRequests", PushThrottled),
    (500, "InternalServerError", PushServiceError), (503, "ServiceUnavailable", PushServiceError),
    (503, "Shutdown", PushServiceError), (400, "SomethingNew", PushRejected), (502, None, PushServiceError),
]


@pytest.mark.parametrize(("status", "reason", "error"), APPLE_ERRORS)
def test_every_documented_reason_is_a_typed_error_naming_the_device(tmp_path: Path, status: int,
                                                                    reason: str | None, error: type) -> None:
    body: dict[str, object] = {"reason": reason} if reason else {}
    if status == 410:
        body["timestamp"] = 1_454_402_113_000
    answers = [httpx.Response(status, json=body, headers={"apns-id": DOC_APNS_ID})] * 2
    with _client(_cfg(tmp_path), list(answers), []) as client, pytest.raises(PushError) as info:
        client.send_background("iphone-15", TOKEN)
    assert type(info.value) is error
    assert (info.value.status, info.value.reason, info.value.service) == (status, reason, "apns")
    text = str(info.value)
    assert text.startswith("[iphone-15] APNs POST /3/device/<redacted:") and TOKEN not in text
    assert info.value.fix


def test_410_unregistered_says_reread_the_token(tmp_path: Path) -> None:
    answer = httpx.Response(410, json={"reason": "Unregistered", "timestamp": 1_454_402_113_000})
    with _client(_cfg(tmp_path), [answer], []) as client, pytest.raises(PushTokenUnregistered) as info:
        client.send_background("iphone-15", TOKEN)
    assert "the app was uninstalled or the token rotated: re-read the token" in str(info.value)


def test_an_expired_provider_token_is_renewed_once(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    clock = Clock()
    answers = [httpx.Response(403, json={"reason": "ExpiredProviderToken"}), httpx.Response(200)]
    with _client(_cfg(tmp_path), answers, seen, clock) as client:
        client.signer.token()
        clock.now += 1  # a later iat for the fresh token
        assert client.send_background("iphone-15", TOKEN).status == 200
    first, second = (r.headers["authorization"] for r in seen)
    assert first != second


def test_signer_keeps_one_token_inside_apples_20_to_60_minute_window(tmp_path: Path) -> None:
    key = apns_key(tmp_path).path.read_bytes()
    clock = Clock()
    signer = ApnsTokenSigner(key, KEY_ID, TEAM_ID, refresh_s=50 * 60, clock=clock)
    first = signer.token()
    clock.now += 49 * 60
    assert signer.token() == first
    clock.now += 60
    assert signer.token() != first
    for bad in (19 * 60, 60 * 60):
        with pytest.raises(ValueError, match="20-60 minute"):
            ApnsTokenSigner(key, KEY_ID, TEAM_ID, refresh_s=bad)


def test_key_file_with_loose_permissions_is_refused(tmp_path: Path) -> None:
    key = apns_key(tmp_path, mode=0o644)
    cfg = PushConfig(apns_key_path=str(key.path), apns_key_id=KEY_ID, apns_team_id=TEAM_ID)
    with pytest.raises(PushCredentialsError) as info:
        ApnsClient(cfg, device="iphone-15")
    assert "readable or writable by group/others (mode 0644)" in str(info.value)
    assert f"chmod 600 {key.path}" in str(info.value)
    assert "BEGIN" not in str(info.value)


def test_key_from_an_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APNS_KEY_TEST", apns_key(tmp_path).path.read_text())
    cfg = PushConfig(apns_key_env="APNS_KEY_TEST", apns_key_id=KEY_ID, apns_team_id=TEAM_ID, apns_topic=BUNDLE)
    ApnsClient(cfg).close()
    monkeypatch.delenv("APNS_KEY_TEST")
    with pytest.raises(PushCredentialsError, match="APNS_KEY_TEST is not set"):
        ApnsClient(cfg)


def test_a_key_that_is_not_p256_is_refused(tmp_path: Path) -> None:
    sa = service_account(tmp_path, "https://oauth2.googleapis.com/token")
    rsa_pem = tmp_path / "rsa.p8"
    rsa_pem.write_text(sa.info["private_key"])
    rsa_pem.chmod(0o600)
    cfg = PushConfig(apns_key_path=str(rsa_pem), apns_key_id=KEY_ID, apns_team_id=TEAM_ID)
    with pytest.raises(PushCredentialsError, match="not a P-256"):
        ApnsClient(cfg)


def test_unreachable_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        cfg = _cfg(tmp_path, timeout_s=3.0)
        cfg = PushConfig(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__}, "apns_url": f"http://127.0.0.1:{port}"})
        with ApnsClient(cfg, device="iphone-15") as client, pytest.raises(PushUnreachable) as info:
            client.send_background("iphone-15", TOKEN)
    assert f"no answer from http://127.0.0.1:{port}" in str(info.value)
    assert "[iphone-15]" in str(info.value) and "apns_url" in str(info.value) and TOKEN not in str(info.value)
