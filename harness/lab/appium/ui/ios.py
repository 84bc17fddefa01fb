"""The screens of a virtual iPhone as XCUITest (WebDriverAgent) sees them, and what gestures do there.

The screen comes from the OS model behind ``contracts.IOSSystem`` (which app is in the foreground, its
location authorization, its data container); the UI keeps what only SpringBoard knows: the app switcher's
cards, whether the switcher is open, the app's route and list scroll, and the location alerts.

Gestures as on a Face ID iPhone: from the home indicator (the bottom 34 pt), a flick up goes home and a
drag up that pauses opens the app switcher (how UI tests open it: ``mobile: dragFromToForDuration`` or
pointer actions with a hold; XCUITest has no button for it). In the switcher a flick up on a card is the
user's force-quit (``IOSSystem.user_force_quit``: the process ends and iOS stops background launches until
the user opens the app again), a tap on a card opens the app (``user_open``).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from harness.contracts.ring import RING_BUFFER_FILE
from harness.lab.appium._actions import Gesture
from harness.lab.appium.ui import ios_texts as t
from harness.lab.appium.ui.base import hit, run_tap
from harness.lab.appium.ui.diagnostics import REFRESH_LABEL, TITLE, diagnostic_rows, parse_ring
from harness.lab.appium.ui.ios_cmds import IOSCommands
from harness.lab.appium.ui.tree import Node, Rect, ios_node
from harness.lab.clock import Clock

if TYPE_CHECKING:
    from harness.config import AppConfig
    from harness.lab.ios.contracts import IOSSystem
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["IOSPhoneUI"]

INDICATOR_PT = 34  # the home indicator's strip at the bottom edge
HOLD_S = 0.25  # a drag that rests this long (or takes twice as long) opens the switcher instead of going home
TOP = 59  # under the status bar (Dynamic Island phones)
_ROW, _ROW_SHORT, _LIST_TOP = 44, 28, 150


class IOSPhoneUI:
    platform = "ios"
    scale = 3.0

    @property
    def clock(self) -> Clock:
        return self.phone.clock

    def __init__(self, phone: VirtualIPhone, app: AppConfig | None) -> None:
        self.phone = phone
        self.app = app
        self.udid = phone.udid
        self.name = phone.name
        self.width, self.height = t.SCREENS.get(phone.ident.product_type, (390, 844))
        self.screen: Rect = (0, 0, self.width, self.height)
        self.bundle = app.ios_bundle_id if app is not None else None
        self.caps: dict[str, Any] = {}
        self.recents: list[str] = []
        self.switcher = False
        self.alert: str | None = None  # "when_in_use" | "always"
        self.alert_pid = 0
        self.prompted_pid = 0
        self.asked_always: set[str] = set()
        self.nav, self.nav_pid, self.scroll = "main", 0, 0
        self.events: list[dict[str, object]] = []
        self.commands = IOSCommands(self)

    def reachable(self) -> bool:
        return self.phone.usb_linked

    @property
    def system(self) -> IOSSystem:
        if self.phone.system is None:
            raise RuntimeError(f"{self.name}: the iPhone has no OS model attached (build_iphone attaches it)")
        return self.phone.system

    def label(self, bundle: str) -> str:
        installed = self.phone.apps.get(bundle)
        return installed.name if installed is not None else bundle

    def foreground(self) -> str | None:
        for bundle in self.phone.apps:
            if self.system.app_state(bundle) == "foreground":
                return bundle
        return None

    def _touch_recents(self, front: str | None) -> None:
        for bundle in self.phone.apps:
            if bundle not in self.recents and self.system.app_state(bundle) != "not_running":
                self.recents.append(bundle)
        if front is not None:
            if front in self.recents:
                self.recents.remove(front)
            self.recents.insert(0, front)

    # -- what the screen shows ----------------------------------------------------------------------
    def tree(self) -> Node:
        front = self.foreground()
        self._touch_recents(front)
        if front is not None:
            self.switcher = False
        if self.switcher:
            return self._springboard(self._cards_nodes())
        if front is None:
            return self._springboard(self._icons())
        children = self._app_content(front)
        if front == self.bundle:
            self._prompt_if_asked()
            if self.alert is not None:
                children.append(self._alert())
        window = ios_node("Window", self.screen, children=[ios_node("Other", self.screen, children=children)])
        name = self.label(front)
        return ios_node("Application", self.screen, name=name, label=name, accessible=False, children=[window],
                        paint="#ffffff")

    def device_info(self) -> dict[str, Any]:
        return {"deviceName": self.phone.device_name, "udid": self.udid, "platformVersion": self.phone.ident.os_version,
                "realDevice": True}

    def _springboard(self, content: list[Node]) -> Node:
        window = ios_node("Window", self.screen, children=[ios_node("Other", self.screen, children=content)])
        return ios_node("Application", self.screen, name="SpringBoard", label=" ", children=[window],
                        paint="#1c2b45", on_tap=self._leave_switcher if self.switcher else None)

    def _icons(self) -> list[Node]:
        bundles = [b for b, app in self.phone.apps.items() if app.app_type == "User"]
        bundles += [b for b in ("com.apple.mobilesafari", "com.apple.Preferences") if b in self.phone.apps]
        icons = []
        for i, bundle in enumerate(bundles):
            x, y = 27 + (i % 4) * 90, 80 + (i // 4) * 105
            name = self.label(bundle)
            icons.append(ios_node("Icon", (x, y, x + 64, y + 64), name=name, label=name, accessible=True,
                                  paint="#d6e4ff", on_tap=partial(self._open, bundle)))
        return icons

    def _open(self, bundle: str) -> None:
        self.switcher = False
        self.system.user_open(bundle)

    # -- the app switcher ---------------------------------------------------------------------------
    def cards(self) -> list[tuple[str, Rect]]:
        card_w = round(self.width * 0.62)
        x1 = (self.width - card_w) // 2
        top, bottom = round(self.height * 0.17), round(self.height * 0.80)
        return [(bundle, (x1 - i * (card_w + 20), top, x1 + card_w - i * (card_w + 20), bottom))
                for i, bundle in enumerate(self.recents[:2])]

    def _cards_nodes(self) -> list[Node]:
        return [ios_node("Other", rect, name=self.label(bundle), label=self.label(bundle), accessible=True,
                         screen=self.screen, paint="#f4f4f4", on_tap=partial(self._open, bundle))
                for bundle, rect in self.cards()]

    def _leave_switcher(self) -> None:
        self.switcher = False

    # -- the app under test (React Native: Text → StaticText, Pressable → Button) -----------------------
    def _app_content(self, bundle: str) -> list[Node]:
        if bundle != self.bundle:
            name = self.label(bundle)
            return [ios_node("StaticText", (16, TOP + 20, self.width - 16, TOP + 50), name=name, label=name,
                             value=name)]
        pid = self.system.pid_for_bundle(bundle)
        if pid != self.nav_pid:
            self.nav, self.nav_pid, self.scroll = "main", pid, 0
        if self.nav == "diagnostics":
            return self._diagnostics()
        title = self.app.name if self.app is not None else bundle
        return [ios_node("StaticText", (16, TOP + 20, self.width - 16, TOP + 50), name=title, label=title, value=title),
                ios_node("Button", (16, TOP + 70, self.width - 16, TOP + 114), name=TITLE, label=TITLE,
                         accessible=True, paint="#e8eefc", on_tap=self._to_diagnostics)]

    def _to_diagnostics(self) -> None:
        self.nav, self.scroll = "diagnostics", 0
        self.reload()

    def reload(self) -> None:
        """``probe.events()``: ``Documents/bgprobe.jsonl`` from the app's data container, as it is now."""
        listing = self.system.container(self.bundle or "") or []
        data = next((f.data for f in listing if f.path == f"Documents/{RING_BUFFER_FILE}"), b"")
        self.events = parse_ring(data)

    def _diagnostics(self) -> list[Node]:
        rows = diagnostic_rows(self.events)
        w = self.width
        label = REFRESH_LABEL(len(rows))
        nodes = [ios_node("StaticText", (12, TOP + 12, w - 12, TOP + 36), name=TITLE, label=TITLE, value=TITLE),
                 ios_node("Button", (12, TOP + 44, w - 12, TOP + 76), name=label, label=label, accessible=True,
                          paint="#e8eefc", on_tap=self.reload)]
        area: Rect = (0, _LIST_TOP, w, self.height - INDICATOR_PT)
        items: list[Node] = []
        y = _LIST_TOP - self.scroll
        for row in rows:
            height = _ROW if row.detail else _ROW_SHORT
            if y + height > _LIST_TOP and y < area[3]:
                texts = [ios_node("StaticText", (12, y + 6, w - 12, y + 22), name=row.head, label=row.head,
                                  value=row.head, screen=area)]
                if row.detail:
                    texts.append(ios_node("StaticText", (12, y + 22, w - 12, y + 38), name=row.detail,
                                          label=row.detail, value=row.detail, screen=area))
                items.append(ios_node("Other", (12, y, w - 12, y + height), screen=area, children=texts))
            y += height
        nodes.append(ios_node("ScrollView", (12, _LIST_TOP, w - 12, area[3]), children=items))
        return nodes

    def _list_height(self) -> int:
        return sum(_ROW if row.detail else _ROW_SHORT for row in diagnostic_rows(self.events))

    # -- location alerts ----------------------------------------------------------------------------
    def _wants_location(self) -> bool:
        return self.app is not None and any(task.kind in ("location", "geofence") for task in self.app.tasks)

    def _prompt_if_asked(self) -> None:
        """The app's JS asks when it comes to the screen: when-in-use first (once per process while
        undetermined), then always (once per install, as iOS shows the upgrade prompt only once)."""
        assert self.bundle is not None
        pid = self.system.pid_for_bundle(self.bundle)
        if self.alert is not None and pid != self.alert_pid:
            self.alert = None
        if self.alert is not None or not self._wants_location():
            return
        status = self.system.location_authorization(self.bundle)
        if status == "not_determined" and pid != self.prompted_pid:
            self.alert, self.alert_pid, self.prompted_pid = "when_in_use", pid, pid
        elif status == "when_in_use" and self.bundle not in self.asked_always:
            self.alert, self.alert_pid = "always", pid
            self.asked_always.add(self.bundle)

    def _alert(self) -> Node:
        name = self.app.name if self.app is not None else ""
        if self.alert == "when_in_use":
            title = t.when_in_use_title(name)
            buttons = [(t.ALLOW_ONCE, "once"), (t.ALLOW_WHILE_USING, "when_in_use"), (t.DONT_ALLOW, "denied")]
        else:
            title = t.always_title(name)
            buttons = [(t.KEEP_WHILE_USING, "keep"), (t.CHANGE_TO_ALWAYS, "always")]
        x1, x2 = 52, self.width - 52
        top = self.height // 2 - 150
        nodes = [ios_node("StaticText", (x1 + 16, top + 16, x2 - 16, top + 76), name=title, label=title, value=title),
                 ios_node("StaticText", (x1 + 16, top + 80, x2 - 16, top + 110), name=t.usage(name),
                          label=t.usage(name), value=t.usage(name))]
        for i, (text, answer) in enumerate(buttons):
            y = top + 130 + i * 45
            nodes.append(ios_node("Button", (x1, y, x2, y + 44), name=text, label=text, accessible=True,
                                  paint="#eef3ff", on_tap=partial(self.answer, answer)))
        bottom = top + 130 + len(buttons) * 45
        return ios_node("Alert", (x1, top, x2, bottom), name=title, label=title, paint="#f8f8f8",
                        children=[ios_node("Other", (x1, top, x2, bottom), children=nodes)])

    def answer(self, answer: str) -> None:
        assert self.bundle is not None
        self.alert = None
        if answer == "keep":
            return
        status = {"once": "when_in_use", "when_in_use": "when_in_use", "denied": "denied", "always": "always"}[answer]
        if answer == "once":
            self.asked_always.add(self.bundle)  # a one-time grant is not upgraded to Always
        self.system.set_location_authorization(self.bundle, status)
        if answer == "when_in_use":
            self._prompt_if_asked()  # the app's requestAlwaysAuthorization follows at once (iOS 13.4+)

    # -- input --------------------------------------------------------------------------------------
    async def tap(self, x: int, y: int) -> None:
        node = hit(self.tree(), x, y)
        if node is not None:
            await run_tap(node)

    async def swipe(self, g: Gesture) -> None:
        up = g.y1 - g.y2
        if g.y1 >= self.height - INDICATOR_PT and up > self.height // 4:
            if self.switcher:
                self.switcher = False
            elif g.hold_s >= HOLD_S or g.duration_s >= 2 * HOLD_S:
                self.system.press_home()
                self.switcher = True
            else:
                self.system.press_home()
            return
        if self.switcher:
            self._swipe_card(g)
            return
        front = self.foreground()
        if front == self.bundle and self.alert is None and self.nav == "diagnostics" and g.y1 >= _LIST_TOP:
            limit = max(0, self._list_height() - (self.height - INDICATOR_PT - _LIST_TOP))
            self.scroll = min(limit, max(0, self.scroll + g.y1 - g.y2))

    def _swipe_card(self, g: Gesture) -> None:
        if g.y1 - g.y2 < self.height // 4 or abs(g.x2 - g.x1) >= g.y1 - g.y2:
            return
        for bundle, (x1, y1, x2, y2) in self.cards():
            if x1 <= g.x1 < x2 and y1 <= g.y1 < y2:
                self.system.user_force_quit(bundle)
                self.recents.remove(bundle)
                return

    def press_home(self) -> None:
        self.switcher = False
        self.system.press_home()

    # -- the driver ---------------------------------------------------------------------------------
    async def start_session(self, caps: dict[str, Any]) -> None:
        self.caps = caps
        await self.commands.start_session(caps)

    async def mobile(self, command: str, args: dict[str, Any], *, relaxed: bool) -> Any:
        return await self.commands.run(command, args)
