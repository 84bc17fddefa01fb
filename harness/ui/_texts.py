"""The system UI texts and ids the verbs look for, as real Android 14/15 and iOS 17/18 phones show them.

Android's PermissionController ids (``com.android.permissioncontroller:id/…``) are the same on Pixel,
Xiaomi, Oppo and Samsung builds, which is why UI tests use them instead of the (translated) texts; iOS
alerts are found by their button labels (English; Apple's typographic apostrophe in ``Don’t Allow``).
Sources: AOSP PermissionController layouts as public Appium page objects use them; Apple's location
authorization prompts (see harness/lab/appium/ui/*_texts.py, which draw the same screens in the lab).
"""

from __future__ import annotations

__all__ = ["ANDROID", "IOS", "PROBE_TITLE"]

PROBE_TITLE = "Background task probe"  # the probe's diagnostics screen title (probe/src/diagnostics.tsx)
_PC = "com.android.permissioncontroller:id/"

ANDROID = {
    "dialog_foreground": f"{_PC}permission_allow_foreground_only_button",  # "While using the app"
    "dialog_one_time": f"{_PC}permission_allow_one_time_button",  # "Only this time"
    "dialog_deny": f"{_PC}permission_deny_button",  # "Don’t allow"
    "radio_always": f"{_PC}allow_always_radio_button",  # "Allow all the time"
    "radio_foreground": f"{_PC}allow_foreground_only_radio_button",  # "Allow only while using the app"
    "radio_deny": f"{_PC}deny_radio_button",  # "Don’t allow"
    "back": "Back",  # the settings page's navigate-up button (content-desc)
}

IOS = {
    "allow_once": "Allow Once",
    "while_using": "Allow While Using App",
    "dont_allow": "Don\u2019t Allow",
    "keep_while_using": "Keep Only While Using",
    "always": "Change to Always Allow",
}
