"""The virtual adbd's streams on the wire, spoken to directly (as the adb server would): a command that needs no
waiting answers OKAY, WRTE and CLSE in one write; larger output follows adb's flow control (one WRTE in flight,
none larger than the host's max payload); a command that waits runs on after its first step."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest

from harness.lab.android.codec import A_VERSION, INITIAL_DELAYED_ACK_BYTES, Command, Decoder, Message, encode
from tests.labkit import RunningLab

NAME = "pixel-8"
V2 = struct.Struct("<BI")  # shell protocol packet header: id, length
DELTA = struct.Struct("<i")  # a delayed_ack OKAY's payload


class Host:
    """One adb-server-like connection to the lab phone's adbd."""

    def __init__(self, lab: RunningLab, max_payload: int, features: str = "shell_v2") -> None:
        port = lab.cfg.device(NAME).lab_port
        assert port is not None
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.decoder = Decoder()
        self.pending: list[Message] = []
        self.send(Message(Command.CNXN, A_VERSION, max_payload, f"host::features={features}".encode()))
        assert self.next().command == Command.CNXN

    def send(self, msg: Message) -> None:
        self.sock.sendall(encode(msg))

    def read_batch(self) -> list[Message]:
        """The messages of one recv (what one write of the adbd delivered, on loopback), or those left over."""
        if self.pending:
            batch, self.pending = self.pending, []
            return batch
        while not (batch := self.decoder.feed(self.sock.recv(1 << 20))):
            pass
        return batch

    def next(self) -> Message:
        batch = self.read_batch()
        self.pending = batch[1:]
        return batch[0]


@pytest.fixture
def host(lab: RunningLab) -> Iterator[Host]:
    conn = Host(lab, 256)
    yield conn
    conn.sock.close()


def test_a_command_that_needs_no_wait_answers_in_one_write(host: Host) -> None:
    host.send(Message(Command.OPEN, 7, 0, b"shell:echo hi\0"))
    batch = host.read_batch()
    assert [m.command for m in batch] == [Command.OKAY, Command.WRTE, Command.CLSE]
    local = batch[0].arg0
    assert all((m.arg0, m.arg1) == (local, 7) for m in batch) and batch[1].data == b"hi\n"


def test_large_output_waits_for_each_okay(lab: RunningLab, host: Host) -> None:
    expected = lab.shell(NAME, "getprop").stdout.encode()
    assert len(expected) > 4 * 256
    host.send(Message(Command.OPEN, 9, 0, b"shell:getprop\0"))
    assert host.next().command == Command.OKAY
    data = b""
    while True:
        msg = host.next()
        if msg.command == Command.CLSE:
            break
        assert msg.command == Command.WRTE and len(msg.data) <= 256
        assert not any(m.command == Command.WRTE for m in host.pending), "a second WRTE before our OKAY"
        data += msg.data
        host.send(Message(Command.OKAY, 9, msg.arg0))
    assert data == expected


def test_a_command_reading_stdin_runs_on_after_its_first_step(host: Host) -> None:
    host.send(Message(Command.OPEN, 11, 0, b"shell,v2,raw:cat\0"))
    okay = host.next()
    assert okay.command == Command.OKAY and not host.pending  # no output yet: `cat` waits for its stdin
    stdin = V2.pack(0, 6) + b"hello\n" + V2.pack(4, 0)  # kIdStdin, then kIdCloseStdin (adb/shell_protocol.h)
    host.send(Message(Command.WRTE, 11, okay.arg0, stdin))
    messages = [host.next()]
    while messages[-1].command != Command.CLSE:
        if messages[-1].command == Command.WRTE:
            host.send(Message(Command.OKAY, 11, okay.arg0))
        messages.append(host.next())
    writes = b"".join(m.data for m in messages if m.command == Command.WRTE)
    assert writes == V2.pack(1, 6) + b"hello\n" + V2.pack(3, 1) + b"\0"  # kIdStdout, then kIdExit with status 0


# -- delayed_ack (a host in burst mode: both banners offer it) ---------------------------------------------------

@pytest.fixture
def burst(lab: RunningLab) -> Iterator[Host]:
    conn = Host(lab, 256, "shell_v2,cmd,delayed_ack")
    yield conn
    conn.sock.close()


def test_delayed_ack_windows_the_output(lab: RunningLab, burst: Host) -> None:
    expected = lab.shell(NAME, "getprop").stdout.encode()
    burst.send(Message(Command.OPEN, 5, 600, b"shell:getprop\0"))  # we take 600 bytes before our first OKAY
    okay = burst.next()
    assert (okay.command, okay.data) == (Command.OKAY, DELTA.pack(INITIAL_DELAYED_ACK_BYTES))
    data = b""
    while True:
        batch = burst.read_batch()  # what flow control let out in one go: WRTEs until the window is spent
        writes = [m for m in batch if m.command == Command.WRTE]
        assert len(writes) <= 3 and all(len(m.data) <= 256 for m in writes)  # 600 bytes: the third overshoots
        data += b"".join(m.data for m in writes)
        if batch[-1].command == Command.CLSE:
            break
        burst.send(Message(Command.OKAY, 5, okay.arg0, DELTA.pack(sum(len(m.data) for m in writes))))
    assert data == expected


def test_delayed_ack_gives_back_what_it_took(burst: Host) -> None:
    burst.send(Message(Command.OPEN, 6, INITIAL_DELAYED_ACK_BYTES, b"shell,v2,raw:cat\0"))
    okay = burst.next()
    stdin = V2.pack(0, 6) + b"hello\n" + V2.pack(4, 0)
    burst.send(Message(Command.WRTE, 6, okay.arg0, stdin))
    ack = burst.next()
    assert (ack.command, ack.data) == (Command.OKAY, DELTA.pack(len(stdin)))


@pytest.mark.parametrize(("features", "window"), [("shell_v2,delayed_ack", 0), ("shell_v2", INITIAL_DELAYED_ACK_BYTES)])
def test_an_open_that_does_not_match_the_negotiation_is_refused(lab: RunningLab, features: str, window: int) -> None:
    host = Host(lab, 4096, features)
    try:
        host.send(Message(Command.OPEN, 8, window, b"shell:echo hi\0"))
        assert host.next() == Message(Command.CLSE, 0, 8)
    finally:
        host.sock.close()
