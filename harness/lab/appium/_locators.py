"""Element-finding strategies as the UiAutomator2 and XCUITest drivers resolve them.

- ``accessibility id``: Android ``content-desc``; iOS ``name`` (the accessibility identifier, else the label).
- ``id``: Android ``resource-id``, with ``<appPackage>:id/`` put in front of a bare id (UiAutomator2's
  ``By.id`` does this for the app under test); iOS ``name``, as XCUITest treats ``id`` like accessibility id.
- ``class name``: the element's class (``android.widget.Button``, ``XCUIElementTypeButton``).
- ``xpath``: ``_xpath.select`` over the page source.
- ``-android uiautomator``: ``new UiSelector()`` chains of ``text``, ``textContains``, ``textStartsWith``,
  ``description``, ``descriptionContains``, ``resourceId``, ``className``, ``clickable``, ``index``, ``instance``.
- ``-ios predicate string``: ``attr ==|!=|CONTAINS|BEGINSWITH|ENDSWITH 'value'`` joined by ``AND``/``OR``.
An unknown strategy is ``invalid selector`` "Locator Strategy '…' is not supported for this session",
as ``@appium/base-driver`` ``helpers.validateLocatorStrategy`` answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from harness.lab.appium._errors import WebDriverError
from harness.lab.appium._xpath import XPathError, select
from harness.lab.appium.ui.tree import Node

__all__ = ["find"]

_UISELECTOR = re.compile(r"\.?(\w+)\((?:\"((?:[^\"\\]|\\.)*)\"|(\d+|true|false))\)")
_PREDICATE = re.compile(r"\s*(\w+)\s*(==|!=|CONTAINS\[c\]|CONTAINS|BEGINSWITH|ENDSWITH|LIKE)\s*(['\"])(.*?)\3\s*",
                        re.IGNORECASE)


def find(scope: Node, using: str, value: str, *, platform: str, app_package: str | None) -> list[Node]:
    """Every element under ``scope`` (the document for a page search) matching the locator, in order."""
    pool = [n for n in scope.walk() if n is not scope and n.tag not in ("#document", "hierarchy")]
    if using == "xpath":
        try:
            found = select(scope, value)  # from an element, the element is XPath's context node
        except XPathError as exc:
            raise WebDriverError("invalid selector", f"Invalid XPath expression {value!r}: {exc}") from exc
        return [n for n in found if n.tag not in ("#document", "hierarchy")]
    match = _matcher(using, value, platform, app_package)
    return [n for n in pool if match(n)]


def _matcher(using: str, value: str, platform: str, app_package: str | None) -> Callable[[Node], bool]:
    if using == "accessibility id":
        attr = "content-desc" if platform == "android" else "name"
        return lambda n: n.attrs.get(attr) == value
    if using == "id":
        if platform == "ios":
            return lambda n: n.attrs.get("name") == value
        full = value if ":id/" in value or app_package is None else f"{app_package}:id/{value}"
        return lambda n: n.attrs.get("resource-id") in (value, full)
    if using == "class name":
        return lambda n: n.tag == value
    if using == "-android uiautomator" and platform == "android":
        return _uiselector(value)
    if using == "-ios predicate string" and platform == "ios":
        return _predicate(value)
    raise WebDriverError("invalid selector", f"Locator Strategy '{using}' is not supported for this session")


def _uiselector(text: str) -> Callable[[Node], bool]:
    body = text.strip().removeprefix("new ").removeprefix("UiSelector()")
    tests: list[Callable[[Node], bool]] = []
    pos = 0
    for m in _UISELECTOR.finditer(body):
        if body[pos:m.start()].strip():
            break
        pos = m.end()
        tests.append(_selector_test(m.group(1), m.group(2) if m.group(2) is not None else m.group(3)))
    if not text.strip().startswith(("new UiSelector()", "UiSelector()")) or body[pos:].strip(" ;"):
        raise WebDriverError("invalid selector", f"Could not parse UiSelector argument: {text!r}")
    return lambda n: all(t(n) for t in tests)


def _selector_test(method: str, arg: str) -> Callable[[Node], bool]:
    attr = {"text": "text", "textContains": "text", "textStartsWith": "text", "description": "content-desc",
            "descriptionContains": "content-desc", "resourceId": "resource-id", "className": "class",
            "clickable": "clickable", "checked": "checked", "enabled": "enabled", "index": "index"}.get(method)
    if attr is None:
        raise WebDriverError("invalid selector", f"UiSelector method {method}() is not supported by the lab")
    if method.endswith("Contains"):
        return lambda n: arg in (n.attribute(attr) or "")
    if method.endswith("StartsWith"):
        return lambda n: (n.attribute(attr) or "").startswith(arg)
    return lambda n: n.attribute(attr) == arg


def _predicate(text: str) -> Callable[[Node], bool]:
    clauses = re.split(r"\s+(AND|OR)\s+", text.strip(), flags=re.IGNORECASE)
    tests: list[Callable[[Node], bool]] = []
    joins: list[str] = []
    for i, clause in enumerate(clauses):
        if i % 2:
            joins.append(clause.upper())
            continue
        m = _PREDICATE.fullmatch(clause)
        if m is None:
            raise WebDriverError("invalid selector", f"Invalid predicate {text!r}")
        tests.append(_predicate_test(m.group(1), m.group(2).upper(), m.group(4)))

    def match(node: Node) -> bool:
        result = tests[0](node)
        for join, test in zip(joins, tests[1:], strict=True):
            result = (result and test(node)) if join == "AND" else (result or test(node))
        return result

    return match


def _predicate_test(attr: str, op: str, value: str) -> Callable[[Node], bool]:
    def get(node: Node) -> str:
        return node.attribute("type" if attr == "elementType" else attr) or ""

    ops: dict[str, Callable[[str], bool]] = {
        "==": lambda v: v == value, "!=": lambda v: v != value, "CONTAINS": lambda v: value in v,
        "CONTAINS[C]": lambda v: value.lower() in v.lower(), "BEGINSWITH": lambda v: v.startswith(value),
        "ENDSWITH": lambda v: v.endswith(value), "LIKE": lambda v: re.fullmatch(
            re.escape(value).replace(r"\*", ".*").replace(r"\?", "."), v) is not None,
    }
    test = ops[op]
    return lambda n: test(get(n))
