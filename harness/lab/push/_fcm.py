"""FCM HTTP v1 and Google's OAuth token endpoint, as the lab gateway answers them.

``POST /token`` (the service account's ``token_uri``): form ``grant_type=urn:ietf:params:oauth:grant-type:
jwt-bearer&assertion=<JWT>``; the assertion is RS256 with ``kid`` = the key's ``private_key_id``, ``iss``
= ``client_email``, ``aud`` = ``https://oauth2.googleapis.com/token``, a ``scope`` and ``iat``/``exp`` at
most an hour apart (``google/oauth2/service_account.py:_make_authorization_grant_assertion``). Success
is ``{"access_token": "ya29.…", "expires_in": 3599, "token_type": "Bearer"}``; failures are
``{"error": "invalid_grant" | "invalid_scope" | "unsupported_grant_type", "error_description": …}``
with 400 (``google/oauth2/_client.py`` raises ``RefreshError`` on them).

``POST /v1/projects/<project>/messages:send``: errors are ``{"error": {"code", "message", "status",
"details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": …}]}}``
(firebase-admin-go#179, firebase-admin-node#218, firebase-js-sdk#8030): 401 UNAUTHENTICATED for a
missing or unknown bearer token, 403 PERMISSION_DENIED for another project, 400 INVALID_ARGUMENT for a
malformed message or token, 404 UNREGISTERED for a token whose app is gone. A 200 is
``{"name": "projects/<p>/messages/0:<µs>%<hex>"}``. Not modelled: SENDER_ID_MISMATCH (every lab app
registered with the lab's one project), topics and conditions (the lab knows device tokens only).
"""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt

from harness.lab.push._http import Request, Response
from harness.lab.push._keys import GOOGLE_TOKEN_AUDIENCE, ServiceAccount
from harness.lab.push._targets import TargetRegistry
from harness.lab.push._tokens import FCM_TOKEN

__all__ = ["FCM_SCOPE", "MAX_DATA_BYTES", "FcmService"]

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
CLOUD_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
MAX_DATA_BYTES = 4096
TOKEN_LIFETIME_S = 3599
_SEND = re.compile(r"/v1/projects/([^/]+)/messages:send")
_FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
_DEVCONSOLE = "See https://developers.google.com/identity/sign-in/web/devconsole-project."
MISSING_CREDENTIAL = ("Request is missing required authentication credential. Expected OAuth 2 access token, login "
                      f"cookie or other valid authentication credential. {_DEVCONSOLE}")
INVALID_CREDENTIAL = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
                      f"or other valid authentication credential. {_DEVCONSOLE}")
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}


