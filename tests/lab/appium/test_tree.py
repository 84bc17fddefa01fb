"""Element trees, page sources, XPath and locators, and the diagnostics rows, without a phone."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from harness.lab.appium._errors import WebDriverError
from harness.lab.appium._locators import find
from harness.lab.appium._xpath import XPathError, select
from harness.lab.appium.ui.diagnostics import REFRESH_LABEL, diagnostic_rows, parse_ring
from harness.lab.appium.ui.tree import Node, android_node, document, ios_node, page_source
from harness.ui._diagnostics import parse_detail, parse_head, rows_to_events

PKG = "com.example.courier"
PC = "com.android.permissioncontroller"


def android_screen() -> Node:
    buttons = [android_node("android.widget.Button", (105, y, 975, y + 126), package=PC, rid=f"{PC}:id/{rid}",
                            text=text, on_tap=lambda: None)
               for y, rid, text in ((1386, "permission_allow_foreground_only_button", "While using the app"),
                                    (1533, "permission_allow_one_time_button", "Only this time"),
                                    (1680, "permission_deny_button", "Don\u2019t allow"))]
    panel = android_node("android.widget.LinearLayout", (63, 789, 1017, 1974), package=PC, children=[
        android_node("android.widget.TextView", (126, 999, 954, 1110), package=PC, rid=f"{PC}:id/permission_message",
                     text="Allow Courier to access this device\u2019s location?"), *buttons])
    return android_node("android.widget.FrameLayout", (0, 0, 1080, 2400), package=PC, children=[
        panel, android_node("android.widget.ScrollView", (0, 2000, 1080, 2500), package=PKG, scrollable=True,
                            desc="Background task probe", screen=(0, 0, 1080, 2400))])


def ios_screen() -> Node:
    alert = ios_node("Alert", (52, 276, 341, 541), name="Allow \u201cCourier\u201d to use your location?", children=[
        ios_node("Button", (52, 406, 341, 450), name="Allow Once", label="Allow Once", accessible=True),
        ios_node("Button", (52, 451, 341, 495), name="Allow While Using App", label="Allow While Using App"),
        ios_node("Button", (52, 496, 341, 540), name="Don\u2019t Allow", label="Don\u2019t Allow")])
    window = ios_node("Window", (0, 0, 393, 852), children=[alert])
    return ios_node("Application", (0, 0, 393, 852), name="Courier", label="Courier", children=[window])


def test_uiautomator2_page_source_shape() -> None:
    xml = page_source(android_screen(), 1080, 2400)
    assert xml.startswith("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<hierarchy index=\"0\" "
                          'class="hierarchy" rotation="0" width="1080" height="2400">')
    root = ET.fromstring(xml.split("\n", 1)[1])
    button = root.find(".//android.widget.Button[@text='Only this time']")
    assert button is not None
    assert list(button.attrib) == ["index", "package", "class", "text", "resource-id", "checkable", "checked",
                                   "clickable", "enabled", "focusable", "focused", "long-clickable", "password",
                                   "scrollable", "selected", "bounds", "displayed"]
    assert (button.get("index"), button.get("clickable"), button.get("bounds")) == ("2", "true", "[105,1533][975,1659]")
    scroll = root.find(".//android.widget.ScrollView")
    assert scroll is not None and scroll.get("bounds") == "[0,2000][1080,2400]"  # clipped to the screen
    assert scroll.get("content-desc") == "Background task probe" and scroll.get("scrollable") == "true"


def test_xcuitest_page_source_shape() -> None:
    xml = page_source(ios_screen(), 393, 852)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<XCUIElementTypeApplication '
                          'type="XCUIElementTypeApplication" name="Courier" label="Courier" enabled="true" '
                          'visible="true" accessible="false" x="0" y="0" width="393" height="852" index="0">')
    root = ET.fromstring(xml.split("\n", 1)[1])
    once = root.find(".//XCUIElementTypeButton[@name='Allow Once']")
    assert once is not None and list(once.attrib) == ["type", "name", "label", "enabled", "visible", "accessible",
                                                      "x", "y", "width", "height", "index"]
    assert (once.get("y"), once.get("height"), once.get("accessible")) == ("406", "44", "true")


ANDROID_XPATHS = [
    ("//android.widget.Button", 3),
    ("/hierarchy/android.widget.FrameLayout/android.widget.LinearLayout/android.widget.Button", 3),
    ('//*[@resource-id="com.android.permissioncontroller:id/permission_deny_button"]', 1),
    ("//android.widget.Button[contains(@text, 'time')]", 1),
    ("//android.widget.Button[starts-with(@resource-id, 'com.android.permissioncontroller:id/permission_allow')]", 2),
    ("//android.widget.Button[2]", 1),
    ("(//android.widget.Button)[last()]", 1),
    ("//android.widget.Button[@clickable='true' and not(@text='Only this time')]", 2),
    ("//android.widget.Button[@text='Only this time' or @text='While using the app']", 2),
    ("//android.widget.TextView/..", 1),
    ("//*[@resource-id='a'] | //android.widget.ScrollView", 1),
    ("//android.widget.Button[@index>=2]", 2),
    ("//android.widget.LinearLayout[android.widget.TextView]", 1),
    ("//*[@scrollable='true']", 1),
    ("//android.widget.Button[position()=1]", 1),
    ("//nothing", 0),
]


@pytest.mark.parametrize(("expr", "count"), ANDROID_XPATHS)
def test_xpath_over_the_uiautomator2_tree(expr: str, count: int) -> None:
    assert len(select(document(android_screen(), 1080, 2400), expr)) == count


def test_xpath_order_and_positions() -> None:
    doc = document(android_screen(), 1080, 2400)
    texts = [n.attrs["text"] for n in select(doc, "//android.widget.Button")]
    assert texts == ["While using the app", "Only this time", "Don\u2019t allow"]
    assert select(doc, "(//android.widget.Button)[last()]")[0].attrs["text"] == "Don\u2019t allow"
    assert select(doc, "//android.widget.Button[2]")[0].attrs["text"] == "Only this time"


@pytest.mark.parametrize("expr", ["//android.widget.Button[", "//*[text()='x']", "///", "//a[@b=]", "//a[foo(1)]"])
def test_xpath_it_does_not_read(expr: str) -> None:
    with pytest.raises(XPathError):
        select(document(android_screen(), 1080, 2400), expr)


@pytest.mark.parametrize(("using", "value", "platform", "expected"), [
    ("id", "com.android.permissioncontroller:id/permission_deny_button", "android", ["Don\u2019t allow"]),
    ("accessibility id", "Background task probe", "android", [""]),
    ("-android uiautomator", 'new UiSelector().text("Only this time")', "android", ["Only this time"]),
    ("-android uiautomator", 'new UiSelector().className("android.widget.Button").textContains("a")', "android",
     ["While using the app", "Don\u2019t allow"]),
    ("-android uiautomator", f'new UiSelector().resourceId("{PC}:id/permission_deny_button")', "android",
     ["Don\u2019t allow"]),
    ("class name", "android.widget.Button", "android", ["While using the app", "Only this time", "Don\u2019t allow"]),
    ("accessibility id", "Allow Once", "ios", ["Allow Once"]),
    ("id", "Don\u2019t Allow", "ios", ["Don\u2019t Allow"]),
    ("-ios predicate string", "type == 'XCUIElementTypeButton' AND label BEGINSWITH 'Allow'", "ios",
     ["Allow Once", "Allow While Using App"]),
    ("xpath", "//XCUIElementTypeAlert//XCUIElementTypeButton[@name='Allow Once']", "ios", ["Allow Once"]),
])
def test_locators(using: str, value: str, platform: str, expected: list[str]) -> None:
    screen = android_screen() if platform == "android" else ios_screen()
    doc = document(screen, 1080, 2400)
    found = find(doc, using, value, platform=platform, app_package=PKG)
    key = "text" if platform == "android" else "label"
    assert [n.attrs.get(key, "") for n in found] == expected


def test_a_bare_id_means_the_apps_package() -> None:
    screen = android_node("android.widget.FrameLayout", (0, 0, 1080, 2400), package=PKG, children=[
        android_node("android.widget.Button", (0, 0, 10, 10), package=PKG, rid=f"{PKG}:id/start", text="Start")])
    assert [n.attrs["text"] for n in find(document(screen, 1080, 2400), "id", "start", platform="android",
                                          app_package=PKG)] == ["Start"]


def test_unknown_strategies_are_invalid_selectors() -> None:
    doc = document(ios_screen(), 393, 852)
    for using, value in (("-android uiautomator", "new UiSelector().text(\"x\")"), ("css selector", "a"),
                         ("xpath", "//[")):
        with pytest.raises(WebDriverError) as err:
            find(doc, using, value, platform="ios", app_package=None)
        assert err.value.error == "invalid selector"


RING = (b'{"event":"task_start","task":"sync-orders","run":3,"trigger":"workmanager","time":1732781702311}\n'
        b'not json\n'
        b'{"event":"task_end","task":"sync-orders","run":3,"result":"success","duration_ms":840,'
        b'"time":1732781703151}\n'
        b'{"event":"wake","reason":"push","note":"a \\"quoted\\" value","time":1732781800000}\n')


def test_diagnostic_rows_are_what_rows_ts_makes() -> None:
    rows = diagnostic_rows(parse_ring(RING))
    assert [r.head for r in rows] == ["2024-11-28T08:16:40.000Z  wake  ",
                                      "2024-11-28T08:15:03.151Z  task_end  sync-orders #3",
                                      "2024-11-28T08:15:02.311Z  task_start  sync-orders #3"]
    assert rows[0].detail == 'reason=push note="a \\"quoted\\" value"'
    assert rows[1].detail == "result=success duration_ms=840"
    assert REFRESH_LABEL(len(rows)) == "Refresh (3 events)"


def test_the_harness_reads_the_rows_back_into_the_events() -> None:
    texts = [t for row in diagnostic_rows(parse_ring(RING)) for t in (row.head, row.detail) if t]
    events = rows_to_events(texts)
    assert events[0] == {"time": "2024-11-28T08:16:40.000Z", "event": "wake", "task": "", "reason": "push",
                         "note": 'a "quoted" value'}
    assert events[1] == {"time": "2024-11-28T08:15:03.151Z", "event": "task_end", "task": "sync-orders", "run": "3",
                         "result": "success", "duration_ms": "840"}
    assert parse_head("not a head") is None
    assert parse_detail('a=1 b="x y"') == {"a": "1", "b": "x y"}
