"""The wake collector: the app under test reports each wake over HTTP; the harness counts and expects them.

::

    with Collector(cfg.collector) as collector:                      # 127.0.0.1:<free port>, a run token
        adb_reverse(transport, cfg.collector.device_port, collector.port)
        write_android_config(transport, package, f"http://127.0.0.1:{cfg.collector.device_port}/wake",
                             collector.token, device.name)
        wakes = WakeExpect(collector, device.name, clock_rate=rate)
        ...send a push...
        wakes.woke(reason="push", within_s=60)
    rows = wake_count_rows(collector.store.since(), sent={"pixel-8": 3})   # the report's table

Records become timeline events with ``wake_event`` (kind ``wake``, ``extra["source"] == "collector"``).
"""

from harness.collector._phone import (
    CONFIG_FILE,
    adb_reverse,
    app_config,
    remove_adb_reverse,
    reverse_listed,
    reverse_problem,
    write_android_config,
)
from harness.collector._records import (
    WakeCountRow,
    WakeRecord,
    WakeStore,
    parse_wake,
    wake_count_rows,
    wake_event,
)
from harness.collector._server import Collector
from harness.collector.expect import WakeExpect, WakeExpectationFailed

__all__ = [
    "CONFIG_FILE",
    "Collector",
    "WakeCountRow",
    "WakeExpect",
    "WakeExpectationFailed",
    "WakeRecord",
    "WakeStore",
    "adb_reverse",
    "app_config",
    "parse_wake",
    "remove_adb_reverse",
    "reverse_listed",
    "reverse_problem",
    "wake_count_rows",
    "wake_event",
    "write_android_config",
]
