"""The WebDriver routes the lab answers: (method, path template) → command name. Pure.

Templates are the W3C ones plus Appium's additions that appium-python-client 6 (through selenium's
``remote_connection.py`` table) calls; ``:sessionId``, ``:elementId`` and ``:name`` are captured.
"""

from __future__ import annotations

__all__ = ["ROUTES", "match_route"]

ROUTES: tuple[tuple[str, str, str], ...] = (
    ("GET", "/status", "status"),
    ("POST", "/session", "new_session"),
    ("GET", "/session/:sessionId", "get_session"),
    ("DELETE", "/session/:sessionId", "delete_session"),
    ("GET", "/session/:sessionId/timeouts", "get_timeouts"),
    ("POST", "/session/:sessionId/timeouts", "set_timeouts"),
    ("POST", "/session/:sessionId/execute/sync", "execute"),
    ("POST", "/session/:sessionId/element", "find_element"),
    ("POST", "/session/:sessionId/elements", "find_elements"),
    ("POST", "/session/:sessionId/element/:elementId/element", "find_child"),
    ("POST", "/session/:sessionId/element/:elementId/elements", "find_children"),
    ("POST", "/session/:sessionId/element/:elementId/click", "click"),
    ("GET", "/session/:sessionId/element/:elementId/text", "text"),
    ("GET", "/session/:sessionId/element/:elementId/attribute/:name", "attribute"),
    ("GET", "/session/:sessionId/element/:elementId/rect", "rect"),
    ("GET", "/session/:sessionId/element/:elementId/displayed", "displayed"),
    ("GET", "/session/:sessionId/element/:elementId/enabled", "enabled"),
    ("GET", "/session/:sessionId/element/:elementId/name", "tag_name"),
    ("POST", "/session/:sessionId/actions", "actions"),
    ("DELETE", "/session/:sessionId/actions", "release_actions"),
    ("GET", "/session/:sessionId/source", "source"),
    ("GET", "/session/:sessionId/screenshot", "screenshot"),
    ("GET", "/session/:sessionId/window/rect", "window_rect"),
    ("POST", "/session/:sessionId/back", "back"),
    ("GET", "/session/:sessionId/orientation", "orientation"),
    ("GET", "/session/:sessionId/se/log/types", "log_types"),
)


def match_route(method: str, path: str, base_path: str = "") -> tuple[str, dict[str, str]] | None:
    """The command for ``method path`` and its captured parameters, or None (``unknown command``)."""
    if base_path and path.startswith(base_path):
        path = path[len(base_path):] or "/"
    parts = [p for p in path.split("/") if p]
    for verb, template, command in ROUTES:
        if verb != method:
            continue
        pattern = [p for p in template.split("/") if p]
        if len(pattern) != len(parts):
            continue
        params: dict[str, str] = {}
        for want, got in zip(pattern, parts, strict=True):
            if want.startswith(":"):
                params[want[1:]] = got
            elif want != got:
                break
        else:
            return command, params
    return None
