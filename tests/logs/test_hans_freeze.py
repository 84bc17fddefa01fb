"""ColorOS hans freezes are ``freeze`` events attributed to oppo (the lab's wording: no capture is known)."""

from __future__ import annotations

import pytest

from harness.logs.android_events import android_events
from harness.logs.logcat import parse_logcat

HEAD = "11-28 08:49:51.380  1416  1433 I OplusHansManager: "


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("freeze uid: 10200 package: com.example.courier reason: screen off",
         [("freeze", "com.example.courier", "oppo", "screen off", "10200")]),
        ("freeze uid: 10200 package: com.example.courier", [("freeze", "com.example.courier", "oppo", None, "10200")]),
        ("unfreeze uid: 10200 package: com.example.courier reason: screen on", []),
    ],
    ids=["freeze", "freeze-without-reason", "unfreeze"],
)
def test_hans_lines(message: str, expected: list[tuple[object, ...]]) -> None:
    events = android_events(parse_logcat(HEAD + message + "\n", year=2026).lines)
    got = [(e.kind, e.package, e.killer, e.reason, e.extra.get("uid")) for e in events]
    assert got == expected
