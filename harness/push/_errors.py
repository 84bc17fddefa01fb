"""The push senders' errors: every APNs reason and FCM error code mapped to a typed error with a fix.

APNs reasons and statuses: ``Averyy/apple-dev-docs:documentation/UserNotifications/
handling-notification-responses-from-apns.md`` (reference/ios.md §4.6). FCM HTTP v1 errors are
``{"error": {"code", "message", "status", "details": [{"@type":
"type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": …}]}}`` (firebase-admin-go#179,
firebase-admin-node#218); the codes are FCM's ``ErrorCode`` enum. Every message names the device, the
request and what to do; tokens and keys never appear in it (``harness.push._redact``).
"""

from __future__ import annotations

from harness.errors import DeviceError

__all__ = [
    "APNS_REASONS",
    "FCM_CODES",
    "PushAuthError",
    "PushCredentialsError",
    "PushError",
    "PushRejected",
    "PushServiceError",
    "PushThrottled",
    "PushTokenInvalid",
    "PushTokenUnregistered",
    "PushUnreachable",
    "apns_error",
    "fcm_error",
]


class PushError(DeviceError):
    """A push to one device failed. ``service`` is ``apns`` or ``fcm``; ``status``/``reason`` as the service said."""

    def __init__(self, device: str, command: str, problem: str, fix: str = "", *, service: str = "",
                 status: int | None = None, reason: str | None = None) -> None:
        self.service = service
        self.status = status
        self.reason = reason
        super().__init__(device, command, problem, fix)


class PushRejected(PushError):
    """The request itself is wrong (a header, the payload, the topic): fix the sender's input."""


class PushTokenInvalid(PushError):
    """The device token is not a token of this app on this environment (typo, sandbox vs production)."""


class PushTokenUnregistered(PushError):
    """The token is no longer valid: the app was uninstalled or the token rotated (APNs 410, FCM UNREGISTERED)."""


class PushAuthError(PushError):
    """The provider credentials were refused (JWT, key id, team, service account, OAuth token)."""


class PushCredentialsError(PushError):
    """The credentials could not be read: no file, an unset variable, loose permissions, not a key."""


class PushThrottled(PushError):
    """Too many requests (or token updates): slow down."""


class PushServiceError(PushError):
    """The service failed or is shutting down: retry later (5xx)."""


class PushUnreachable(PushError):
    """No answer from the push endpoint: DNS, connection refused, TLS/HTTP-2 failure or a timeout."""


_REREAD = "the app was uninstalled or the token rotated: re-read the token from the app and update push_token"
_JWT = "check [push] apns_key_id, apns_team_id and that the .p8 is the key of that id"

# reason → (error class, fix). Descriptions follow Apple's table; the fixes are ours.
APNS_REASONS: dict[str, tuple[type[PushError], str]] = {
    "BadCollapseId": (PushRejected, "apns-collapse-id is longer than 64 bytes: shorten it"),
    "BadDeviceToken": (PushTokenInvalid, "the token is not a device token of this environment: check push_token and "
                       "apns_environment (a development build's token works only on sandbox)"),
    "BadExpirationDate": (PushRejected, "apns-expiration must be a UNIX epoch in seconds"),
    "BadMessageId": (PushRejected, "apns-id must be a canonical UUID (8-4-4-4-12 lowercase hex)"),
    "BadPriority": (PushRejected, "apns-priority must be 10, 5 or 1 (5 for background pushes)"),
    "BadTopic": (PushRejected, "apns-topic is not valid: use the app's bundle id"),
    "DeviceTokenNotForTopic": (PushTokenInvalid, "this token belongs to another app: check apns_topic and "
                               "push_token"),
    "DuplicateHeaders": (PushRejected, "a header was sent twice"),
    "IdleTimeout": (PushUnreachable, "the connection was idle too long: reconnect"),
    "InvalidPushType": (PushRejected, "apns-push-type is not a known type: use background"),
    "MissingDeviceToken": (PushTokenInvalid, "the path has no device token: set push_token for the device"),
    "MissingTopic": (PushRejected, "apns-topic is required with token auth: set [push] apns_topic or "
                     "[app] ios_bundle_id"),
    "PayloadEmpty": (PushRejected, "the body is empty: send {\"aps\":{\"content-available\":1}}"),
    "TopicDisallowed": (PushRejected, "pushing to this topic is not allowed: use the app's bundle id"),
    "BadCertificate": (PushAuthError, "the certificate is bad: use token auth (.p8) instead"),
    "BadCertificateEnvironment": (PushAuthError, "the certificate is for the other environment"),
    "ExpiredProviderToken": (PushAuthError, "the JWT is more than an hour old: check this machine's clock"),
    "Forbidden": (PushAuthError, "the key may not push to this topic: " + _JWT),
    "InvalidProviderToken": (PushAuthError, "the JWT was refused: " + _JWT),
    "MissingProviderToken": (PushAuthError, "no authorization header: configure token auth in [push]"),
    "UnrelatedKeyIdInToken": (PushAuthError, "the key id does not belong to the team: " + _JWT),
    "BadPath": (PushRejected, "the path must be /3/device/<token>: check [push] apns_url"),
    "MethodNotAllowed": (PushRejected, "APNs accepts only POST"),
    "ExpiredToken": (PushTokenUnregistered, _REREAD),
    "Unregistered": (PushTokenUnregistered, _REREAD),
    "PayloadTooLarge": (PushRejected, "the payload is over 4096 bytes: send less and let the app fetch the rest"),
    "TooManyProviderTokenUpdates": (PushThrottled, "the JWT changed more than once in 20 minutes: reuse one "
                                    "ApnsClient (it caches the token)"),
    "TooManyRequests": (PushThrottled, "too many pushes to this device: Apple advises two or three background "
                        "pushes an hour"),
    "InternalServerError": (PushServiceError, "APNs failed: retry later"),
    "ServiceUnavailable": (PushServiceError, "APNs is unavailable: retry later"),
    "Shutdown": (PushServiceError, "the APNs server is shutting down: reconnect and retry"),
}

