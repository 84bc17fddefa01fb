"""The element tree a screen is made of, and the two page-source shapes Appium clients read.

UiAutomator2 (``appium-uiautomator2-server`` ``AccessibilityNodeInfoDumper``) writes
``<hierarchy index="0" class="hierarchy" rotation="0" width=… height=…>`` with one element per node,
its tag the Java class, attributes ``index package class text [resource-id] [content-desc] checkable
checked clickable enabled focusable focused long-clickable password scrollable selected bounds
displayed``, bounds as ``[x1,y1][x2,y2]`` in pixels. WebDriverAgent (``FBXPath``) writes
``XCUIElementType…`` elements with ``type name label value enabled visible accessible x y width height
index`` in points. Both omit what is off screen (UiAutomator2's ``allowInvisibleElements`` is false by
default), so builders clip to the screen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

__all__ = ["Node", "Rect", "TapHandler", "android_node", "document", "ios_node", "page_source"]

Rect = tuple[int, int, int, int]  # x1, y1, x2, y2 in screen units (px on Android, points on iOS)
TapHandler = Callable[[], Awaitable[None] | None]
_FLAGS = ("checkable", "checked", "clickable", "enabled", "focusable", "focused", "long-clickable", "password",
          "scrollable", "selected")


@dataclass(eq=False)
class Node:
    tag: str
    platform: str  # "android" | "ios"
    attrs: dict[str, str]  # serialized attributes in order, without index and geometry
    bounds: Rect
    children: list[Node] = field(default_factory=list)
    on_tap: TapHandler | None = None
    paint: str | None = None  # screenshot fill colour (not part of the page source)
    parent: Node | None = field(default=None, repr=False)
    index: int = 0
    key: str = ""  # stable identity of the element across rebuilds of the screen

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def attribute(self, name: str) -> str | None:
        """What ``GET /element/:id/attribute/:name`` and XPath ``@name`` read."""
        if name in self.attrs:
            return self.attrs[name]
        x1, y1, x2, y2 = self.bounds
        if name == "index":
            return str(self.index)
        if self.platform == "android":
            computed = {"bounds": f"[{x1},{y1}][{x2},{y2}]", "displayed": "true"}
        else:
            computed = {"x": str(x1), "y": str(y1), "width": str(x2 - x1), "height": str(y2 - y1)}
        return computed.get(name)

    @property
    def text(self) -> str:
        """``GET /element/:id/text``: UiAutomator2's text (content-desc when empty), XCUITest's label/value."""
        if self.platform == "android":
            return self.attrs.get("text") or self.attrs.get("content-desc", "")
        return self.attrs.get("label") or self.attrs.get("value") or ""

    @property
    def center(self) -> tuple[int, int]:
        x1, y1, x2, y2 = self.bounds
        return (x1 + x2) // 2, (y1 + y2) // 2

    def contains(self, x: int, y: int) -> bool:
        x1, y1, x2, y2 = self.bounds
        return x1 <= x < x2 and y1 <= y < y2

    def finish(self) -> Node:
        """Set parents, indexes and keys for the tree under this root; returns the root."""
        self._number(None, 0, "")
        return self

    def _number(self, parent: Node | None, index: int, prefix: str) -> None:
        self.parent, self.index = parent, index
        ident = self.attrs.get("resource-id") or self.attrs.get("content-desc") or self.attrs.get("name") or ""
        self.key = f"{prefix}/{self.tag}[{index}]{ident}"
        for i, child in enumerate(self.children):
            child._number(self, i, self.key)


def _clip(bounds: Rect, screen: Rect | None) -> Rect:
    if screen is None:
        return bounds
    x1, y1, x2, y2 = bounds
    sx1, sy1, sx2, sy2 = screen
    return max(x1, sx1), max(y1, sy1), min(x2, sx2), min(y2, sy2)


def android_node(cls: str, bounds: Rect, *, package: str, text: str = "", rid: str = "", desc: str = "",
                 children: list[Node] | None = None, on_tap: TapHandler | None = None, paint: str | None = None,
                 screen: Rect | None = None, **flags: bool) -> Node:
    """A UiAutomator2 node; ``flags`` use underscores (``long_clickable``); ``clickable`` follows ``on_tap``."""
    attrs = {"package": package, "class": cls, "text": text}
    if rid:
        attrs["resource-id"] = rid
    if desc:
        attrs["content-desc"] = desc
    values = {name: flags.get(name.replace("-", "_"), False) for name in _FLAGS}
    values["enabled"] = flags.get("enabled", True)
    values["clickable"] = values["clickable"] or on_tap is not None
    values["focusable"] = values["focusable"] or values["clickable"]
    attrs.update({name: "true" if value else "false" for name, value in values.items()})
    return Node(cls, "android", attrs, _clip(bounds, screen), children or [], on_tap, paint)


def ios_node(kind: str, bounds: Rect, *, name: str | None = None, label: str | None = None,
             value: str | None = None, enabled: bool = True, accessible: bool = False,
             children: list[Node] | None = None, on_tap: TapHandler | None = None, paint: str | None = None,
             screen: Rect | None = None) -> Node:
    """A WebDriverAgent node of ``XCUIElementType<kind>``; bounds are x1, y1, x2, y2 in points."""
    tag = f"XCUIElementType{kind}"
    attrs = {"type": tag}
    for key, item in (("name", name), ("label", label), ("value", value)):
        if item is not None:
            attrs[key] = item
    attrs.update(enabled="true" if enabled else "false", visible="true", accessible="true" if accessible else "false")
    return Node(tag, "ios", attrs, _clip(bounds, screen), children or [], on_tap, paint)


def document(root: Node, width: int, height: int) -> Node:
    """The XPath document over a screen: ``/hierarchy/…`` on Android, ``/XCUIElementTypeApplication/…`` on iOS.
    Numbers the whole tree (parents, indexes, keys)."""
    top = root
    if root.platform == "android":
        attrs = {"class": "hierarchy", "rotation": "0", "width": str(width), "height": str(height)}
        top = Node("hierarchy", "android", attrs, (0, 0, width, height), [root])
    return Node("#document", root.platform, {}, (0, 0, width, height), [top]).finish()


def page_source(root: Node, width: int, height: int) -> str:
    """``GET /source``: the UiAutomator2 hierarchy or WebDriverAgent's tree for the screen under ``root``."""
    document(root, width, height)  # numbers the nodes (index attributes)
    lines: list[str] = []
    if root.platform == "android":
        lines.append("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>")
        lines.append(f'<hierarchy index="0" class="hierarchy" rotation="0" width="{width}" height="{height}">')
        _emit(root, 1, lines)
        lines.append("</hierarchy>")
    else:
        lines.append('<?xml version="1.0" encoding="UTF-8"?>')
        _emit(root, 0, lines)
    return "\n".join(lines)


def _emit(node: Node, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if node.platform == "android":
        names = ["index", *node.attrs, "bounds", "displayed"]
    else:
        names = [*node.attrs, "x", "y", "width", "height", "index"]
    attrs = " ".join(f"{name}={quoteattr(node.attribute(name) or '')}" for name in names)
    if not node.children:
        lines.append(f"{pad}<{node.tag} {attrs} />")
        return
    lines.append(f"{pad}<{node.tag} {attrs}>")
    for child in node.children:
        _emit(child, depth + 1, lines)
    lines.append(f"{pad}</{node.tag}>")
