"""A lab phone's wake report over the network (the iOS path) reaches the real collector."""

from __future__ import annotations

import asyncio

import pytest

from harness.collector import Collector
from harness.lab.push import report_wake

BODY: dict[str, object] = {"device": "iphone-15", "reason": "push", "task": "on-push", "time_ms": 1_795_852_800_000}


def test_report_reaches_the_collector_with_the_run_token() -> None:
    with Collector() as collector:
        url = f"{collector.url}/wake"
        assert asyncio.run(report_wake(url, collector.token, BODY)) == 204
        assert asyncio.run(report_wake(url, "not-the-token", BODY)) == 401
        assert [(r.device, r.reason, r.task) for r in collector.store.since()] == [("iphone-15", "push", "on-push")]
        port = collector.port
    with pytest.raises(ConnectionError):
        asyncio.run(report_wake(f"http://127.0.0.1:{port}/wake", "t", BODY, timeout_s=5))
