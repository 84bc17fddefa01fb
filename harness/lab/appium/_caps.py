"""W3C capability processing as Appium 2 does it, before a driver is chosen.

Follows ``@appium/base-driver`` ``lib/basedriver/capabilities.js`` (``parseCaps``, ``mergeCaps``,
``stripAppiumPrefixes``) and the W3C "processing capabilities" steps: ``alwaysMatch`` is merged with each
``firstMatch`` entry (a key in both is an error), ``appium:`` prefixes are stripped (on a standard
capability they are an error), non-standard capabilities without a vendor prefix are dropped with a
warning (so an unprefixed ``automationName`` ends as "'automationName' can't be blank", which is what
Appium 2 answers), and the first merged entry that has the required capabilities wins.
"""

from __future__ import annotations

import json
from typing import Any

from harness.lab.appium._errors import WebDriverError

__all__ = ["STANDARD_CAPS", "match_capabilities"]

STANDARD_CAPS = frozenset({
    "browserName", "browserVersion", "platformName", "acceptInsecureCerts", "pageLoadStrategy", "proxy",
    "setWindowRect", "timeouts", "strictFileInteractability", "unhandledPromptBehavior", "webSocketUrl",
})
_REQUIRED = ("platformName", "automationName")
_NON_W3C = ("W3C capabilities should be provided in the top level capabilities.alwaysMatch or "
            "capabilities.firstMatch[] entries")


def match_capabilities(body: Any) -> dict[str, Any]:
    """The capabilities a driver gets for a ``POST /session`` body, prefixes stripped; raises WebDriverError."""
    caps = body.get("capabilities") if isinstance(body, dict) else None
    if not isinstance(caps, dict) or not ("alwaysMatch" in caps or "firstMatch" in caps):
        raise WebDriverError("session not created", _NON_W3C)
    always = caps.get("alwaysMatch") or {}
    first = caps.get("firstMatch", [{}])
    if not isinstance(always, dict):
        raise WebDriverError("invalid argument", 'The capabilities argument was not valid for the following '
                             'reason(s): "capabilities.alwaysMatch" must be a JSON object or undefined')
    if not isinstance(first, list) or not all(isinstance(entry, dict) for entry in first):
        raise WebDriverError("invalid argument", 'The capabilities.firstMatch argument was not valid for the '
                             'following reason(s): "capabilities.firstMatch" must be a JSON array or undefined')
    always = _strip(always)
    problems: list[str] = []
    for entry in first or [{}]:
        merged = _merge(always, _strip(entry))
        missing = [name for name in _REQUIRED if merged.get(name) in (None, "")]
        if not missing:
            return merged
        problems.append(f"'{missing[0]}' can't be blank")
    if len(problems) == 1:
        raise WebDriverError("invalid argument", problems[0])
    raise WebDriverError("invalid argument", f"Could not find matching capabilities from {json.dumps(caps)}:\n "
                         + "\n".join(problems))


def _strip(caps: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    bad: list[str] = []
    for key, value in caps.items():
        if key.startswith("appium:"):
            name = key[len("appium:"):]
            if name in STANDARD_CAPS:
                bad.append(key)
            elif name == "options" and isinstance(value, dict):
                out.update(_strip({f"appium:{k}": v for k, v in value.items()}))
            else:
                out[name] = value
        elif key in STANDARD_CAPS or ":" in key:
            out[key] = value
        # a non-standard capability without a vendor prefix is not passed on (Appium 2 warns and drops it)
    if bad:
        raise WebDriverError("invalid argument", f"The capabilities {json.dumps(bad)} are standard capabilities "
                             'and do not require "appium:" prefix')
    return out


def _merge(primary: dict[str, Any], secondary: dict[str, Any]) -> dict[str, Any]:
    for name in primary.keys() & secondary.keys():
        raise WebDriverError("invalid argument", f"Property '{name}' should not exist on both primary "
                             f"({json.dumps(primary)}) and secondary ({json.dumps(secondary)}) objects")
    return {**primary, **secondary}
