"""The wake collector: records checked, the run token enforced, expectations, the report's count table."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from harness.collector import (
    Collector,
    WakeExpect,
    WakeExpectationFailed,
    WakeRecord,
    parse_wake,
    wake_count_rows,
    wake_event,
)
from harness.config import CollectorConfig

T0 = 1_795_852_800_000  # device ms


@pytest.fixture
def collector() -> Iterator[Collector]:
    with Collector(CollectorConfig()) as running:
        yield running


def _post(collector: Collector, body: object, token: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token if token is not None else collector.token}"}
    return httpx.post(f"{collector.url}/wake", content=json.dumps(body), headers=headers, timeout=5)


def _wake(device: str = "pixel-8", reason: str = "push", task: str | None = "on-push", time_ms: int = T0) -> dict:  # type: ignore[type-arg]
    return {"device": device, "reason": reason, "task": task, "time_ms": time_ms}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{", "body is not JSON"),
        (b"[]", "body is not a JSON object"),
        (json.dumps(_wake(device="")).encode(), "'device' must be a device name"),
        (json.dumps(_wake(reason="Push Now")).encode(), "'reason' must be a lower-case word"),
        (json.dumps(_wake(task="a b")).encode(), "'task' must be a task name or null"),
        (json.dumps({**_wake(), "time_ms": "1"}).encode(), "'time_ms' must be device milliseconds"),
        (json.dumps({**_wake(), "time_ms": True}).encode(), "'time_ms' must be device milliseconds"),
    ],
)
def test_malformed_records_are_refused(body: bytes, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_wake(body, 0.0)


def test_binds_loopback_and_enforces_the_run_token(collector: Collector) -> None:
    assert collector.url.startswith("http://127.0.0.1:") and len(collector.token) >= 32
    assert _post(collector, _wake(), token="wrong").status_code == 401
    assert httpx.post(f"{collector.url}/wake", json=_wake(), timeout=5).status_code == 401
    bad = _post(collector, _wake(reason="BAD"))
    assert bad.status_code == 400 and "reason" in bad.json()["error"]
    assert _post(collector, _wake()).status_code == 204
    listed = httpx.get(f"{collector.url}/wakes", headers={"authorization": f"Bearer {collector.token}"}, timeout=5)
    assert [(w["device"], w["reason"], w["task"], w["time_ms"]) for w in listed.json()] == [
        ("pixel-8", "push", "on-push", T0)]
    assert httpx.get(f"{collector.url}/wakes", timeout=5).status_code == 401


def test_woke_waits_for_a_report_after_the_mark(collector: Collector) -> None:
    _post(collector, _wake(time_ms=T0 - 5000))  # before the mark: not counted
    now = [T0 / 1000]
    wakes = WakeExpect(collector, "pixel-8", clock_rate=120.0, device_now=lambda: now[0])
    later = threading.Timer(0.2, lambda: (_post(collector, _wake(device="xiaomi-13", time_ms=T0 + 1000)),
                                          _post(collector, _wake(time_ms=T0 + 3000))))
    later.start()
    record = wakes.woke(reason="push", within_s=600)
    later.join()
    assert (record.device, record.time_ms) == ("pixel-8", T0 + 3000)
    assert wakes.count("push") == 1


def test_woke_fails_with_what_was_seen(collector: Collector) -> None:
    wakes = WakeExpect(collector, "pixel-8", clock_rate=600.0, grace_s=0.2)
    _post(collector, _wake(reason="fetch"))
    with pytest.raises(WakeExpectationFailed) as info:
        wakes.woke(reason="push", within_s=60)
    text = str(info.value)
    assert text.startswith("[pixel-8] no wake (reason push) within 60 s of device time")
    assert "adb reverse" in text and "fetch on-push" in text


def test_a_late_wake_fails_on_device_time(collector: Collector) -> None:
    wakes = WakeExpect(collector, "pixel-8", clock_rate=600.0, device_now=lambda: T0 / 1000, grace_s=0.5)
    _post(collector, _wake(time_ms=T0 + 900_000))  # reported, but 15 device minutes after the mark
    with pytest.raises(WakeExpectationFailed, match="came 900 s after the mark, over 60 s"):
        wakes.woke(reason="push", within_s=60)


def test_not_woke(collector: Collector) -> None:
    wakes = WakeExpect(collector, "pixel-8", clock_rate=600.0, grace_s=0.1)
    wakes.not_woke(reason="push", during_s=30)
    _post(collector, _wake())
    with pytest.raises(WakeExpectationFailed, match="woke \\(push\\) when it should not have"):
        wakes.not_woke(reason="push", during_s=30)


def test_wake_count_rows_for_the_report() -> None:
    records = [WakeRecord("pixel-8", "push", "on-push", T0, 0.0), WakeRecord("pixel-8", "push", "on-push", T0, 0.0),
               WakeRecord("pixel-8", "fetch", None, T0, 0.0), WakeRecord("iphone-15", "push", None, T0, 0.0)]
    rows = [r.as_json() for r in wake_count_rows(records, sent={"pixel-8": 3, "iphone-15": 5, "oppo-find-x6": 2})]
    assert rows == [
        {"device": "iphone-15", "reason": "push", "wakes": 1, "sent": 5, "missing": 4},
        {"device": "oppo-find-x6", "reason": "push", "wakes": 0, "sent": 2, "missing": 2},
        {"device": "pixel-8", "reason": "fetch", "wakes": 1, "sent": None, "missing": None},
        {"device": "pixel-8", "reason": "push", "wakes": 2, "sent": 3, "missing": 1},
    ]


def test_wake_event_for_the_timeline() -> None:
    event = wake_event(WakeRecord("pixel-8", "push", "on-push", T0 + 42, 0.0), package="com.example.courier")
    assert (event.kind, event.time, event.task, event.reason, event.package) == (
        "wake", (T0 + 42) / 1000, "on-push", "push", "com.example.courier")
    assert event.time_text == "2026-11-28 08:00:00.042"
    assert event.extra == {"source": "collector", "device": "pixel-8"}
