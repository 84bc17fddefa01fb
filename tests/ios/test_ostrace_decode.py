"""The capture's os_trace decoder against pymobiledevice3's own parse + format, record for record, and its framing
byte at a time (issue 22: the capture keeps up with 50,000 lines a second)."""

from __future__ import annotations

import struct

import pytest
from pymobiledevice3.cli.syslog import format_line
from pymobiledevice3.services.os_trace import parse_syslog_entry

from harness.errors import HarnessError
from harness.ios._ostrace import OsTraceDecoder, format_record
from harness.lab.ios.ostrace import encode_record
from harness.lab.ios.syslog import SyslogEntry

T0 = 1795852800.0
ENTRIES = [
    SyslogEntry(1, T0, "SpringBoard", 58, "Notice", "whole second, no label"),
    SyslogEntry(2, T0 + 0.123456, "dasd", 139, "Error", "ünïcode ✓ [not][a label] x", image="DuetActivityScheduler",
                subsystem="com.apple.duetactivityscheduler", category="lifecycle"),
    SyslogEntry(3, T0 + 1.5, "Courier", 812, "Fault", "", subsystem="only.a.subsystem"),
    SyslogEntry(4, T0 + 2.000001, "kernel", 0, "Debug", "a microsecond past"),
    SyslogEntry(5, T0 + 3.9999995, "locationd", 171, "Info", "rounds up to the next second"),
    SyslogEntry(6, T0 + 4.25, "backboardd", 34, "Warning", "ends in a space "),
]


def pmd3_line(record: bytes) -> str:
    return format_line(parse_syslog_entry(record), include_label=True, image_offset=False, color=False)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.message[:20] or "empty")
def test_a_record_reads_as_pymobiledevice3_prints_it(entry: SyslogEntry) -> None:
    record = encode_record(entry, 12.0)[5:]
    assert format_record(record) == pmd3_line(record)


def test_a_level_pymobiledevice3_has_no_name_for_prints_as_its_number() -> None:
    record = bytearray(encode_record(ENTRIES[0], 1.0)[5:])
    record[68] = 0x20  # the level byte (pmd3 _SyslogRecordHeader: 9 + 4 + 8 + 16 + 18 + 4 + 4 + 4 + 1)
    assert format_record(bytes(record)) == pmd3_line(bytes(record))
    assert "<32>:" in format_record(bytes(record))


def test_the_stream_byte_at_a_time_gives_every_line_once() -> None:
    stream = b"".join(encode_record(e, 1.0) for e in ENTRIES)
    decoder = OsTraceDecoder()
    lines = [line for i in range(len(stream)) for line in decoder.feed(stream[i:i + 1])]
    assert lines == [pmd3_line(encode_record(e, 1.0)[5:]) for e in ENTRIES]
    assert decoder.pending == 0


def test_a_wrong_marker_is_an_error_not_a_guess() -> None:
    with pytest.raises(HarnessError, match="chunk marker 07"):
        OsTraceDecoder().feed(b"\x07" + struct.pack("<I", 0))


def test_a_record_shorter_than_its_header_is_an_error() -> None:
    with pytest.raises(HarnessError, match="shorter than its header"):
        OsTraceDecoder().feed(b"\x02" + struct.pack("<I", 3) + b"abc")
