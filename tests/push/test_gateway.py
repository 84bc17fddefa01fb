"""The lab gateway validates like APNs and FCM do, and the real senders (and google-auth) work against it."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from harness.config import PushConfig
from harness.push import ApnsClient, FcmClient, PushAuthError, Pusher, PushError, PushTokenUnregistered
from tests.push.conftest import LAB_KEY_ID, LAB_TEAM_ID, GatewayLab
from tests.push.keys import service_account

BUNDLE = "com.example.courier"


def _jwt(gw: GatewayLab, iat: float | None = None, key: ec.EllipticCurvePrivateKey | None = None,
         kid: str = LAB_KEY_ID) -> str:
    assert gw.push.apns_key_path is not None
    signing = key or load_pem_private_key(Path(gw.push.apns_key_path).read_bytes(), None)
    assert isinstance(signing, ec.EllipticCurvePrivateKey)  # APNs tokens are ES256
    return jwt.encode({"iss": LAB_TEAM_ID, "iat": int(iat if iat is not None else time.time())}, signing,
                      algorithm="ES256", headers={"kid": kid, "typ": None})


def _apns(gw: GatewayLab, *, method: str = "POST", path: str | None = None,
          headers: list[tuple[str, str]] | None = None, body: bytes = b'{"aps":{"content-available":1}}',
          auth: str | None = "default",
          client: httpx.Client | None = None) -> httpx.Response:
    base: list[tuple[str, str]] = [("apns-topic", BUNDLE), ("apns-push-type", "background"), ("apns-priority", "5")]
    if auth is not None:
        base.append(("authorization", f"bearer {_jwt(gw) if auth == 'default' else auth}"))
    own = client is None
    http = client or httpx.Client(http1=False, http2=True, timeout=10)
    try:
        return http.request(method, gw.gateway.url + (path or f"/3/device/{gw.tokens['iphone-15']}"),
                            headers=headers if headers is not None else base, content=body)
    finally:
        if own:
            http.close()


def _reason(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["reason"]


def _without(name: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in [("apns-topic", BUNDLE), ("apns-push-type", "background")] if k != name]


APNS_TABLE = [
    ("GET", {"method": "GET"}, (405, "MethodNotAllowed")),
    ("bad path", {"path": "/3/devices/abc"}, (404, "BadPath")),
    ("no auth", {"auth": None}, (403, "MissingProviderToken")),
    ("garbage auth", {"auth": "not-a-jwt"}, (403, "InvalidProviderToken")),
    ("no topic", {"headers": _without("apns-topic")}, (400, "MissingTopic")),
    ("other topic", {"headers": [("apns-topic", "com.other.app")]}, (400, "TopicDisallowed")),
    ("push type", {"headers": [("apns-topic", BUNDLE), ("apns-push-type", "silent")]}, (400, "InvalidPushType")),
    ("priority", {"headers": [("apns-topic", BUNDLE), ("apns-priority", "7")]}, (400, "BadPriority")),
    ("expiration", {"headers": [("apns-topic", BUNDLE), ("apns-expiration", "soon")]}, (400, "BadExpirationDate")),
    ("collapse id", {"headers": [("apns-topic", BUNDLE), ("apns-collapse-id", "x" * 65)]}, (400, "BadCollapseId")),
    ("apns-id", {"headers": [("apns-topic", BUNDLE), ("apns-id", "nope")]}, (400, "BadMessageId")),
    ("duplicate", {"headers": [("apns-topic", BUNDLE), ("apns-topic", BUNDLE)]}, (400, "DuplicateHeaders")),
    ("no token", {"path": "/3/device/"}, (400, "MissingDeviceToken")),
    ("short token", {"path": "/3/device/abcd"}, (400, "BadDeviceToken")),
    ("unknown token", {"path": "/3/device/" + "ab" * 32}, (400, "BadDeviceToken")),
    ("empty body", {"body": b""}, (400, "PayloadEmpty")),
    ("too large", {"body": b'{"aps":{"content-available":1},"x":"' + b"y" * 4080 + b'"}'}, (413, "PayloadTooLarge")),
]


@pytest.mark.parametrize(("case", "kwargs", "expected"), APNS_TABLE, ids=[c[0] for c in APNS_TABLE])
def test_apns_validation_gives_apples_status_and_reason(gwlab: GatewayLab, case: str, kwargs: dict[str, object],
                                                        expected: tuple[int, str]) -> None:
    headers = kwargs.pop("headers", None)
    if headers is not None:
        assert isinstance(headers, list)
        headers = [*headers, ("authorization", f"bearer {_jwt(gwlab)}")]
    response = _apns(gwlab, headers=headers, **kwargs)  # type: ignore[arg-type]
    assert _reason(response) == expected
    assert response.headers["apns-id"]


def test_provider_token_checks(gwlab: GatewayLab) -> None:
    assert _reason(_apns(gwlab, auth=_jwt(gwlab, iat=time.time() - 3700))) == (403, "ExpiredProviderToken")
    stranger = ec.generate_private_key(ec.SECP256R1())
    assert _reason(_apns(gwlab, auth=_jwt(gwlab, key=stranger))) == (403, "InvalidProviderToken")
    assert _reason(_apns(gwlab, auth=_jwt(gwlab, kid="OTHERKEY01"))) == (403, "InvalidProviderToken")
    with httpx.Client(http1=False, http2=True, timeout=10) as one_connection:
        assert _apns(gwlab, auth=_jwt(gwlab, iat=time.time() - 600), client=one_connection).status_code == 200
        again = _apns(gwlab, auth=_jwt(gwlab), client=one_connection)
    assert _reason(again) == (429, "TooManyProviderTokenUpdates")


def test_success_is_200_with_apns_id_and_the_phone_gets_it(gwlab: GatewayLab) -> None:
    apns_id = "3c7e5b2d-1f90-4f1b-9a64-a8f2e4c10d35"
    before = len(gwlab.gateway.outcomes("iphone-15"))
    headers = [("apns-topic", BUNDLE), ("apns-push-type", "background"), ("apns-priority", "5"), ("apns-id", apns_id),
               ("authorization", f"bearer {_jwt(gwlab)}")]
    response = _apns(gwlab, headers=headers)
    assert (response.status_code, response.content, response.headers["apns-id"]) == (200, b"", apns_id)
    assert response.headers["apns-unique-id"]  # the development (sandbox) environment adds it
    assert gwlab.gateway.outcomes("iphone-15")[before:] in (["delivered"], ["held"], ["throttled"])
    phone = gwlab.lab.thread.lab.usbmuxd.phone("iphone-15")  # type: ignore[union-attr]
    lines = gwlab.lab.call(lambda: list(phone.syslog.lines()))
    assert any(f"Received incoming message on topic {BUNDLE} at priority 5" in m for m in lines)


def test_apns_over_http1_is_refused_like_apple(gwlab: GatewayLab) -> None:
    with httpx.Client(timeout=10) as http1, pytest.raises(httpx.RemoteProtocolError):
        http1.post(f"{gwlab.gateway.url}/3/device/{gwlab.tokens['iphone-15']}", content=b"{}")


def test_apns_client_against_the_gateway(gwlab: GatewayLab) -> None:
    with ApnsClient(gwlab.push, device="iphone-15") as client:
        result = client.send_background("iphone-15", gwlab.tokens["iphone-15"], {"orders": 1})
        assert result.status == 200 and result.apns_id and result.unique_id
        with pytest.raises(PushError) as info:
            client.send_background("iphone-15", gwlab.tokens["pixel-8"])
        assert info.value.reason == "BadDeviceToken"


def test_expired_jwt_from_a_wrong_clock_is_an_auth_error(gwlab: GatewayLab) -> None:
    with ApnsClient(gwlab.push, device="iphone-15", clock=lambda: time.time() - 7200) as client, \
            pytest.raises(PushAuthError) as info:
        client.send_background("iphone-15", gwlab.tokens["iphone-15"])
    assert info.value.reason == "ExpiredProviderToken" and "clock" in str(info.value)


def test_uninstalled_app_answers_410_unregistered(gwlab: GatewayLab) -> None:
    phone = gwlab.lab.thread.lab.usbmuxd.phone("iphone-15")  # type: ignore[union-attr]
    app = gwlab.lab.call(phone.apps.pop, BUNDLE)  # the user deletes the app
    try:
        with Pusher(gwlab.cfg) as pusher, pytest.raises(PushTokenUnregistered) as info:
            pusher.send(gwlab.cfg.device("iphone-15"))
        text = str(info.value)
        assert text.startswith("[iphone-15] APNs POST /3/device/<redacted:")
        assert "410 Unregistered" in text and "re-read the token" in text
        assert gwlab.tokens["iphone-15"] not in text
    finally:
        gwlab.lab.call(phone.apps.__setitem__, BUNDLE, app)


# -- FCM ----------------------------------------------------------------------------------------------
def _access_token(gw: GatewayLab) -> str:
    sa = json.loads(Path(str(gw.push.fcm_service_account_path)).read_text())
    key = load_pem_private_key(sa["private_key"].encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)  # a service account signs RS256
    now = int(time.time())
    assertion = jwt.encode({"iss": sa["client_email"], "aud": "https://oauth2.googleapis.com/token", "iat": now,
                            "exp": now + 3600, "scope": "https://www.googleapis.com/auth/firebase.messaging"},
                           key, algorithm="RS256", headers={"kid": sa["private_key_id"]})
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    response = httpx.post(sa["token_uri"], data=form, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["access_token"].startswith("ya29.")
    return str(body["access_token"])


def _fcm(gw: GatewayLab, message: Mapping[str, object] | str, *, auth: str | None = None,
         project: str = "courier-lab") -> httpx.Response:
    headers = {"authorization": f"Bearer {auth}"} if auth else {}
    body = message if isinstance(message, str) else json.dumps({"message": message})
    return httpx.post(f"{gw.gateway.url}/v1/projects/{project}/messages:send", content=body, headers=headers,
                      timeout=10)


def _fcm_error(response: httpx.Response) -> tuple[int, str, str | None, str]:
    error = response.json()["error"]
    details = error.get("details") or [{}]
    return error["code"], error["status"], details[0].get("errorCode"), error["message"]


def test_fcm_validation_gives_googles_errors(gwlab: GatewayLab) -> None:
    access = _access_token(gwlab)
    token = gwlab.tokens["pixel-8"]
    good = {"token": token, "data": {"k": "v"}, "android": {"priority": "high"}}
    missing = _fcm_error(_fcm(gwlab, good))
    assert missing[:3] == (401, "UNAUTHENTICATED", None)
    assert missing[3].startswith("Request is missing required authentication credential. Expected OAuth 2")
    assert _fcm_error(_fcm(gwlab, good, auth="ya29.made-up"))[:2] == (401, "UNAUTHENTICATED")
    assert _fcm_error(_fcm(gwlab, good, auth=access, project="other-project"))[:2] == (403, "PERMISSION_DENIED")
    table: list[tuple[dict[str, object], tuple[int, str, str, str]]] = [
        ({"data": {"k": "v"}}, (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "Recipient of the message is not set.")),
        ({**good, "token": "not-a-token"}, (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT",
                                            "The registration token is not a valid FCM registration token")),
        ({**good, "token": "A" * 22 + ":APA91b" + "B" * 134}, (404, "NOT_FOUND", "UNREGISTERED",
                                                               "Requested entity was not found.")),
        ({**good, "data": {"n": 1}}, (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT",
                                      "Invalid value at 'message.data[0].value' (TYPE_STRING), 1")),
        ({**good, "data": {"x": "y" * 4100}}, (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT",
                                               "Android message is too big")),
    ]
    for message, expected in table:
        assert _fcm_error(_fcm(gwlab, message, auth=access)) == expected, message
    assert _fcm_error(_fcm(gwlab, {**good, "android": {"priority": "urgent"}}, auth=access))[:3] == (
        400, "INVALID_ARGUMENT", "INVALID_ARGUMENT")
    assert _fcm_error(_fcm(gwlab, "{oops", auth=access))[:2] == (400, "INVALID_ARGUMENT")
    ok = _fcm(gwlab, good, auth=access)
    assert ok.status_code == 200 and ok.json()["name"].startswith("projects/courier-lab/messages/0:")


def test_oauth_endpoint_checks_the_assertion(gwlab: GatewayLab) -> None:
    sa = json.loads(Path(str(gwlab.push.fcm_service_account_path)).read_text())
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"iss": sa["client_email"], "aud": "https://oauth2.googleapis.com/token", "iat": now, "exp": now + 3600,
              "scope": "https://www.googleapis.com/auth/firebase.messaging"}
    forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": sa["private_key_id"]})
    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    def post(form: dict[str, str]) -> httpx.Response:
        return httpx.post(sa["token_uri"], content=urllib.parse.urlencode(form),
                          headers={"content-type": "application/x-www-form-urlencoded"}, timeout=10)

    assert post({"grant_type": grant, "assertion": forged}).json() == {
        "error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    assert post({"grant_type": "password", "assertion": forged}).json()["error"] == "unsupported_grant_type"


def test_fcm_client_and_google_auth_against_the_gateway(gwlab: GatewayLab) -> None:
    with FcmClient(gwlab.push, device="pixel-8") as client:
        result = client.send_data("pixel-8", gwlab.tokens["pixel-8"], {"kind": "sync"})
        assert result.name.startswith("projects/courier-lab/messages/0:")
        with pytest.raises(PushTokenUnregistered):
            client.send_data("pixel-8", "Z" * 22 + ":APA91b" + "Q" * 134, {})


def test_unknown_service_account_is_refused(gwlab: GatewayLab, tmp_path: Path) -> None:
    sa = json.loads(Path(str(gwlab.push.fcm_service_account_path)).read_text())
    stranger = service_account(tmp_path, sa["token_uri"], key_id=sa["private_key_id"])
    cfg = PushConfig(fcm_service_account_path=str(stranger.path), fcm_project_id="courier-lab",
                     fcm_url=gwlab.gateway.url)
    with FcmClient(cfg, device="pixel-8") as client, pytest.raises(PushAuthError) as info:
        client.send_data("pixel-8", gwlab.tokens["pixel-8"], {})
    assert "Invalid JWT Signature" in str(info.value) and "[pixel-8]" in str(info.value)
