"""Reading the probe's diagnostics screen back into events. Pure.

The screen (``probe/src/diagnostics.tsx`` over ``rows.ts``) shows one row per ring-buffer event, newest
first: a head ``<ISO time>  <event>  <task>[ #<run>]`` (two spaces between the parts) and, when the event
has more fields, a detail line of ``key=value`` pairs quoted like the probe line (``format.ts``). The
harness reads the texts and turns each row back into ``{"time", "event", "task", "run", **fields}``.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

__all__ = ["parse_detail", "parse_head", "rows_from_source", "rows_to_events"]

_HEAD = re.compile(r"^(?P<time>\S+)  (?P<event>\S+)  (?P<task>.*?)(?: #(?P<run>\S+))?$")
_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
_UNESCAPE = re.compile(r"\\(.)")


def parse_head(text: str) -> dict[str, str] | None:
    m = _HEAD.match(text)
    if m is None:
        return None
    out = {"time": m["time"], "event": m["event"], "task": m["task"]}
    if m["run"] is not None:
        out["run"] = m["run"]
    return out


def parse_detail(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for m in _PAIR.finditer(text):
        value = m.group(2)
        if value.startswith('"') and len(value) >= 2:
            value = _UNESCAPE.sub(r"\1", value[1:-1])
        fields[m.group(1)] = value
    return fields


def rows_to_events(texts: list[str]) -> list[dict[str, str]]:
    """The list's texts in screen order (a head, then its detail if any) → events, newest first."""
    events: list[dict[str, str]] = []
    for text in texts:
        head = parse_head(text)
        if head is not None:
            events.append(head)
        elif events:
            events[-1].update({k: v for k, v in parse_detail(text).items() if k not in events[-1]})
    return events


def rows_from_source(xml: str, platform: str) -> tuple[list[list[str]], str | None]:
    """The diagnostics list's rows (each a list of its texts) in a page source, and the Refresh button's
    label; rows cut by the list's edge lose their head and are dropped by ``rows_to_events``' caller."""
    root = ElementTree.fromstring(xml.encode("utf-8"))
    scroll_tag, text_attr = (("android.widget.ScrollView", "text") if platform == "android"
                             else ("XCUIElementTypeScrollView", "label"))
    refresh = next((el.get(text_attr) for el in root.iter() if (el.get(text_attr) or "").startswith("Refresh (")),
                   None)
    rows: list[list[str]] = []
    for scroll in root.iter(scroll_tag):
        for row in scroll:
            texts = [el.get(text_attr) or "" for el in row.iter() if el is not row and el.get(text_attr)]
            if texts:
                rows.append(texts)
    return rows, refresh
