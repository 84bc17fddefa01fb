"""The APNs provider API as the lab gateway answers it: validation in Apple's terms, then delivery.

Sources: ``Averyy/apple-dev-docs:documentation/UserNotifications/{sending-notification-requests-to-apns,
handling-notification-responses-from-apns,establishing-a-token-based-connection-to-apns}.md``
(reference/ios.md §4.6). What is checked, and the answer for each failure:

- ``POST`` only (405 ``MethodNotAllowed``); ``/3/device/<token>`` only (404 ``BadPath``); a header sent
  twice (400 ``DuplicateHeaders``);
- the provider token: none (403 ``MissingProviderToken``); not an ES256 JWT of a registered key and
  team, or a bad signature (403 ``InvalidProviderToken``); ``iat`` over an hour old (403
  ``ExpiredProviderToken``); another key id than the connection's first token (403
  ``UnrelatedKeyIdInToken``); a new token on the connection within 20 minutes of the last (429
  ``TooManyProviderTokenUpdates``);
- ``apns-topic`` missing (400 ``MissingTopic``) or not an app of the team (400 ``TopicDisallowed``);
  ``apns-push-type`` not a known type (400 ``InvalidPushType``); ``apns-priority`` not 10/5/1 (400
  ``BadPriority``); ``apns-expiration`` not an integer (400 ``BadExpirationDate``); ``apns-collapse-id``
  over 64 bytes (400 ``BadCollapseId``); ``apns-id`` not a canonical UUID (400 ``BadMessageId``);
- the token: empty (400 ``MissingDeviceToken``), malformed or unknown (400 ``BadDeviceToken``),
  another app's (400 ``DeviceTokenNotForTopic``), its app uninstalled (410 ``Unregistered`` + timestamp);
- the body: empty (400 ``PayloadEmpty``), over 4096 bytes (413 ``PayloadTooLarge``).

A 200 carries ``apns-id`` (and ``apns-unique-id`` in the development environment) and an empty body;
the push then goes to the phone, whose answer (delivered, held, throttled, dropped) APNs does not
report. [unverified] a body that is not JSON: Apple documents no reason for it; the lab accepts it
(200) and the phone drops it. Priority 10 on a content-available-only push is "an error" in Apple's
words but no reason is documented for it: the lab passes it to the phone, which decides.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from harness.lab.push._http import Request, Response
from harness.lab.push._keys import ApnsKey
from harness.lab.push._targets import TargetRegistry
from harness.lab.push._tokens import APNS_TOKEN

__all__ = ["MAX_PAYLOAD", "PUSH_TYPES", "ApnsService"]

MAX_PAYLOAD = 4096
TOKEN_MAX_AGE_S = 3600.0
TOKEN_MIN_REFRESH_S = 1200.0
PUSH_TYPES = frozenset({"alert", "background", "location", "voip", "complication", "fileprovider", "mdm",
                        "liveactivity", "pushtotalk", "controls", "widgets"})
_PATH = re.compile(r"/3/device/([^/?]*)")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class _Reject(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class ApnsService:
    key: ApnsKey | None
    targets: TargetRegistry
    development: bool = True  # the sandbox answers apns-unique-id too
    now: Callable[[], float] = time.time  # APNs checks iat against its own (wall) clock

    def handle(self, req: Request) -> Response:
        apns_id = req.header("apns-id") or str(uuid.uuid4())
        try:
            token, payload, priority = self._validate(req)
        except _Reject as rej:
            body: dict[str, Any] = {"reason": rej.reason}
            if rej.status == 410:
                body["timestamp"] = int(self.now() * 1000)
            return _answer(rej.status, apns_id, json.dumps(body).encode())
        target = self.targets.get(token)
        assert target is not None
        if payload is not None:
            self.targets.deliver(target, payload, priority)
        headers = [("apns-id", apns_id)]
        if self.development:
            headers.append(("apns-unique-id", str(uuid.uuid4())))
        return Response(200, headers)

    def _validate(self, req: Request) -> tuple[str, dict[str, Any] | None, str]:
        if req.method != "POST":
            raise _Reject(405, "MethodNotAllowed")
        match = _PATH.fullmatch(req.path)
        if match is None:
            raise _Reject(404, "BadPath")
        names = [k for k, _ in req.headers]
        if len(names) != len(set(names)):
            raise _Reject(400, "DuplicateHeaders")
        self._check_auth(req)
        topic = req.header("apns-topic")
        self._check_headers(req, topic)
        token = match.group(1)
        if not token:
            raise _Reject(400, "MissingDeviceToken")
        target = self.targets.get(token) if APNS_TOKEN.fullmatch(token) else None
        if target is None or target.platform != "ios":
            raise _Reject(400, "BadDeviceToken")
        if target.app_id != topic:
            raise _Reject(400, "DeviceTokenNotForTopic")
        if not target.installed():
            raise _Reject(410, "Unregistered")
        if not req.body:
            raise _Reject(400, "PayloadEmpty")
        if len(req.body) > MAX_PAYLOAD:
            raise _Reject(413, "PayloadTooLarge")
        return token, _json_object(req.body), req.header("apns-priority") or "10"

    def _check_headers(self, req: Request, topic: str | None) -> None:
        if not topic:
            raise _Reject(400, "MissingTopic")
        if topic not in {t.app_id for t in self.targets.by_token.values() if t.platform == "ios"}:
            raise _Reject(400, "TopicDisallowed")
        push_type = req.header("apns-push-type")
        if push_type is not None and push_type not in PUSH_TYPES:
            raise _Reject(400, "InvalidPushType")
        if req.header("apns-priority") not in (None, "10", "5", "1"):
            raise _Reject(400, "BadPriority")
        expiration = req.header("apns-expiration")
        if expiration is not None and not expiration.isdigit():
            raise _Reject(400, "BadExpirationDate")
        collapse = req.header("apns-collapse-id")
        if collapse is not None and len(collapse.encode()) > 64:
            raise _Reject(400, "BadCollapseId")
        apns_id = req.header("apns-id")
        if apns_id is not None and not _UUID.fullmatch(apns_id.lower()):
            raise _Reject(400, "BadMessageId")

    def _check_auth(self, req: Request) -> None:
        value = req.header("authorization")
        if value is None:
            raise _Reject(403, "MissingProviderToken")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _Reject(403, "InvalidProviderToken")
        claims, kid = self._verify(token)
        conn = req.connection
        first_kid = conn.setdefault("apns_kid", kid)
        if kid != first_kid:
            raise _Reject(403, "UnrelatedKeyIdInToken")
        if self.now() - float(claims["iat"]) > TOKEN_MAX_AGE_S:
            raise _Reject(403, "ExpiredProviderToken")
        last = conn.get("apns_token")
        if last is not None and last != token and float(claims["iat"]) - float(conn["apns_iat"]) < TOKEN_MIN_REFRESH_S:
            raise _Reject(429, "TooManyProviderTokenUpdates")
        conn["apns_token"], conn["apns_iat"] = token, claims["iat"]

    def _verify(self, token: str) -> tuple[dict[str, Any], str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise _Reject(403, "InvalidProviderToken") from None
        kid = header.get("kid")
        if self.key is None or header.get("alg") != "ES256" or kid != self.key.key_id:
            raise _Reject(403, "InvalidProviderToken")
        try:
            claims: dict[str, Any] = jwt.decode(token, self.key.public_key, algorithms=["ES256"],  # type: ignore[arg-type]
                                                options={"verify_exp": False, "verify_iat": False,
                                                         "verify_nbf": False, "verify_aud": False})
        except jwt.InvalidTokenError:
            raise _Reject(403, "InvalidProviderToken") from None
        if claims.get("iss") != self.key.team_id or not isinstance(claims.get("iat"), int):
            raise _Reject(403, "InvalidProviderToken")
        return claims, str(kid)


def _answer(status: int, apns_id: str, body: bytes) -> Response:
    return Response(status, [("apns-id", apns_id), ("content-type", "application/json")], body)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested ~1,000 deep
        return None
    return value if isinstance(value, dict) else None
