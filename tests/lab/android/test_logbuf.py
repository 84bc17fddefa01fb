"""The lab's log rings: ``logcat -t/-T <count>`` reads the newest entries from the rings' ends, and gets what
the full merge of the rings would have given."""

from __future__ import annotations

import itertools

import pytest

from harness.lab.android.logbuf import LogBuffers, LogEntry


def _rings() -> LogBuffers:
    """Three rings written in an interleaved order, small enough that the oldest entries were pruned."""
    ticks = itertools.count()
    logs = LogBuffers(lambda: 1_800_000_000.0 + next(ticks) / 1000, lambda: 100.0, size_bytes=4096)
    for n in range(600):
        buffer = ("main", "system", "events", "main", "crash")[n % 5 if n % 7 else 1]
        logs.write(buffer, "DIWE"[n % 4], f"Tag{n % 3}", f"line {n}", pid=100 + n % 11)
    return logs


def _full_merge(logs: LogBuffers, buffers: tuple[str, ...], count: int, accept: object) -> list[LogEntry]:
    assert callable(accept)
    kept = [e for e in logs.entries(buffers) if accept(e)]
    return kept[-count:] if count else []


@pytest.mark.parametrize("count", [0, 1, 7, 200, 10_000])
@pytest.mark.parametrize("buffers", [("main",), ("main", "system", "events", "crash"), ("system", "main")])
def test_newest_is_the_tail_of_the_merged_rings(count: int, buffers: tuple[str, ...]) -> None:
    logs = _rings()

    def accept(entry: LogEntry) -> bool:
        return entry.prio != "D" and entry.tag != "Tag2"

    newest = logs.newest(buffers, count, accept)
    assert newest == _full_merge(logs, buffers, count, accept)
    assert [e.seq for e in newest] == sorted(e.seq for e in newest)


def test_newest_reads_only_the_end_of_the_rings() -> None:
    logs = _rings()
    looked: list[int] = []

    def accept(entry: LogEntry) -> bool:
        looked.append(entry.seq)
        return True

    assert len(logs.newest(("main", "system", "events", "crash"), 5, accept)) == 5
    assert len(looked) == 5, looked
