"""The FCM v1 client and google-auth's service-account flow against Google's documented formats.

The fixture server answers ``POST <token_uri>`` as Google's OAuth endpoint does (checking the RS256
assertion google-auth signs) and ``messages:send`` with the documented bodies: ``{"name": …}`` on success,
``{"error": {"code", "message", "status", "details": [{"@type": …FcmError, "errorCode"}]}}`` on failure
(firebase-admin-go#179, firebase-admin-node#218).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest

from harness.config import PushConfig
from harness.push import (
    FCM_SCOPE,
    FcmClient,
    PushAuthError,
    PushCredentialsError,
    PushError,
    PushRejected,
    PushServiceError,
    PushThrottled,
    PushTokenInvalid,
    PushTokenUnregistered,
)
from tests.push.keys import PROJECT, ServiceAccountFile, service_account

TOKEN_URI = "https://oauth2.googleapis.com/token"
FCM_TOKEN = "cM2bQ3ZzT0uX6H4nK9aLpQ:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


class Google:
    """Google's OAuth token endpoint and FCM, as fixtures."""

    def __init__(self, sa: ServiceAccountFile, send: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.sa = sa
        self.requests: list[httpx.Request] = []
        self.issued: list[str] = []
        self.send = send or (lambda _r: httpx.Response(200, json={
            "name": f"projects/{PROJECT}/messages/0:1500415314455276%31bd1c9631bd1c96"}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/token":
            return self.token(request)
        assert request.url.path == f"/v1/projects/{PROJECT}/messages:send"
        assert request.headers["authorization"] == f"Bearer {self.issued[-1]}"
        return self.send(request)

    def token(self, request: httpx.Request) -> httpx.Response:
        form = urllib.parse.parse_qs(request.content.decode())
        assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
        assertion = form["assertion"][0]
        assert jwt.get_unverified_header(assertion)["kid"] == self.sa.info["private_key_id"]
        claims = jwt.decode(assertion, self.sa.key.public_key(), algorithms=["RS256"], audience=TOKEN_URI)
        assert claims["iss"] == self.sa.info["client_email"] and claims["scope"] == FCM_SCOPE
        assert claims["exp"] - claims["iat"] == 3600
        self.issued.append(f"ya29.c.test-{len(self.issued)}")
        return httpx.Response(200, json={"access_token": self.issued[-1], "expires_in": 3599, "token_type": "Bearer"})


def _client(tmp_path: Path, send: Callable[[httpx.Request], httpx.Response] | None = None) -> tuple[FcmClient, Google]:
    sa = service_account(tmp_path, TOKEN_URI)
    google = Google(sa, send)
    cfg = PushConfig(fcm_service_account_path=str(sa.path))
    return FcmClient(cfg, transport=httpx.MockTransport(google), device="pixel-8"), google


def test_high_priority_data_message_with_a_service_account_token(tmp_path: Path) -> None:
    client, google = _client(tmp_path)
    with client:
        result = client.send_data("pixel-8", FCM_TOKEN, {"kind": "sync", "count": 3}, ttl_s=60)
        client.send_data("pixel-8", FCM_TOKEN, {"kind": "sync"})
    assert result.name == f"projects/{PROJECT}/messages/0:1500415314455276%31bd1c9631bd1c96"
    sends = [r for r in google.requests if r.url.path.endswith(":send")]
    assert json.loads(sends[0].content) == {"message": {"token": FCM_TOKEN, "data": {"kind": "sync", "count": "3"},
                                                        "android": {"priority": "high", "ttl": "60s"}}}
    assert sends[0].headers["content-type"] == "application/json; charset=UTF-8"
    assert len(google.issued) == 1  # the access token is reused while valid


def _error(status: int, code: str | None, message: str, canonical: str) -> Callable[[httpx.Request], httpx.Response]:
    error: dict[str, object] = {"code": status, "message": message, "status": canonical}
    if code:
        error["details"] = [{"@type": FCM_ERROR, "errorCode": code}]
    return lambda _r: httpx.Response(status, json={"error": error})


FCM_ERRORS = [
    (404, "UNREGISTERED", "Requested entity was not found.", "NOT_FOUND", PushTokenUnregistered),
    (400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT",
     PushRejected),
    (403, "SENDER_ID_MISMATCH", "SenderId mismatch", "PERMISSION_DENIED", PushTokenInvalid),
    (429, "QUOTA_EXCEEDED", "Quota exceeded", "RESOURCE_EXHAUSTED", PushThrottled),
    (503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE", PushServiceError),
    (500, "INTERNAL", "Internal error encountered.", "INTERNAL", PushServiceError),
    (401, "THIRD_PARTY_AUTH_ERROR", "Auth error from APNS or Web Push Service", "UNAUTHENTICATED", PushAuthError),
    (403, None, "Permission 'cloudmessaging.messages.create' denied", "PERMISSION_DENIED", PushAuthError),
    (401, None, "Request had invalid authentication credentials.", "UNAUTHENTICATED", PushAuthError),
]


@pytest.mark.parametrize(("status", "code", "message", "canonical", "error"), FCM_ERRORS)
def test_fcm_errors_are_typed_and_name_the_device(tmp_path: Path, status: int, code: str | None, message: str,
                                                  canonical: str, error: type) -> None:
    client, _ = _client(tmp_path, _error(status, code, message, canonical))
    with client, pytest.raises(PushError) as info:
        client.send_data("pixel-8", FCM_TOKEN, {"kind": "sync"})
    assert type(info.value) is error
    assert info.value.reason == (code or canonical)
    assert str(info.value).startswith("[pixel-8] FCM POST") and FCM_TOKEN not in str(info.value)


def test_unregistered_says_reread_the_token(tmp_path: Path) -> None:
    client, _ = _client(tmp_path, _error(404, "UNREGISTERED", "Requested entity was not found.", "NOT_FOUND"))
    with client, pytest.raises(PushTokenUnregistered, match="re-read the token"):
        client.send_data("pixel-8", FCM_TOKEN, {})


def test_a_revoked_access_token_is_refreshed_once(tmp_path: Path) -> None:
    def sent(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"name": f"projects/{PROJECT}/messages/1"})

    answers = [_error(401, None, "Request had invalid authentication credentials.", "UNAUTHENTICATED"), sent]

    def next_answer(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)(request)

    client, google = _client(tmp_path, next_answer)
    with client:
        client.send_data("pixel-8", FCM_TOKEN, {})
    assert len(google.issued) == 2


def test_a_refused_service_account_is_an_auth_error(tmp_path: Path) -> None:
    sa = service_account(tmp_path, TOKEN_URI)

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_grant", "error_description": "Invalid JWT Signature."})

    cfg = PushConfig(fcm_service_account_path=str(sa.path))
    with FcmClient(cfg, transport=httpx.MockTransport(refuse), device="pixel-8") as client, \
            pytest.raises(PushAuthError) as info:
        client.send_data("pixel-8", FCM_TOKEN, {})
    assert "Invalid JWT Signature" in str(info.value) and "[pixel-8]" in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not JSON"),
        (json.dumps({"project_info": {"project_number": "1"}, "client": []}).encode(), "not a service-account key"),
    ],
)
def test_bad_service_account_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "sa.json"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(PushCredentialsError, match=message):
        FcmClient(PushConfig(fcm_service_account_path=str(path)), device="pixel-8")


def test_two_senders_of_one_key_share_its_signer_but_not_their_tokens(tmp_path: Path) -> None:
    """A run opens a sender per push cell: the key is parsed and checked once a process, and each sender still gets
    (and signs for) its own access token."""
    sa = service_account(tmp_path, TOKEN_URI)
    google = Google(sa)
    cfg = PushConfig(fcm_service_account_path=str(sa.path))
    with (FcmClient(cfg, transport=httpx.MockTransport(google), device="pixel-8") as first,
          FcmClient(cfg, transport=httpx.MockTransport(google), device="pixel-8") as second):
        first.send_data("pixel-8", FCM_TOKEN, {"kind": "sync"})
        second.send_data("pixel-8", FCM_TOKEN, {"kind": "sync"})
        assert first._credentials.signer is second._credentials.signer
        assert first._credentials is not second._credentials
    assert len(google.issued) == 2  # each assertion checked against the key by Google.token
