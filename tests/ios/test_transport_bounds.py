"""Issue 21, item 2: a usbmuxd that accepts connections and then says nothing (a stopped process: the
kernel still completes the handshake) costs an iOS call its timeout, never more."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from harness.errors import DeviceTimeout, DeviceUnreachable
from harness.ios.transport import IOSTransport
from tests.labkit import RunningLab


@pytest.fixture
def silent_usbmuxd() -> Iterator[str]:
    """A listening socket nobody reads: what a SIGSTOPped usbmuxd looks like from the client."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def test_a_silent_usbmuxd_costs_a_call_its_timeout(silent_usbmuxd: str) -> None:
    transport = IOSTransport("iphone-15", "00008120-001A2C3E0E90201E", silent_usbmuxd, default_timeout_s=3)
    start = time.monotonic()
    with pytest.raises(DeviceTimeout, match="no answer within 3 s"):
        transport.value("ProductVersion")
    assert time.monotonic() - start < 4.0  # the timeout plus scheduling, never pymobiledevice3's own waits


def test_no_usbmuxd_is_unreachable_at_once() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        transport = IOSTransport("iphone-15", "00008120-001A2C3E0E90201E", f"127.0.0.1:{port}", default_timeout_s=3)
        with pytest.raises(DeviceUnreachable):
            transport.value("ProductVersion")


def test_a_read_after_usbmuxd_dropped_every_session_still_answers(ios_lab: RunningLab) -> None:
    """pymobiledevice3 re-establishes a dropped lockdown connection on its next request; the transport keeps
    the session object, so a usbmuxd restart costs the caller nothing."""
    dev = ios_lab.cfg.device("iphone-15")
    assert dev.udid is not None
    transport = IOSTransport(dev.name, dev.udid, dev.usbmux, default_timeout_s=10)
    assert transport.value("ProductVersion") == "18.1"
    mux = ios_lab.thread.lab.usbmuxd
    assert mux is not None
    assert ios_lab.thread.call(lambda: len(mux._connections)) >= 1  # the kept session's tunnel
    ios_lab.thread.call(mux.disconnect_all)  # what a usbmuxd restart does to a session
    assert ios_lab.thread.call(lambda: len(mux._connections)) == 0
    assert transport.value("ProductVersion") == "18.1"
