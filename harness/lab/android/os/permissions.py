"""Platform permissions by protection, and whether ``pm grant``/``pm revoke`` may change one.

Protection levels are frameworks/base ``core/res/AndroidManifest.xml`` (Android 14/15): runtime permissions
are ``dangerous``; the ``development`` flag makes a signature permission grantable from the shell (DUMP,
READ_LOGS, PACKAGE_USAGE_STATS: platform/development ``apps/DumpViewer/README.md`` grants them with
``pm grant``); the rest (``normal``, ``signature``, ``appop``) are install-time and not changeable.

What a refused change says depends on which permission service the phone runs:

- Android 12–14, ``PermissionManagerServiceImpl.grantRuntimePermissionInternal`` (and its revoke twin):
  ``IllegalArgumentException: Unknown permission: P``; ``SecurityException: Permission P requested by PKG is
  not a changeable permission type``; then ``SecurityException: Package PKG has not requested permission P``.
- Android 15+ (``PermissionManager.USE_ACCESS_CHECKING_SERVICE = SdkLevel.isAtLeastV()``), the
  AccessCheckingService's ``PermissionService.setRuntimePermissionGranted``: ``IllegalArgumentException:
  Unknown permission P``; ``SecurityException: Permission P requested by package PKG is not a changeable
  permission type``; a permission the package does not request is only logged (``Slog.e`` under the tag
  ``PermissionService``: ``Permission P isn't requested by package PKG``) and the command succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COURIER_PERMISSIONS", "RUNTIME", "Refusal", "refusal"]

_P = "android.permission."
RUNTIME = frozenset(_P + name for name in (
    "READ_CALENDAR", "WRITE_CALENDAR", "CAMERA", "READ_CONTACTS", "WRITE_CONTACTS", "GET_ACCOUNTS",
    "ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION", "ACCESS_BACKGROUND_LOCATION", "ACCESS_MEDIA_LOCATION",
    "RECORD_AUDIO", "READ_PHONE_STATE", "READ_PHONE_NUMBERS", "CALL_PHONE", "ANSWER_PHONE_CALLS",
    "READ_CALL_LOG", "WRITE_CALL_LOG", "ADD_VOICEMAIL", "USE_SIP", "BODY_SENSORS", "BODY_SENSORS_BACKGROUND",
    "SEND_SMS", "RECEIVE_SMS", "READ_SMS", "RECEIVE_WAP_PUSH", "RECEIVE_MMS", "READ_EXTERNAL_STORAGE",
    "WRITE_EXTERNAL_STORAGE", "ACTIVITY_RECOGNITION", "BLUETOOTH_SCAN", "BLUETOOTH_CONNECT",
    "BLUETOOTH_ADVERTISE", "UWB_RANGING", "NEARBY_WIFI_DEVICES", "POST_NOTIFICATIONS", "READ_MEDIA_IMAGES",
    "READ_MEDIA_VIDEO", "READ_MEDIA_AUDIO", "READ_MEDIA_VISUAL_USER_SELECTED",
))
# signature|privileged|development (SYSTEM_ALERT_WINDOW: signature|setup|appop|installer|pre23|development).
_DEVELOPMENT = frozenset(_P + name for name in (
    "WRITE_SECURE_SETTINGS", "DUMP", "READ_LOGS", "PACKAGE_USAGE_STATS", "SET_ANIMATION_SCALE",
    "CHANGE_CONFIGURATION", "SET_DEBUG_APP", "SET_PROCESS_LIMIT", "SET_ALWAYS_FINISH",
    "SIGNAL_PERSISTENT_PROCESSES", "SYSTEM_ALERT_WINDOW", "BATTERY_STATS", "INTERACT_ACROSS_USERS",
))
_INSTALL_TIME = frozenset((*(_P + name for name in (
    "INTERNET", "ACCESS_NETWORK_STATE", "ACCESS_WIFI_STATE", "CHANGE_WIFI_STATE", "WAKE_LOCK", "VIBRATE",
    "RECEIVE_BOOT_COMPLETED", "FOREGROUND_SERVICE", "FOREGROUND_SERVICE_LOCATION", "FOREGROUND_SERVICE_DATA_SYNC",
    "REQUEST_IGNORE_BATTERY_OPTIMIZATIONS", "SCHEDULE_EXACT_ALARM", "USE_EXACT_ALARM", "USE_FULL_SCREEN_INTENT",
    "ACCESS_NOTIFICATION_POLICY", "REQUEST_INSTALL_PACKAGES", "MANAGE_EXTERNAL_STORAGE", "BLUETOOTH",
    "BLUETOOTH_ADMIN", "NFC", "USE_BIOMETRIC", "USE_FINGERPRINT", "MODIFY_AUDIO_SETTINGS", "BIND_JOB_SERVICE",
    "DEVICE_POWER", "MODIFY_PHONE_STATE", "UPDATE_DEVICE_STATS", "INSTALL_PACKAGES", "DELETE_PACKAGES",
    "MANAGE_USERS", "REBOOT", "SET_TIME", "SET_TIME_ZONE", "STATUS_BAR",
)), "com.google.android.c2dm.permission.RECEIVE"))  # c2dm: declared normal by Play services

# The modelled Expo app's merged manifest: the Expo template (INTERNET, READ/WRITE_EXTERNAL_STORAGE,
# SYSTEM_ALERT_WINDOW, VIBRATE), expo-location with background location and its foreground service,
# expo-notifications/Firebase Messaging (c2dm RECEIVE, POST_NOTIFICATIONS, WAKE_LOCK, ACCESS_NETWORK_STATE)
# and WorkManager (RECEIVE_BOOT_COMPLETED, FOREGROUND_SERVICE).
COURIER_PERMISSIONS = frozenset((*(_P + name for name in (
    "INTERNET", "ACCESS_NETWORK_STATE", "WAKE_LOCK", "VIBRATE", "RECEIVE_BOOT_COMPLETED", "FOREGROUND_SERVICE",
    "FOREGROUND_SERVICE_LOCATION", "ACCESS_COARSE_LOCATION", "ACCESS_FINE_LOCATION", "ACCESS_BACKGROUND_LOCATION",
    "POST_NOTIFICATIONS", "READ_EXTERNAL_STORAGE", "WRITE_EXTERNAL_STORAGE", "SYSTEM_ALERT_WINDOW",
)), "com.google.android.c2dm.permission.RECEIVE"))

_ACCESS_CHECKING_SDK = 35  # Android 15 (V)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a grant or revoke does not change anything: the exception the shell command prints (exit 255),
    or, on Android 15+, only an error line in the system log (exit 0)."""

    exception: str | None = None
    log: str | None = None


def refusal(sdk: int, package: str, requested: frozenset[str], permission: str) -> Refusal | None:
    """None when ``pm grant``/``pm revoke`` may change ``permission`` for ``package``."""
    new = sdk >= _ACCESS_CHECKING_SDK
    if permission not in RUNTIME | _DEVELOPMENT | _INSTALL_TIME:
        sep = " " if new else ": "
        return Refusal(f"java.lang.IllegalArgumentException: Unknown permission{sep}{permission}")
    if permission not in RUNTIME | _DEVELOPMENT:
        by = f"package {package}" if new else package
        return Refusal(f"java.lang.SecurityException: Permission {permission} requested by {by} is not a "
                       "changeable permission type")
    if permission in requested:
        return None
    if new:
        return Refusal(log=f"Permission {permission} isn't requested by package {package}")
    return Refusal(f"java.lang.SecurityException: Package {package} has not requested permission {permission}")