class _Fail(Exception):
    def __init__(self, code: int, message: str, fcm_code: str | None = None, status: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.fcm_code = code, message, fcm_code
        self.status = status or _STATUS.get(code, "INTERNAL")

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.fcm_code:
            error["details"] = [{"@type": _FCM_ERROR, "errorCode": self.fcm_code}]
        return _json(self.code, {"error": error})


@dataclass
class FcmService:
    account: ServiceAccount | None
    targets: TargetRegistry
    now: Callable[[], float] = time.time
    access_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token → (project, expiry)

    # -- OAuth ---------------------------------------------------------------------------------
    def token(self, req: Request) -> Response:
        if req.method != "POST":
            return _json(405, {"error": "invalid_request", "error_description": "POST only"})
        form = urllib.parse.parse_qs(req.body.decode(errors="replace"))
        grant = form.get("grant_type", [""])[0]
        if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return _json(400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"})
        error = self._check_assertion(form.get("assertion", [""])[0])
        if error is not None:
            return _json(400, error)
        assert self.account is not None
        access = "ya29.c." + secrets.token_urlsafe(96)
        self.access_tokens[access] = (self.account.project_id, self.now() + TOKEN_LIFETIME_S)
        return _json(200, {"access_token": access, "expires_in": TOKEN_LIFETIME_S, "token_type": "Bearer"})

    def _check_assertion(self, assertion: str) -> dict[str, str] | None:
        grant = {"error": "invalid_grant"}
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.InvalidTokenError:
            return {**grant, "error_description": "Invalid JWT: Token must be a short-lived token and in a "
                    "reasonable timeframe"}
        account = self.account
        if account is None or header.get("kid") != account.private_key_id:
            return {**grant, "error_description": "Invalid JWT Signature."}
        try:
            claims: dict[str, Any] = jwt.decode(assertion, account.public_key,  # type: ignore[arg-type]
                                                algorithms=["RS256"], audience=GOOGLE_TOKEN_AUDIENCE,
                                                options={"verify_exp": False, "verify_iat": False})
        except jwt.InvalidAudienceError:
            return {**grant, "error_description": "Invalid JWT: Failed audience check."}
        except jwt.InvalidTokenError:
            return {**grant, "error_description": "Invalid JWT Signature."}
        if claims.get("iss") != account.client_email:
            return {**grant, "error_description": "Invalid grant: account not found"}
        iat, exp, now = claims.get("iat"), claims.get("exp"), self.now()
        if not (isinstance(iat, int) and isinstance(exp, int) and 0 < exp - iat <= 3600
                and iat <= now + 300 and exp >= now - 300):
            return {**grant, "error_description": "Invalid JWT: Token must be a short-lived token (60 minutes) and in "
                    "a reasonable timeframe. Check your iat and exp values in the JWT claim."}
        scopes = str(claims.get("scope", "")).split()
        if FCM_SCOPE not in scopes and CLOUD_SCOPE not in scopes:
            return {"error": "invalid_scope", "error_description": "Invalid OAuth scope or ID token audience "
                    "provided."}
        return None

    # -- messages:send -------------------------------------------------------------------------
    def send(self, req: Request) -> Response:
        try:
            project, message = self._validate(req)
        except _Fail as fail:
            return fail.response()
        target = self.targets.get(str(message["token"]))
        assert target is not None
        priority = str(message.get("android", {}).get("priority", "normal")).lower()
        self.targets.deliver(target, message.get("data", {}), priority)
        micros = int(self.now() * 1_000_000)
        return _json(200, {"name": f"projects/{project}/messages/0:{micros}%{secrets.token_hex(8)}"})

    def _validate(self, req: Request) -> tuple[str, dict[str, Any]]:
        match = _SEND.fullmatch(req.path)
        if match is None or req.method != "POST":
            raise _Fail(404, "Requested entity was not found.")
        project = match.group(1)
        self._authorise(req, project)
        try:
            body = json.loads(req.body)
        except (ValueError, RecursionError):  # RecursionError: nested ~1,000 deep
            raise _Fail(400, "Invalid JSON payload received.") from None
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict):
            raise _Fail(400, "Request contains an invalid argument.", "INVALID_ARGUMENT")
        self._check_message(message)
        return project, message

    def _authorise(self, req: Request, project: str) -> None:
        value = req.header("authorization")
        if value is None:
            raise _Fail(401, MISSING_CREDENTIAL)
        scheme, _, access = value.partition(" ")
        entry = self.access_tokens.get(access) if scheme.lower() == "bearer" else None
        if entry is None or entry[1] < self.now():
            raise _Fail(401, INVALID_CREDENTIAL)
        if entry[0] != project:
            raise _Fail(403, f"Permission 'cloudmessaging.messages.create' denied on resource "
                        f"'//cloudresourcemanager.googleapis.com/projects/{project}' (or it may not exist).")

    def _check_message(self, message: dict[str, Any]) -> None:
        token = message.get("token")
        if not any(message.get(k) for k in ("token", "topic", "condition")):
            raise _Fail(400, "Recipient of the message is not set.", "INVALID_ARGUMENT")
        data = message.get("data", {})
        if not isinstance(data, dict):
            raise _Fail(400, "Invalid value at 'message.data' (type.googleapis.com/google.firebase.fcm.v1.Message."
                        "DataEntry)", "INVALID_ARGUMENT")
        for index, value in enumerate(data.values()):
            if not isinstance(value, str):
                raise _Fail(400, f"Invalid value at 'message.data[{index}].value' (TYPE_STRING), {json.dumps(value)}",
                            "INVALID_ARGUMENT")
        priority = str(message.get("android", {}).get("priority", "normal"))
        if priority.lower() not in ("normal", "high"):
            raise _Fail(400, f"Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm."
                        f"v1.AndroidMessagePriority), \"{priority}\"", "INVALID_ARGUMENT")
        if len(json.dumps(data, separators=(",", ":")).encode()) > MAX_DATA_BYTES:
            raise _Fail(400, "Android message is too big", "INVALID_ARGUMENT")
        if not isinstance(token, str) or not FCM_TOKEN.fullmatch(token):
            raise _Fail(400, "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT")
        target = self.targets.get(token)
        if target is None or target.platform != "android" or not target.installed():
            raise _Fail(404, "Requested entity was not found.", "UNREGISTERED")


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status, [("content-type", "application/json; charset=UTF-8")], json.dumps(body, indent=2).encode())
