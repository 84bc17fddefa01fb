"""The speed of the wire (issue 22 item 2): three ratios, measured in the same run, next to their goals.

- a driver verb (``os_version``: one shell round trip with its exit status) against the raw pure-python-adb
  ``shell`` of the same command: what the driver adds;
- an ``adb shell`` subprocess against the driver verb: what a subprocess-based driver would pay;
- the lab phone's raw shell round trip against a bare adbd (a protocol on the lab's own loop that answers
  every OPEN with OKAY + WRTE + CLSE in one write, no service behind it), both behind the same adb server:
  what the lab's adbd adds. The issue's absolute goal (0.3 ms where a bare adbd takes 0.23 ms) is 1.3x.

The machine is shared, so calls are interleaved in rounds and each figure is the median of its per-round
ratios; absolute medians are printed for reference only.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ppadb.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import figure, median_ms
from harness.android import AndroidDriver
from harness.lab.android.adbd import FEATURES
from harness.lab.android.codec import A_VERSION, MAX_PAYLOAD, Command, Decoder, Message, encode
from tests.labkit import RunningLab, test_config

PHONE = "pixel-8"
COMMAND = "getprop ro.build.version.release"


class BareAdbd(asyncio.Protocol):
    """The floor: an adbd that parses nothing it need not and answers every OPEN at once with ``x\\n``, in one
    write. It runs on the lab's own loop (thread), so the ratio isolates what the lab's adbd does."""

    # the lab's own feature list: the adb server's work per request depends on what the device offers
    # (less delayed_ack, which this floor does not speak; adb 29 does not either)
    BANNER = ("device::ro.product.name=bare;ro.product.model=bare;ro.product.device=bare;features="
              + ",".join(f for f in FEATURES if f != "delayed_ack"))

    def __init__(self) -> None:
        self.decoder, self.next_id = Decoder(), 1
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        for msg in self.decoder.feed(data):
            if msg.command == Command.CNXN:
                self.transport.write(encode(Message(Command.CNXN, A_VERSION, MAX_PAYLOAD, self.BANNER.encode())))
            elif msg.command == Command.OPEN:
                ids = (self.next_id, msg.arg0)
                self.next_id += 1
                self.transport.write(encode(Message(Command.OKAY, *ids)) + encode(Message(Command.WRTE, *ids, b"x\n"))
                                     + encode(Message(Command.CLSE, *ids)))

    @staticmethod
    async def serve() -> asyncio.Server:
        return await asyncio.get_running_loop().create_server(BareAdbd, "127.0.0.1", 0)


def _rounds(calls: dict[str, Callable[[], object]], rounds: int, per_round: int) -> list[dict[str, float]]:
    out = []
    for _ in range(rounds):
        out.append({name: median_ms(fn, per_round if name != "subprocess" else max(5, per_round // 10))
                    for name, fn in calls.items()})
    return out


def _ratio(samples: list[dict[str, float]], top: str, bottom: str) -> float:
    return statistics.median(s[top] / s[bottom] for s in samples)


def main(rounds: int = 15, per_round: int = 150) -> None:
    lab = RunningLab(test_config(names=(PHONE,)))
    lab.thread.start()
    bare = lab.run(BareAdbd.serve())
    bare_port = bare.sockets[0].getsockname()[1]
    adb = ["adb", "-P", str(lab.adb_port)]
    try:
        subprocess.run([*adb, "connect", f"127.0.0.1:{bare_port}"], capture_output=True, timeout=20, check=True)
        drv = AndroidDriver.for_device(lab.cfg, lab.cfg.device(PHONE))
        raw = lab.ppadb(PHONE)

        floor = Client("127.0.0.1", lab.adb_port).device(f"127.0.0.1:{bare_port}")
        cli = [*adb, "-s", lab.serial(PHONE), "shell", COMMAND]
        calls: dict[str, Callable[[], object]] = {
            "verb": drv.os_version, "ppadb": lambda: raw.shell(COMMAND),
            "subprocess": lambda: subprocess.run(cli, capture_output=True, check=True, timeout=20),
            "lab echo": lambda: raw.shell("echo x"), "bare echo": lambda: floor.shell("echo x"),
        }
        _rounds(calls, 1, 20)  # warm both ends up
        samples = _rounds(calls, rounds, per_round)
        _report(samples)
    finally:
        lab.thread.call(bare.close)
        lab.thread.stop()
        subprocess.run([*adb, "kill-server"], capture_output=True, check=False)


def _report(samples: list[dict[str, float]]) -> None:
    med = {name: statistics.median(s[name] for s in samples) for name in samples[0]}
    print(f"wire, {len(samples)} rounds, median of per-round ratios (absolute medians for reference: verb "
          f"{med['verb']:.3f} ms, ppadb {med['ppadb']:.3f} ms, subprocess {med['subprocess']:.2f} ms, "
          f"lab echo {med['lab echo']:.3f} ms, bare adbd echo {med['bare echo']:.3f} ms)")
    rows = [
        ("driver verb / raw pure-python-adb shell", _ratio(samples, "verb", "ppadb"), "<= 1.1x", "le", 1.1),
        ("`adb shell` subprocess / driver verb", _ratio(samples, "subprocess", "verb"), ">= 8x", "ge", 8.0),
        ("lab shell round trip / bare adbd", _ratio(samples, "lab echo", "bare echo"), "<= 1.3x (0.3 vs 0.23 ms)",
         "le", 1.3),
    ]
    for label, value, goal, sense, bound in rows:
        met = value <= bound if sense == "le" else value >= bound
        print(f"  {label:<42} {value:6.2f}x   goal {goal:<26} {'met' if met else 'NOT met'}")
        figure(label, f"{value:.3f}x", goal, met)


if __name__ == "__main__":
    main()
