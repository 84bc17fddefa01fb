"""W3C pointer actions (``POST /session/:id/actions``) reduced to the gestures a phone recognises.

A client sends input sources with action lists (https://www.w3.org/TR/webdriver/#actions): appium-python-
client's ``driver.swipe``/``driver.tap`` build one ``pointer`` source of type ``touch`` with ``pointerMove``
(``origin`` viewport, pointer or an element), ``pointerDown``, ``pause`` and ``pointerUp``. Each down…up
becomes one ``Gesture``: a tap when the finger barely moved, a swipe otherwise, with the time it took and
how long the finger rested at the end (a "hold", which iOS reads as a drag rather than a flick).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.lab.appium._errors import WebDriverError

__all__ = ["ELEMENT_KEY", "Gesture", "gestures"]

ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"
TAP_SLOP = 12  # screen units a finger may drift and still tap (ViewConfiguration's touch slop is 8 dp)


@dataclass(frozen=True, slots=True)
class Gesture:
    x1: int
    y1: int
    x2: int
    y2: int
    duration_s: float  # pointerDown → pointerUp
    hold_s: float  # time resting at the end point before pointerUp

    @property
    def is_tap(self) -> bool:
        return abs(self.x2 - self.x1) <= TAP_SLOP and abs(self.y2 - self.y1) <= TAP_SLOP


def gestures(body: Any, element_center: Callable[[str], tuple[int, int]]) -> list[Gesture]:
    """The gestures in an actions body; ``element_center`` resolves an element origin (raises if stale)."""
    sources = body.get("actions") if isinstance(body, dict) else None
    if not isinstance(sources, list):
        raise WebDriverError("invalid argument", "'actions' must be an array of input sources")
    out: list[Gesture] = []
    for source in sources:
        if not isinstance(source, dict) or not isinstance(source.get("actions"), list):
            raise WebDriverError("invalid argument", f"input source {source!r} has no action list")
        if source.get("type") == "pointer":
            out.extend(_pointer(source["actions"], element_center))
        elif source.get("type") not in ("key", "none", "wheel"):
            raise WebDriverError("invalid argument", f"unknown input source type {source.get('type')!r}")
    return out


def _pointer(actions: list[Any], element_center: Callable[[str], tuple[int, int]]) -> list[Gesture]:
    x = y = 0
    now = 0.0
    down: tuple[int, int, float] | None = None
    rest_since = 0.0
    out: list[Gesture] = []
    for action in actions:
        kind = action.get("type") if isinstance(action, dict) else None
        duration = float(action.get("duration") or 0) / 1000.0 if isinstance(action, dict) else 0.0
        if kind == "pointerMove":
            nx, ny = _target(action, x, y, element_center)
            now += duration
            if (nx, ny) != (x, y):
                rest_since = now
            x, y = nx, ny
        elif kind == "pause":
            now += duration
        elif kind == "pointerDown":
            down, rest_since = (x, y, now), now
        elif kind == "pointerUp":
            if down is not None:
                out.append(Gesture(down[0], down[1], x, y, now - down[2], now - rest_since))
            down = None
        else:
            raise WebDriverError("invalid argument", f"unknown pointer action {action!r}")
    return out


def _target(action: dict[str, Any], x: int, y: int, element_center: Callable[[str], tuple[int, int]]
            ) -> tuple[int, int]:
    dx, dy = round(float(action.get("x", 0))), round(float(action.get("y", 0)))
    origin = action.get("origin", "viewport")
    if origin == "viewport":
        return dx, dy
    if origin == "pointer":
        return x + dx, y + dy
    if isinstance(origin, dict) and isinstance(origin.get(ELEMENT_KEY), str):
        cx, cy = element_center(origin[ELEMENT_KEY])
        return cx + dx, cy + dy
    raise WebDriverError("invalid argument", f"unknown pointerMove origin {origin!r}")
