"""W3C pointer-action payloads for the gestures the verbs make. Pure.

appium-python-client's ``driver.swipe`` cannot rest at the end of a drag, and opening the iOS app switcher
needs that rest (a drag up from the home indicator that pauses; a quick flick goes home instead), so the
verbs send ``POST /session/:id/actions`` bodies built here: one ``touch`` pointer source, as the client's
``ActionBuilder`` writes it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["drag", "flick"]


def _source(actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"actions": [{"type": "pointer", "id": "finger", "parameters": {"pointerType": "touch"},
                         "actions": actions}]}


def drag(x1: int, y1: int, x2: int, y2: int, *, move_ms: int, hold_ms: int = 0) -> dict[str, Any]:
    """Press at (x1, y1), move to (x2, y2) in ``move_ms``, rest ``hold_ms``, lift."""
    actions: list[dict[str, Any]] = [
        {"type": "pointerMove", "duration": 0, "x": x1, "y": y1, "origin": "viewport"},
        {"type": "pointerDown", "button": 0},
        {"type": "pointerMove", "duration": move_ms, "x": x2, "y": y2, "origin": "viewport"},
    ]
    if hold_ms:
        actions.append({"type": "pause", "duration": hold_ms})
    actions.append({"type": "pointerUp", "button": 0})
    return _source(actions)


def flick(x1: int, y1: int, x2: int, y2: int) -> dict[str, Any]:
    """A fast swipe (150 ms, no rest): dismisses a recents card, scrolls a list."""
    return drag(x1, y1, x2, y2, move_ms=150)
