"""The Android system UI the lab draws: package names, view ids and English strings, with their sources.

- Runtime permission dialog (``GrantPermissionsActivity``, PermissionController, Android 12–15): message
  ``Allow <app> to access this device’s location?``, buttons ``While using the app``
  (``permission_allow_foreground_only_button``), ``Only this time`` (``permission_allow_one_time_button``),
  ``Don’t allow`` (``permission_deny_button``), and the Precise/Approximate choice
  (``permission_location_accuracy_radio_fine``/``_coarse``). Ids as UI tests on real phones locate them
  (public Appium page objects found with the search tool); U+2019 apostrophes as AOSP's strings.xml.
- Background location (Android 11+): requesting ``ACCESS_BACKGROUND_LOCATION`` sends the user to the
  app's "Location permission" page (``AppPermissionActivity``): radio buttons ``Allow all the time``
  (``allow_always_radio_button``), ``Allow only while using the app`` (``allow_foreground_only_radio_button``),
  ``Ask every time`` (``ask_radio_button``), ``Don’t allow`` (``deny_radio_button``), the app's name in
  ``entity_header_title`` and a ``Back`` button (developer.android.com/training/location/permissions).
- Launchers (recents live in the launcher on these skins): Pixel ``com.google.android.apps.nexuslauncher``,
  MIUI/HyperOS ``com.miui.home``, ColorOS ``com.android.launcher``, One UI ``com.sec.android.app.launcher``,
  EMUI/HarmonyOS ``com.huawei.android.launcher``. Their home activities as ``dumpsys window`` prints the focused
  component (short form): ``com.google.android.apps.nexuslauncher/.NexusLauncherActivity``,
  ``com.miui.home/.launcher.Launcher``, ``com.android.launcher/.Launcher`` (OplusLauncher),
  ``com.huawei.android.launcher/.unihome.UniHomeLauncher`` (public scripts and notes quoting ``mCurrentFocus``
  and ``topResumedActivity``), One UI's ``.activities.LauncherActivity`` (its HOME alias; whether the focused
  record names the alias or its target is [unverified]), and AOSP Launcher3's Quickstep activity.
"""

from __future__ import annotations

__all__ = [
    "BACK", "BACKGROUND", "BUTTON_DENY", "BUTTON_FOREGROUND", "BUTTON_ONE_TIME", "CONTROLLER", "DEFAULT_LAUNCHER",
    "FINE", "HOME_ACTIVITIES", "LAUNCHERS", "LOCATION_ACCESS", "LOCATION_PERMISSION", "NO_RECENTS", "RADIO_ALWAYS",
    "RADIO_ASK", "RADIO_DENY", "RADIO_FOREGROUND", "SYSTEM_LABELS", "location_message", "rid",
]

CONTROLLER = "com.android.permissioncontroller"
FINE = "android.permission.ACCESS_FINE_LOCATION"  # Manifest.permission
BACKGROUND = "android.permission.ACCESS_BACKGROUND_LOCATION"
LAUNCHERS = {"google": "com.google.android.apps.nexuslauncher", "xiaomi": "com.miui.home",
             "oppo": "com.android.launcher", "realme": "com.android.launcher",
             "oneplus": "com.android.launcher", "samsung": "com.sec.android.app.launcher",
             "huawei": "com.huawei.android.launcher"}
DEFAULT_LAUNCHER = "com.android.launcher3"
HOME_ACTIVITIES = {"com.google.android.apps.nexuslauncher": ".NexusLauncherActivity",
                   "com.miui.home": ".launcher.Launcher", "com.android.launcher": ".Launcher",
                   "com.sec.android.app.launcher": ".activities.LauncherActivity",
                   "com.huawei.android.launcher": ".unihome.UniHomeLauncher",
                   "com.android.launcher3": ".uioverrides.QuickstepLauncher"}
SYSTEM_LABELS = {"com.android.settings": "Settings", "com.android.chrome": "Chrome"}

BUTTON_FOREGROUND = ("permission_allow_foreground_only_button", "While using the app")
BUTTON_ONE_TIME = ("permission_allow_one_time_button", "Only this time")
BUTTON_DENY = ("permission_deny_button", "Don\u2019t allow")
RADIO_ALWAYS = ("allow_always_radio_button", "Allow all the time")
RADIO_FOREGROUND = ("allow_foreground_only_radio_button", "Allow only while using the app")
RADIO_ASK = ("ask_radio_button", "Ask every time")
RADIO_DENY = ("deny_radio_button", "Don\u2019t allow")
LOCATION_PERMISSION = "Location permission"
LOCATION_ACCESS = "Location access for this app"
BACK = "Back"
NO_RECENTS = "No recent items"


def rid(name: str, package: str = CONTROLLER) -> str:
    return f"{package}:id/{name}"


def location_message(app: str) -> str:
    return f"Allow {app} to access this device\u2019s location?"
