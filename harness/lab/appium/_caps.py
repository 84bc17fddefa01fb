"""W3C capability processing as Appium 2 does it, before a driver is chosen.

Follows ``@appium/base-driver`` ``lib/basedriver/capabilities.ts`` (``promoteAppiumOptions``, ``parseCaps``,
``findNonPrefixedCaps``, ``stripAppiumPrefixes``, ``mergeCaps``) and the W3C "processing capabilities" steps, in
Appium's order:

1. ``appium:options`` is promoted to top-level ``appium:`` capabilities (not an object, or holding a standard
   capability: ``session not created``).
2. Any non-standard capability without a vendor prefix (no ``:`` in its name) anywhere in ``alwaysMatch`` or
   ``firstMatch`` is refused with ``invalid argument`` (400): "All non-standard capabilities should have a vendor
   prefix. The following capabilities did not have one: udid" — the names joined with "," as a JS array prints.
   An unprefixed ``udid`` is never silently ignored (the session would open on another phone).
3. ``appium:`` prefixes are stripped; a standard capability sent with the prefix is only warned about and used
   when the unprefixed one is absent (Appium logs "… are standard capabilities and do not require "appium:"
   prefix" and goes on).
4. ``alwaysMatch`` is merged with each ``firstMatch`` entry (a key in both is an error) and the first merged entry
   that has the required capabilities wins (Appium's own constraints: ``platformName`` and ``automationName``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from harness.lab.appium._errors import WebDriverError

__all__ = ["STANDARD_CAPS", "match_capabilities"]

log = logging.getLogger(__name__)

# base-driver's STANDARD_CAPS (the W3C table as Appium lists it); compared case-insensitively, as isStandardCap does
STANDARD_CAPS = frozenset({
    "browserName", "browserVersion", "platformName", "acceptInsecureCerts", "pageLoadStrategy", "proxy",
    "setWindowRect", "timeouts", "unhandledPromptBehavior", "webSocketUrl",
})
_STANDARD_LOWER = frozenset(name.lower() for name in STANDARD_CAPS)
_PREFIX = "appium:"
_OPTIONS = "appium:options"
_REQUIRED = ("platformName", "automationName")
_NON_W3C = ("W3C capabilities should be provided in the top level capabilities.alwaysMatch or "
            "capabilities.firstMatch[] entries")
_NO_PREFIX = ("All non-standard capabilities should have a vendor prefix. The following capabilities did not have "
              "one: ")


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
    always = _promote(always)
    entries = [_promote(entry) for entry in first or [{}]]
    unprefixed = non_prefixed([always, *entries])
    if unprefixed:
        raise WebDriverError("invalid argument", _NO_PREFIX + ",".join(unprefixed))
    return _first_match(caps, _strip(always), [_strip(entry) for entry in entries])


def non_prefixed(objects: list[dict[str, Any]]) -> list[str]:
    """findNonPrefixedCaps: names without a ``:`` that are not standard, in order of appearance, once each."""
    found: list[str] = []
    for caps in objects:
        found += [name for name in caps if ":" not in name and name.lower() not in _STANDARD_LOWER
                  and name not in found]
    return found


def _first_match(caps: dict[str, Any], always: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    problems: list[str] = []
    for entry in entries:
        merged = _merge(always, entry)
        missing = [name for name in _REQUIRED if merged.get(name) in (None, "")]
        if not missing:
            return merged
        problems.append(f"'{missing[0]}' can't be blank")
    if len(problems) == 1:
        raise WebDriverError("invalid argument", problems[0])
    raise WebDriverError("invalid argument", f"Could not find matching capabilities from {_js(caps)}:\n "
                         + "\n".join(problems))


def _promote(caps: dict[str, Any]) -> dict[str, Any]:
    """promoteAppiumOptionsForObject: the members of ``appium:options`` become ``appium:`` capabilities."""
    options = caps.get(_OPTIONS)
    if not options:
        return caps
    if not isinstance(options, dict):
        raise WebDriverError("session not created", f"The {_OPTIONS} capability must be an object")
    for name in options:
        if name.lower() in _STANDARD_LOWER:
            raise WebDriverError("session not created", f"{_OPTIONS} must only contain vendor-specific "
                                 f"capabilties. '{name}' is unexpected")  # sic: Appium's spelling
    promoted = {name if name.startswith(_PREFIX) else _PREFIX + name: value for name, value in options.items()}
    return {**{k: v for k, v in caps.items() if k != _OPTIONS}, **promoted}


def _strip(caps: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in caps.items() if not key.startswith(_PREFIX)}
    bad: list[str] = []
    for key, value in caps.items():
        if not key.startswith(_PREFIX):
            continue
        name = key[len(_PREFIX):]
        if name.lower() in _STANDARD_LOWER:
            bad.append(name)
            out.setdefault(name, value)  # the unprefixed one wins when both are given
        else:
            out[name] = value
    if bad:
        log.warning('The capabilities %s are standard capabilities and do not require "appium:" prefix',
                    _js(bad))
    return out


def _merge(primary: dict[str, Any], secondary: dict[str, Any]) -> dict[str, Any]:
    for name in primary.keys() & secondary.keys():
        raise WebDriverError("invalid argument", f"property '{name}' should not exist on both primary "
                             f"({_js(primary)}) and secondary ({_js(secondary)}) object")
    return {**primary, **secondary}


def _js(value: Any) -> str:
    """JSON.stringify's text: no spaces after separators."""
    return json.dumps(value, separators=(",", ":"))
