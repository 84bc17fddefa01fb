"""Progress as text: durations, the plain lines a CI log gets, and the parts of the live table. Pure."""

from __future__ import annotations

import re

from harness.plugin._progress._board import Cell, PhoneView, Wait

__all__ = ["PREFIX", "cell_name", "end_line", "now_text", "span", "start_line", "wait_line", "window_text"]

PREFIX = "[progress]"


def span(seconds: float | None) -> str:
    """A duration for people: ``0.4s``, ``42s``, ``7m30s``, ``2h05m``, ``3d04h``; ``?`` when unknown."""
    if seconds is None:
        return "?"
    s = max(0.0, seconds)
    if s < 0.1:
        return "<0.1s"
    if s < 10:
        return f"{s:.1f}s"
    whole = round(s)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


def cell_name(nodeid: str, device: str) -> str:
    """``scenarios/test_doze.py::test_sync[pixel-8]`` on pixel-8 → ``test_doze.py::test_sync``."""
    name = nodeid.rsplit("/", 1)[-1]
    return re.sub(rf"\[{re.escape(device)}\]$", "", name)


def window_text(wait: Wait) -> str:
    if wait.window_s is None:
        return "of unknown length (no log line yet to measure it from)"
    if wait.rate == 0:
        return f"{span(wait.window_s)} of device time (virtual clock, stepped event to event)"
    wall = wait.window_s / wait.rate
    if abs(wait.rate - 1.0) < 1e-9:
        return f"{span(wait.window_s)} of device time"
    return f"{span(wait.window_s)} of device time ({span(wall)} at {wait.rate:g}x)"


def _tail(view: PhoneView, run_eta_s: float) -> str:
    phone = "phone done" if view.done == view.total else f"phone eta {span(view.eta_s)}"
    return f" | {phone} | run eta {span(run_eta_s)}"


def start_line(cell: Cell, view: PhoneView, run_eta_s: float) -> str:
    return (f"{PREFIX} {cell.device} start {cell.nodeid} | cell {view.done + 1}/{view.total} | plan "
            f"{span(cell.device_s)} of device time, {span(cell.wall_s)} of wall time" + _tail(view, run_eta_s))


def wait_line(cell: Cell, wait: Wait, view: PhoneView, run_eta_s: float) -> str:
    elapsed = wait.started - cell.started if cell.started is not None else None  # when the wait began, not now
    return (f"{PREFIX} {cell.device} wait {cell.nodeid} for {wait.what} | window {window_text(wait)} | "
            f"elapsed {span(elapsed)}" + _tail(view, run_eta_s))


def end_line(cell: Cell, view: PhoneView, run_eta_s: float) -> str:
    used = f", used {span(cell.used_device_s)} of device time" if cell.used_device_s is not None else ""
    return (f"{PREFIX} {cell.device} end {cell.nodeid} {cell.outcome} in {span(cell.took_s)} (plan "
            f"{span(cell.wall_s)}{used}) | cell {view.done}/{view.total}" + _tail(view, run_eta_s))


def now_text(view: PhoneView, now: float) -> str:
    """What the phone does now, for the live table."""
    cell = view.current
    if cell is None:
        return "" if view.done == view.total else "not started (its worker is busy, or starting)"
    wait = cell.wait
    if wait is None:
        return "acting on the phone (no wait)"
    return f"{span(now - wait.started)} into a window {window_text(wait)} · waits for {wait.what}"
