"""The screens of a virtual Android phone as UiAutomator2 sees them, and what touches and keys do there.

The screen is derived from the OS model each time it is read (``dev.activity``: the top app, recents
open or not; the package service's grants; the app's ring buffer), so it never disagrees with what adb
shows. What only the UI knows is kept here: the app's navigation (main / diagnostics), the list scroll,
and the permission prompts the modelled app raises.

Input goes where it goes on a phone: keys through ``dev.key`` (the same hook as ``input keyevent``), a
swipe on the front card in recents through ``dev.swipe`` (the hook ``input swipe`` drives; the OEM policy
in the activity model decides what the dismissal does — MIUI kills with ``OneKeyClean``, a Pixel removes
the task), a swipe on an older card through ``activity.clear_recents`` (the same policy), a tap on an icon
through ``activity.launch`` (the launcher's start). Permission answers go through ``pm grant``/``pm revoke``
in the phone's shell and ``apps.grant_background_location``, as PermissionController changes the grants.

Simplification: the permission dialog and the settings page are drawn over the app without pausing its
activity in the model (on a phone they are activities of PermissionController in the app's task).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from harness.lab.android.os import activity, apps
from harness.lab.appium._actions import Gesture
from harness.lab.appium.ui import android_texts as t
from harness.lab.appium.ui.android_cmds import AndroidCommands
from harness.lab.appium.ui.base import hit, run_tap
from harness.lab.appium.ui.diagnostics import REFRESH_LABEL, TITLE, diagnostic_rows, parse_ring
from harness.lab.appium.ui.tree import Node, Rect, android_node
from harness.lab.clock import Clock

if TYPE_CHECKING:
    from harness.config import AppConfig
    from harness.lab.android.device import AndroidDevice

__all__ = ["AndroidPhoneUI"]

W, H = 1080, 2400  # `wm size`: Physical size: 1080x2400
TOP, BOTTOM = 126, 2274  # under the status bar, above the navigation bar
SCREEN: Rect = (0, 0, W, H)
KEY_HOME, KEY_BACK = 3, 4
SWIPE_PX = 300  # the activity model's dismissal threshold (SWIPE_DISMISS_PX)
_ROW, _ROW_SHORT, _LIST_TOP = 116, 74, 347


class AndroidPhoneUI:
    platform = "android"
    scale = 1.0
    width, height = W, H

    @property
    def clock(self) -> Clock:
        return self.dev.clock

    def __init__(self, dev: AndroidDevice, app: AppConfig | None, serial: str) -> None:
        self.dev = dev
        self.app = app
        self.udid = serial
        self.name = dev.name
        self.package = app.android_package if app is not None else None
        self.caps: dict[str, Any] = {}
        self.launcher = t.LAUNCHERS.get(dev.ident.oem, t.DEFAULT_LAUNCHER)
        self.overlay: str | None = None  # "dialog" | "settings": PermissionController over the app
        self.overlay_pid: int | None = None
        self.prompted_pid: int | None = None
        self.denials = 0
        self.nav = "main"  # the RN app's route; a new process starts at main
        self.nav_pid: int | None = None
        self.scroll = 0
        self.events: list[dict[str, object]] = []
        self.commands = AndroidCommands(self)

    def reachable(self) -> bool:
        return True  # the lab's Android phones stay on their adb transport

    # -- what the screen shows ----------------------------------------------------------------------
    @property
    def am(self) -> activity.ActivityManager:
        return activity.manager(self.dev)

    def label(self, package: str) -> str:
        if package == self.package and self.app is not None:
            return self.app.name
        return t.SYSTEM_LABELS.get(package, package)

    def tree(self) -> Node:
        am = self.am
        if am.recents_open:
            return self._recents()
        top = am.top
        if top is not None and top == self.package:
            self._prompt_if_asked()
            if self.overlay == "dialog":
                return self._dialog()
            if self.overlay == "settings":
                return self._settings_page()
            return self._app()
        if top is not None:
            return self._frame(top, [android_node("android.widget.TextView", (42, 168, 1038, 252), package=top,
                                                  text=self.label(top))])
        return self._home()

    def device_info(self) -> dict[str, Any]:
        props = self.dev.props
        return {"deviceName": self.udid, "deviceUDID": self.udid, "platformVersion": self.dev.ident.os_version,
                "deviceManufacturer": props.get("ro.product.manufacturer", ""),
                "deviceModel": props.get("ro.product.model", ""), "deviceApiLevel": self.dev.sdk,
                "deviceScreenSize": f"{W}x{H}", "deviceScreenDensity": int(props.get("ro.sf.lcd_density", "420"))}

    def _frame(self, package: str, content: list[Node], paint: str = "#ffffff") -> Node:
        inner = android_node("android.widget.FrameLayout", SCREEN, package=package, rid="android:id/content",
                             children=content)
        return android_node("android.widget.FrameLayout", SCREEN, package=package, children=[
            android_node("android.widget.LinearLayout", SCREEN, package=package, children=[inner])], paint=paint)

    def _home(self) -> Node:
        icons: list[Node] = []
        for i, pkg in enumerate(p for p in (self.package, *t.SYSTEM_LABELS) if p and self.dev.packages.get(p)):
            x, y = 60 + (i % 4) * 255, 1500 + (i // 4) * 300
            icons.append(android_node("android.widget.TextView", (x, y, x + 210, y + 260), package=self.launcher,
                                      text=self.label(pkg), desc=self.label(pkg), paint="#d6e4ff",
                                      on_tap=partial(self._open, pkg)))
        workspace = android_node("android.view.ViewGroup", (0, TOP, W, BOTTOM), package=self.launcher,
                                 rid=t.rid("workspace", self.launcher), children=icons)
        return android_node("android.widget.FrameLayout", SCREEN, package=self.launcher, paint="#203040",
                            rid=t.rid("launcher", self.launcher), children=[workspace])

    def _open(self, package: str) -> None:
        activity.launch(self.dev, package)

    # -- recents ------------------------------------------------------------------------------------
    def cards(self) -> list[tuple[str, Rect]]:
        """Task cards on screen: the most recent centred, the one before it peeking in from the left."""
        shown = self.am.recents[:2]
        return [(pkg, (216 - i * 732, 480, 864 - i * 732, 1920)) for i, pkg in enumerate(shown)]

    def _recents(self) -> Node:
        children: list[Node] = []
        for pkg, rect in self.cards():
            label = self.label(pkg)
            snapshot = android_node("android.widget.ImageView", rect, package=self.launcher, screen=SCREEN,
                                    rid=t.rid("snapshot", self.launcher))
            children.append(android_node("android.widget.FrameLayout", rect, package=self.launcher, desc=label,
                                         screen=SCREEN, children=[snapshot], paint="#f4f4f4",
                                         on_tap=partial(self._open, pkg)))
        if not children:
            children.append(android_node("android.widget.TextView", (290, 1150, 790, 1250), package=self.launcher,
                                         text=t.NO_RECENTS))
        panel = android_node("android.view.ViewGroup", SCREEN, package=self.launcher,
                             rid=t.rid("overview_panel", self.launcher), children=children)
        return android_node("android.widget.FrameLayout", SCREEN, package=self.launcher, paint="#3a3a3a",
                            children=[panel], on_tap=lambda: self.dev.key(KEY_HOME))

    # -- the app under test (React Native: Text → TextView, Pressable → clickable ViewGroup) ------------
    def _app(self) -> Node:
        assert self.package is not None
        pid = self.am.pid_of(self.package)
        if pid != self.nav_pid:
            self.nav, self.nav_pid, self.scroll = "main", pid, 0
        pkg = self.package
        if self.nav == "diagnostics":
            content = self._diagnostics(pkg)
        else:
            title = self.app.name if self.app is not None else pkg
            button = android_node("android.view.ViewGroup", (42, 294, 1038, 420), package=pkg, desc=TITLE,
                                  paint="#e8eefc", on_tap=self._to_diagnostics, children=[
                                      android_node("android.widget.TextView", (84, 336, 996, 378), package=pkg,
                                                   text=TITLE)])
            content = [android_node("android.widget.TextView", (42, 168, 1038, 252), package=pkg, text=title),
                       button]
        screen = android_node("android.view.ViewGroup", (0, TOP, W, BOTTOM), package=pkg, children=content)
        return self._frame(pkg, [android_node("android.widget.FrameLayout", SCREEN, package=pkg, children=[screen])])

    def _to_diagnostics(self) -> None:
        self.nav, self.scroll = "diagnostics", 0
        self.reload()

    def reload(self) -> None:
        """The screen's ``probe.events()``: the ring buffer file as it is now."""
        path = f"/data/user/0/{self.package}/files/bgprobe.jsonl"
        self.events = parse_ring(self.dev.fs.read(path)) if self.dev.fs.get(path) is not None else []

    def _diagnostics(self, pkg: str) -> list[Node]:
        rows = diagnostic_rows(self.events)
        refresh = android_node("android.view.ViewGroup", (32, 242, 1048, 326), package=pkg, paint="#e8eefc",
                               on_tap=self.reload, children=[android_node(
                                   "android.widget.TextView", (32, 263, 1048, 305), package=pkg,
                                   text=REFRESH_LABEL(len(rows)))])
        items: list[Node] = []
        y = _LIST_TOP - self.scroll
        for row in rows:
            height = _ROW if row.detail else _ROW_SHORT
            if y + height > _LIST_TOP and y < BOTTOM:
                texts = [android_node("android.widget.TextView", (32, y + 16, 1048, y + 58), package=pkg,
                                      text=row.head, screen=(0, _LIST_TOP, W, BOTTOM))]
                if row.detail:
                    texts.append(android_node("android.widget.TextView", (32, y + 58, 1048, y + 100), package=pkg,
                                              text=row.detail, screen=(0, _LIST_TOP, W, BOTTOM)))
                items.append(android_node("android.view.ViewGroup", (32, y, 1048, y + height), package=pkg,
                                          screen=(0, _LIST_TOP, W, BOTTOM), children=texts))
            y += height
        listing = android_node("android.widget.ScrollView", (32, _LIST_TOP, 1048, BOTTOM), package=pkg,
                               scrollable=True, children=items)
        return [android_node("android.widget.TextView", (32, 158, 1048, 221), package=pkg, text=TITLE), refresh,
                listing]

    def _list_height(self) -> int:
        return sum(_ROW if row.detail else _ROW_SHORT for row in diagnostic_rows(self.events))

    # -- permission prompts -------------------------------------------------------------------------
    def _wants_location(self) -> bool:
        return self.app is not None and any(task.kind in ("location", "geofence") for task in self.app.tasks)

    def granted(self, permission: str) -> bool:
        return apps.app_of(self.dev, self.package).granted(permission)

    def _prompt_if_asked(self) -> None:
        """The app's JS asks for location when it comes to the screen without it (expo-location's
        ``requestForegroundPermissionsAsync``), once per process; two denials stop the dialog for good
        (Android 11+: "the user doesn't see the system permissions dialog if your app requests it again")."""
        assert self.package is not None
        pid = self.am.pid_of(self.package)
        if self.overlay is not None and pid != self.overlay_pid:
            self.overlay = None
        if (self.overlay is None and pid is not None and pid != self.prompted_pid and self.denials < 2
                and self._wants_location() and self.am.in_foreground(self.package) and not self.granted(t.FINE)):
            self.overlay, self.overlay_pid, self.prompted_pid = "dialog", pid, pid

    def _dialog(self) -> Node:
        pkg, name = t.CONTROLLER, self.app.name if self.app is not None else ""

        def button(spec: tuple[str, str], y: int, answer: str) -> Node:
            return android_node("android.widget.Button", (105, y, 975, y + 126), package=pkg, rid=t.rid(spec[0]),
                                text=spec[1], paint="#dfe7fb", on_tap=partial(self.answer_dialog, answer))

        accuracy = [android_node("android.widget.RadioButton", (147 + i * 400, 1130, 533 + i * 400, 1300),
                                 package=pkg, rid=t.rid(f"permission_location_accuracy_radio_{kind}"), text=label,
                                 checkable=True, checked=i == 0)
                    for i, (kind, label) in enumerate((("fine", "Precise"), ("coarse", "Approximate")))]
        panel = android_node("android.widget.LinearLayout", (63, 789, 1017, 1974), package=pkg,
                             rid=t.rid("grant_dialog"), paint="#ffffff", children=[
                                 android_node("android.widget.ImageView", (477, 852, 603, 978), package=pkg,
                                              rid=t.rid("permission_icon")),
                                 android_node("android.widget.TextView", (126, 999, 954, 1110), package=pkg,
                                              rid=t.rid("permission_message"), text=t.location_message(name)),
                                 *accuracy,
                                 button(t.BUTTON_FOREGROUND, 1386, "foreground"),
                                 button(t.BUTTON_ONE_TIME, 1533, "one_time"),
                                 button(t.BUTTON_DENY, 1680, "deny")])
        return android_node("android.widget.FrameLayout", SCREEN, package=pkg, paint="#7f7f7f", children=[
            android_node("android.widget.FrameLayout", SCREEN, package=pkg, rid="android:id/content",
                         children=[panel])])

    async def answer_dialog(self, answer: str) -> None:
        assert self.package is not None
        if answer == "deny":
            self.denials += 1
            self.overlay = None
            return
        await self.commands.shell(f"pm grant {self.package} {t.FINE}")
        # After "While using the app" the app asks for background location, which on Android 11+ opens the
        # settings page instead of a dialog; a one-time grant cannot be upgraded.
        wants_background = answer == "foreground" and not self.granted(t.BACKGROUND)
        self.overlay = "settings" if wants_background else None
        if self.overlay is None:
            apps.start_location_updates(self.dev, self.package)

    def _settings_page(self) -> Node:
        pkg = t.CONTROLLER
        choice = ("always" if self.granted(t.BACKGROUND) else "foreground") if self.granted(t.FINE) else "deny"
        radios = [(t.RADIO_ALWAYS, "always"), (t.RADIO_FOREGROUND, "foreground"), (t.RADIO_ASK, "ask"),
                  (t.RADIO_DENY, "deny")]
        items = [android_node("android.widget.RadioButton", (63, 903 + i * 168, 1017, 1050 + i * 168), package=pkg,
                              rid=t.rid(spec[0]), text=spec[1], checkable=True, checked=choice == value,
                              on_tap=partial(self.choose, value))
                 for i, (spec, value) in enumerate(radios)]
        content = [
            android_node("android.widget.ImageButton", (0, 126, 147, 273), package=pkg, desc=t.BACK,
                         on_tap=self.back_from_settings),
            android_node("android.widget.TextView", (63, 315, 1017, 420), package=pkg, text=t.LOCATION_PERMISSION),
            android_node("android.widget.TextView", (63, 504, 1017, 588), package=pkg,
                         rid=t.rid("entity_header_title"), text=self.app.name if self.app is not None else ""),
            android_node("android.widget.TextView", (63, 798, 1017, 861), package=pkg, text=t.LOCATION_ACCESS),
            *items,
        ]
        return self._frame(pkg, content, paint="#f6f8fc")

    async def choose(self, value: str) -> None:
        """A radio button on the "Location permission" page; the grant changes at once, as on a phone."""
        assert self.package is not None
        if value == "always":
            apps.grant_background_location(self.dev, self.package)
            return
        if value == "foreground":
            await self.commands.shell(f"pm grant {self.package} {t.FINE}")
        else:
            await self.commands.shell(f"pm revoke {self.package} {t.FINE}")
        await self.commands.shell(f"pm revoke {self.package} {t.BACKGROUND}")

    def back_from_settings(self) -> None:
        """Back to the app: ``requestBackgroundPermissionsAsync`` resolves and the JS starts location updates
        (``apps.start_location_updates`` starts them only with both grants and the app on screen)."""
        self.overlay = None
        if self.package is not None:
            apps.start_location_updates(self.dev, self.package)

    # -- input --------------------------------------------------------------------------------------
    async def tap(self, x: int, y: int) -> None:
        node = hit(self.tree(), x, y)
        if node is not None:
            await run_tap(node)

    def key(self, code: int) -> None:
        """A key press as UiAutomator2 injects it: BACK goes to the top window first."""
        if code == KEY_BACK and self.am.top == self.package and not self.am.recents_open:
            if self.overlay == "settings":
                self.back_from_settings()
                return
            if self.overlay == "dialog":
                self.overlay = None  # dismissing the dialog denies, without counting towards "don't ask again"
                return
            if self.nav == "diagnostics":
                self.nav = "main"
                return
        self.dev.key(code)

    async def swipe(self, g: Gesture) -> None:
        if self.am.recents_open:
            self._swipe_card(g)
            return
        if self.am.top == self.package and self.overlay is None and self.nav == "diagnostics" \
                and _LIST_TOP <= g.y1 < BOTTOM and abs(g.y2 - g.y1) > abs(g.x2 - g.x1):
            limit = max(0, self._list_height() - (BOTTOM - _LIST_TOP))
            self.scroll = min(limit, max(0, self.scroll + g.y1 - g.y2))
            return
        self.dev.swipe(g.x1, g.y1, g.x2, g.y2)  # what `input swipe` does with the same points

    def _swipe_card(self, g: Gesture) -> None:
        dy = g.y1 - g.y2
        if dy < SWIPE_PX or abs(g.x2 - g.x1) >= dy:
            return
        for i, (pkg, rect) in enumerate(self.cards()):
            if rect[0] <= g.x1 < rect[2] and rect[1] <= g.y1 < rect[3]:
                if i == 0:
                    self.dev.swipe(g.x1, g.y1, g.x2, g.y2)  # the front card: the model's own recents fling
                else:
                    activity.clear_recents(self.dev, pkg)
                return

    # -- the driver ---------------------------------------------------------------------------------
    async def start_session(self, caps: dict[str, Any]) -> None:
        self.caps = caps
        await self.commands.start_session(caps)

    async def mobile(self, command: str, args: dict[str, Any], *, relaxed: bool) -> Any:
        return await self.commands.run(command, args, relaxed=relaxed)
