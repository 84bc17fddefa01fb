"""The iOS system UI the lab draws, with sources.

- Location authorization (iOS 14–18): the first request shows ``Allow “<app>” to use your location?``
  with ``Allow Once``, ``Allow While Using App``, ``Don’t Allow``; a later ``requestAlwaysAuthorization``
  from an app that has "while using" shows, once per install, ``Allow “<app>” to also use your location
  even when you are not using the app?`` with ``Keep Only While Using`` and ``Change to Always Allow``
  (Apple's "Requesting authorization to use location services"; button texts as UI tests on real iPhones
  match them — WebDriverAgent PR #479, patrol PR #383). Apple's UI uses typographic quotes (U+201C/U+201D)
  and apostrophes (U+2019).
- The message under the title is the app's usage description; expo-location's config plugin fills
  ``NSLocationWhenInUseUsageDescription`` with ``Allow $(PRODUCT_NAME) to access your location``.
- Screen sizes in points (XCUITest's units), scale 3: iPhone 15 (iPhone15,4) 393×852, iPhone 12
  (iPhone13,2) 390×844.
"""

from __future__ import annotations

__all__ = ["ALLOW_ONCE", "ALLOW_WHILE_USING", "CHANGE_TO_ALWAYS", "DONT_ALLOW", "KEEP_WHILE_USING", "SCREENS",
           "SPRINGBOARD", "always_title", "usage", "when_in_use_title"]

ALLOW_ONCE = "Allow Once"
ALLOW_WHILE_USING = "Allow While Using App"
DONT_ALLOW = "Don\u2019t Allow"
KEEP_WHILE_USING = "Keep Only While Using"
CHANGE_TO_ALWAYS = "Change to Always Allow"
SPRINGBOARD = "com.apple.springboard"
SCREENS = {"iPhone15,4": (393, 852), "iPhone15,5": (430, 932), "iPhone16,1": (393, 852), "iPhone13,2": (390, 844),
           "iPhone14,5": (390, 844), "iPhone14,7": (390, 844)}


def when_in_use_title(app: str) -> str:
    return f"Allow \u201c{app}\u201d to use your location?"


def always_title(app: str) -> str:
    return f"Allow \u201c{app}\u201d to also use your location even when you are not using the app?"


def usage(app: str) -> str:
    return f"Allow {app} to access your location"