_STATUS_DEFAULTS: dict[int, type[PushError]] = {400: PushRejected, 401: PushAuthError, 403: PushAuthError,
                                                404: PushTokenUnregistered, 410: PushTokenUnregistered,
                                                413: PushRejected, 429: PushThrottled}

# FCM ErrorCode → (error class, fix)
FCM_CODES: dict[str, tuple[type[PushError], str]] = {
    "INVALID_ARGUMENT": (PushRejected, "the message is malformed or the token is not an FCM registration token: "
                         "check push_token and the data (string values, under 4 KB)"),
    "UNREGISTERED": (PushTokenUnregistered, _REREAD),
    "SENDER_ID_MISMATCH": (PushTokenInvalid, "the token belongs to another Firebase project: check "
                           "[push] fcm_project_id and push_token"),
    "QUOTA_EXCEEDED": (PushThrottled, "the sending quota is exceeded: back off and retry"),
    "UNAVAILABLE": (PushServiceError, "FCM is overloaded: retry with backoff"),
    "INTERNAL": (PushServiceError, "FCM failed: retry with backoff"),
    "THIRD_PARTY_AUTH_ERROR": (PushAuthError, "the APNs credentials in the Firebase project were refused"),
    "UNSPECIFIED_ERROR": (PushServiceError, "FCM gave no reason: retry later"),
    # canonical statuses that come without an FcmError detail
    "UNAUTHENTICATED": (PushAuthError, "the OAuth token was refused: check the service account file and that "
                        "its project has the FCM API enabled"),
    "PERMISSION_DENIED": (PushAuthError, "the service account may not send for this project: check "
                          "[push] fcm_project_id"),
    "NOT_FOUND": (PushTokenUnregistered, _REREAD),
    "RESOURCE_EXHAUSTED": (PushThrottled, "the sending quota is exceeded: back off and retry"),
}


def apns_error(device: str, command: str, status: int, reason: str | None) -> PushError:
    """The typed error for an APNs error response (``{"reason": …}``)."""
    cls, fix = APNS_REASONS.get(reason or "", (None, ""))
    if cls is None:
        cls = _STATUS_DEFAULTS.get(status, PushServiceError if status >= 500 else PushRejected)
        fix = "see Apple's 'Handling notification responses from APNs'"
    problem = f"APNs answered {status} {reason or '(no reason)'}"
    return cls(device, command, problem, fix, service="apns", status=status, reason=reason)


def fcm_error(device: str, command: str, status: int, code: str | None, message: str) -> PushError:
    """The typed error for an FCM v1 error response; ``code`` is the FcmError code or the canonical status."""
    cls, fix = FCM_CODES.get(code or "", (None, ""))
    if cls is None:
        cls = _STATUS_DEFAULTS.get(status, PushServiceError if status >= 500 else PushRejected)
        fix = "see FCM's ErrorCode reference"
    problem = f"FCM answered {status} {code or '(no code)'}: {message}" if message else f"FCM answered {status} {code}"
    return cls(device, command, problem, fix, service="fcm", status=status, reason=code)
