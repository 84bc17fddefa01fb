"""The WebDriver commands, independent of sockets: (method, path, body) → (status, JSON body).

Reply shapes are Appium 2's: ``{"value": …}`` for every command; ``POST /session`` answers
``{"value": {"sessionId", "capabilities"}}``; a found element is ``{"element-6066-11e4-a52e-4f735466cecf":
id, "ELEMENT": id}`` (both keys, as Appium's drivers send); ``GET /status`` is Appium's ``getStatus``:
``{"ready": true, "message": "The server is ready to accept new connections", "build": {"version"}}``.
An implicit wait (``POST /timeouts {"implicit": ms}``) makes element searches retry until it runs out,
as ``@appium/base-driver`` ``implicitWaitForCondition`` does.

``GET /orientation`` answers what UiAutomator2's server and WebDriverAgent answer for an upright phone,
``"PORTRAIT"`` (the lab's phones never rotate). ``GET /se/log/types`` is base-driver's ``getLogTypes``: the keys of
the driver's ``supportedLogTypes`` — appium-android-driver's ``logcat``, ``bugreport``, ``server``;
appium-xcuitest-driver's ``syslog``, ``crashlog``, ``performance``, ``safariConsole``, ``safariNetwork``,
``server``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

from harness.lab.appium._actions import ELEMENT_KEY, gestures
from harness.lab.appium._errors import WebDriverError, error_body
from harness.lab.appium._locators import find
from harness.lab.appium._routes import match_route
from harness.lab.appium._sessions import Session, Sessions
from harness.lab.appium.ui.base import PhoneUI, run_tap
from harness.lab.appium.ui.render import screenshot_png
from harness.lab.appium.ui.tree import Node, document, page_source
from harness.lab.clock import VirtualClock

__all__ = ["APPIUM_VERSION", "LOG_TYPES", "Endpoint"]

APPIUM_VERSION = "2.11.5"
LOG_TYPES = {"android": ["logcat", "bugreport", "server"],
             "ios": ["syslog", "crashlog", "performance", "safariConsole", "safariNetwork", "server"]}
_RETRY_S = 0.1  # implicit-wait retry interval (Appium's is 500 ms; the lab's screen is cheap to read)


class Endpoint:
    def __init__(self, phones: list[PhoneUI], *, relaxed_security: bool = False, base_path: str = "") -> None:
        self.sessions = Sessions(phones)
        self.relaxed_security = relaxed_security
        self.base_path = base_path.rstrip("/")

    async def handle(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        """The HTTP status and JSON body for one request; never raises for a client's mistake."""
        route = match_route(method, path, self.base_path)
        try:
            if route is None:
                raise WebDriverError("unknown command")
            command, params = route
            payload = _json(body) if method == "POST" else {}
            value = await getattr(self, f"_{command}")(params, payload)
        except WebDriverError as err:
            return err.status, error_body(err)
        except Exception as exc:  # a model error must not take the server down: Appium answers unknown error
            wrapped = WebDriverError("unknown error", f"{type(exc).__name__}: {exc}")
            return wrapped.status, error_body(wrapped)
        return 200, {"value": value}

    # -- server and sessions --------------------------------------------------------------------------
    async def _status(self, _p: dict[str, str], _b: Any) -> Any:
        return {"ready": True, "message": "The server is ready to accept new connections",
                "build": {"version": APPIUM_VERSION}}

    async def _new_session(self, _p: dict[str, str], body: Any) -> Any:
        session = await self.sessions.create(body)
        return {"sessionId": session.id, "capabilities": session.caps}

    async def _get_session(self, p: dict[str, str], _b: Any) -> Any:
        return self.sessions.get(p["sessionId"]).caps

    async def _delete_session(self, p: dict[str, str], _b: Any) -> Any:
        self.sessions.delete(p["sessionId"])
        return None

    async def _get_timeouts(self, p: dict[str, str], _b: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        return {"implicit": round(session.implicit_s * 1000), "pageLoad": 300000, "script": 30000}

    async def _set_timeouts(self, p: dict[str, str], body: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        implicit = body.get("implicit") if isinstance(body, dict) else None
        if implicit is not None:
            if not isinstance(implicit, (int, float)) or implicit < 0:
                raise WebDriverError("invalid argument", f"'implicit' must be a non-negative number, not {implicit!r}")
            session.implicit_s = float(implicit) / 1000.0
        return None

    # -- execute --------------------------------------------------------------------------------------
    async def _execute(self, p: dict[str, str], body: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        script = body.get("script") if isinstance(body, dict) else None
        if not isinstance(script, str) or not script.strip().startswith("mobile:"):
            raise WebDriverError("unsupported operation", f"Only 'mobile:' execute methods are supported in the "
                                 f"native context, not {script!r}")
        args = body.get("args") or [{}]
        first = args[0] if isinstance(args, list) and args else {}
        if not isinstance(first, dict):
            raise WebDriverError("invalid argument", "the arguments of a mobile: method must be an object")
        name = script.strip()[len("mobile:"):].strip()
        return await session.ui.mobile(name, first, relaxed=self.relaxed_security)

    # -- elements -------------------------------------------------------------------------------------
    def _doc(self, ui: PhoneUI) -> Node:
        return document(ui.tree(), ui.width, ui.height)

    async def _search(self, session: Session, body: Any, scope_id: str | None, many: bool) -> list[Node]:
        using, value = _locator(body)
        package = session.caps.get("appPackage")
        deadline = time.monotonic() + session.implicit_s
        clock = session.ui.clock
        limit = clock.now() + session.implicit_s  # a virtual clock: the implicit wait is that much device time
        while True:
            doc = self._doc(session.ui)
            scope = doc if scope_id is None else self._node(session, scope_id, doc)
            found = find(scope, using, value, platform=session.ui.platform,
                         app_package=package if isinstance(package, str) else None)
            if found:
                break
            if isinstance(clock, VirtualClock):  # the phone moves on by one event while the driver polls
                if clock.now() >= limit:
                    break
                clock.step(limit, lambda: True)
                continue
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(_RETRY_S)
        if not found and not many:
            raise WebDriverError("no such element")
        return found

    def _ref(self, session: Session, node: Node) -> dict[str, str]:
        element_id = next((eid for eid, key in session.elements.items() if key == node.key), None)
        if element_id is None:
            element_id = _element_id(len(session.elements) + 1, session.ui.platform)
            session.elements[element_id] = node.key
        return {ELEMENT_KEY: element_id, "ELEMENT": element_id}

    def _node(self, session: Session, element_id: str, doc: Node | None = None) -> Node:
        key = session.elements.get(element_id)
        if key is None:
            raise WebDriverError("no such element", f"The element identified by '{element_id}' is unknown")
        doc = doc if doc is not None else self._doc(session.ui)
        node = next((n for n in doc.walk() if n.key == key), None)
        if node is None:
            raise WebDriverError("stale element reference", f"The element '{element_id}' does not exist in DOM "
                                 "anymore")
        return node

    async def _find_element(self, p: dict[str, str], body: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        return self._ref(session, (await self._search(session, body, None, False))[0])

    async def _find_elements(self, p: dict[str, str], body: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        return [self._ref(session, n) for n in await self._search(session, body, None, True)]

    async def _find_child(self, p: dict[str, str], body: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        return self._ref(session, (await self._search(session, body, p["elementId"], False))[0])

    async def _find_children(self, p: dict[str, str], body: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        return [self._ref(session, n) for n in await self._search(session, body, p["elementId"], True)]

    async def _click(self, p: dict[str, str], _b: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        node = self._node(session, p["elementId"])
        if node.on_tap is not None:
            await run_tap(node)
        else:
            await session.ui.tap(*node.center)  # a tap at its centre reaches whatever is clickable there
        return None

    async def _text(self, p: dict[str, str], _b: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        return self._node(session, p["elementId"]).text

    async def _attribute(self, p: dict[str, str], _b: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        node = self._node(session, p["elementId"])
        name = p["name"]
        if session.ui.platform == "android" and name in ("contentDescription", "content-desc"):
            name = "content-desc"
        if session.ui.platform == "android" and name in ("resourceId", "resource-id"):
            name = "resource-id"
        return node.attribute(name)

    async def _rect(self, p: dict[str, str], _b: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        x1, y1, x2, y2 = self._node(session, p["elementId"]).bounds
        return {"x": x1, "y": y1, "width": x2 - x1, "height": y2 - y1}

    async def _displayed(self, p: dict[str, str], _b: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        self._node(session, p["elementId"])
        return True

    async def _enabled(self, p: dict[str, str], _b: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        return self._node(session, p["elementId"]).attribute("enabled") == "true"

    async def _tag_name(self, p: dict[str, str], _b: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        return self._node(session, p["elementId"]).tag

    # -- gestures, screen -----------------------------------------------------------------------------
    async def _actions(self, p: dict[str, str], body: Any) -> Any:
        session = self.sessions.get(p["sessionId"])
        for gesture in gestures(body, lambda eid: self._node(session, eid).center):
            if gesture.is_tap:
                await session.ui.tap(gesture.x1, gesture.y1)
            else:
                await session.ui.swipe(gesture)
        return None

    async def _release_actions(self, p: dict[str, str], _b: Any) -> Any:
        self.sessions.get(p["sessionId"])
        return None

    async def _source(self, p: dict[str, str], _b: Any) -> Any:
        ui = self.sessions.get(p["sessionId"]).ui
        return page_source(ui.tree(), ui.width, ui.height)

    async def _screenshot(self, p: dict[str, str], _b: Any) -> Any:
        ui = self.sessions.get(p["sessionId"]).ui
        png = await asyncio.to_thread(screenshot_png, ui.tree(), ui.width, ui.height, ui.scale)
        return base64.b64encode(png).decode("ascii")

    async def _window_rect(self, p: dict[str, str], _b: Any) -> Any:
        ui = self.sessions.get(p["sessionId"]).ui
        return {"x": 0, "y": 0, "width": ui.width, "height": ui.height}

    async def _orientation(self, p: dict[str, str], _b: Any) -> Any:
        self.sessions.get(p["sessionId"])
        return "PORTRAIT"

    async def _log_types(self, p: dict[str, str], _b: Any) -> Any:
        return list(LOG_TYPES[self.sessions.get(p["sessionId"]).ui.platform])

    async def _back(self, p: dict[str, str], _b: Any) -> Any:
        ui = self.sessions.get(p["sessionId"]).ui
        if ui.platform != "android":
            raise WebDriverError("unsupported operation", "Back navigation is not supported by XCUITest")
        await ui.mobile("pressKey", {"keycode": 4}, relaxed=False)
        return None


def _json(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested ~1,000 deep
        raise WebDriverError("invalid argument", f"The request body is not valid JSON: {exc}") from exc


def _locator(body: Any) -> tuple[str, str]:
    using = body.get("using") if isinstance(body, dict) else None
    value = body.get("value") if isinstance(body, dict) else None
    if not isinstance(using, str) or not isinstance(value, str):
        raise WebDriverError("invalid argument", "'using' and 'value' must be strings")
    return using, value


def _element_id(n: int, platform: str) -> str:
    """Element ids shaped like each driver's: UiAutomator2's ``00000000-0000-…`` and WDA's ``…-0000-0000-…``."""
    if platform == "android":
        return f"00000000-0000-{n:04x}-ffff-ffff{n:08x}"
    return f"{n:02X}000000-0000-0000-{n:04X}-000000000000"
