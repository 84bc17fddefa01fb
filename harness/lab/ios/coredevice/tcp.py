"""The phone's end of TCP inside the CoreDevice tunnel: a small listening stack over ``packets.py``.

On a real iPhone the tunnel's packets enter the kernel's network stack (``remoted`` and the developer
services listen on the tunnel address). The lab has no kernel interface to hand them to — the host side
may be pymobiledevice3's userspace stack (PyTCP) in another process — so this module terminates TCP
itself: passive opens only (the phone never dials the host in the modelled services), in-order delivery
with duplicate ACKs for anything else, a send queue bounded by the peer's window and MSS, retransmission
of the oldest unacknowledged bytes on three duplicate ACKs or a timeout (RFC 9293 §3.8.1, RFC 5681
§3.2), FIN in both directions and RST for closed ports (RFC 9293 §3.10.7.1). The SYN-ACK answers MSS
and window scale; SACK and timestamps are not offered, so the host uses neither (RFC 7323 §3.2, RFC 2018).
Each established connection is a ``Link``, so the lab's existing service loops run over it unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable

from harness.lab.ios.coredevice.packets import ACK, FIN, PSH, RST, SYN, Segment, build_segment
from harness.lab.ios.link import READ_CHUNK, PortHandler

__all__ = ["TcpConnection", "TcpStack"]

log = logging.getLogger("harness.lab.ios.coredevice")

WINDOW = 65535  # the window field we advertise; times 2**WSCALE when the host scales windows
WSCALE = 6
RTO_S = 0.5  # retransmission timeout; the tunnel's round trip is sub-millisecond
MAX_RETRIES = 8
DRAIN_HIGH = 256 * 1024  # drain() waits while this much is queued unacknowledged
_MOD = 1 << 32

Emit = Callable[[bytes], None]
Key = tuple[bytes, int, int]  # (host address, host port, phone port)


def _after(a: int, b: int) -> int:
    """How far sequence number ``a`` is past ``b`` (negative when before), modulo 2**32."""
    d = (a - b) % _MOD
    return d - _MOD if d >= _MOD // 2 else d


class TcpConnection:
    """One passive-open connection; a ``Link`` for the service that accepted it."""

    def __init__(self, syn: Segment, mss: int, emit: Emit, on_closed: Callable[[TcpConnection], None]) -> None:
        self.key: Key = (syn.src, syn.sport, syn.dport)
        self._local, self._remote = syn.dst, syn.src
        self._emit, self._on_closed = emit, on_closed
        self._mss = min(mss, syn.mss or 536)  # RFC 9293 §3.7.1: 536 when the SYN names none
        self._iss = secrets.randbelow(_MOD)
        self._snd_una = self._snd_nxt = self._iss
        self._rcv_nxt = (syn.seq + 1) % _MOD
        # RFC 7323 §2.2: scaling applies only when both SYNs carry the option. The phone offers a non-zero
        # shift as iOS does; pmd-pytcp 0.3.8 also reads a shift of 0 as "not offered" and then cannot fit its
        # 4 MiB receive window in the unscaled 16-bit field (an AssertionError that stalls the handshake).
        self._peer_shift = syn.wscale if syn.wscale is not None else 0
        self._wscale = WSCALE if syn.wscale is not None else None
        self._peer_window = syn.window  # a SYN's window is never scaled
        self._out = bytearray()  # bytes from snd_una on: in flight, then unsent
        self._inbox = bytearray()
        self._readable = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self.established = False
        self._peer_fin = self._app_closed = self._fin_sent = self._dead = False
        self._dup_acks = self._retries = 0
        self._timer: asyncio.TimerHandle | None = None
        self._send(SYN | ACK, self._iss, mss=self._mss, wscale=self._wscale)

    # -- Link --------------------------------------------------------------------------------------
    async def read(self, n: int = READ_CHUNK) -> bytes:
        while not self._inbox and not (self._peer_fin or self._dead):
            self._readable.clear()
            await self._readable.wait()
        data = bytes(self._inbox[:n])
        del self._inbox[:n]
        return data

    def write(self, data: bytes) -> None:
        if not self.closing:
            self._out += data
            self._push()

    async def drain(self) -> None:
        while self.pending > DRAIN_HIGH and not self._dead:
            self._room.clear()
            await self._room.wait()

    def close(self) -> None:
        if not self._app_closed:
            self._app_closed = True
            self._push()

    @property
    def closing(self) -> bool:
        return self._app_closed or self._dead

    @property
    def pending(self) -> int:
        return len(self._out)

    # -- segments from the host -------------------------------------------------------------------
    def receive(self, seg: Segment) -> None:
        if seg.has(RST):
            self._kill("reset by the host")
            return
        if seg.has(SYN):  # our SYN-ACK was lost: answer the retransmitted SYN again
            if not self.established:
                self._send(SYN | ACK, self._iss, mss=self._mss, wscale=self._wscale)
            return
        if seg.has(ACK):
            self._on_ack(seg)
        if seg.payload or seg.has(FIN):
            self._on_data(seg)
        self._push()
        self._maybe_done()

    def _on_ack(self, seg: Segment) -> None:
        if not self.established:
            if seg.ack != (self._iss + 1) % _MOD:
                return
            self.established = True
            self._snd_una = self._snd_nxt = seg.ack
        acked = _after(seg.ack, self._snd_una)
        in_flight = _after(self._snd_nxt, self._snd_una)
        if 0 < acked <= in_flight:
            data_acked = min(acked, len(self._out))
            del self._out[:data_acked]
            self._snd_una = seg.ack
            self._dup_acks = self._retries = 0
            self._rearm()
            if self.pending <= DRAIN_HIGH:
                self._room.set()
        window = seg.window << self._peer_shift
        if acked == 0 and in_flight and not seg.payload and window == self._peer_window:
            self._dup_acks += 1
            if self._dup_acks == 3:
                self._retransmit()
        self._peer_window = window

    def _on_data(self, seg: Segment) -> None:
        start = _after(self._rcv_nxt, seg.seq)  # bytes of this segment we already have
        if start < 0 or start > len(seg.payload) or self._peer_fin:
            self._send(ACK, self._snd_nxt)  # out of order or a repeat: say what we expect (dup ACK)
            return
        fresh = seg.payload[start:]
        if fresh:
            if not self._app_closed:
                self._inbox += fresh
            self._rcv_nxt = (self._rcv_nxt + len(fresh)) % _MOD
        if seg.has(FIN):
            self._peer_fin = True
            self._rcv_nxt = (self._rcv_nxt + 1) % _MOD
        self._readable.set()
        self._send(ACK, self._snd_nxt)

    # -- sending ------------------------------------------------------------------------------------
    def _send(self, flags: int, seq: int, payload: bytes = b"", mss: int | None = None,
              wscale: int | None = None) -> None:
        self._emit(build_segment(Segment(self._local, self._remote, self.key[2], self.key[1], seq, self._rcv_nxt,
                                         flags, WINDOW, payload, mss, wscale)))

    def _push(self) -> None:
        """Send what the peer's window allows, then our FIN once the application closed and all is sent."""
        if not self.established or self._dead:
            return
        # bytes of _out already sent: all of it once our FIN is out (the FIN follows the last byte)
        sent = len(self._out) if self._fin_sent else _after(self._snd_nxt, self._snd_una)
        while sent < len(self._out) and sent < self._peer_window:
            chunk = bytes(self._out[sent:sent + min(self._mss, self._peer_window - sent)])
            self._send(ACK | PSH, self._snd_nxt, chunk)
            self._snd_nxt = (self._snd_nxt + len(chunk)) % _MOD
            sent += len(chunk)
        if self._app_closed and not self._fin_sent and sent == len(self._out):
            self._send(FIN | ACK, self._snd_nxt)
            self._snd_nxt = (self._snd_nxt + 1) % _MOD
            self._fin_sent = True
        if self._timer is None and self._needs_timer():
            self._rearm()

    def _retransmit(self) -> None:
        """Send the oldest unacknowledged segment again (or our FIN, or a window probe)."""
        if self._out:
            chunk = bytes(self._out[:max(1, min(self._mss, self._peer_window))])
            self._send(ACK | PSH, self._snd_una, chunk)
            if _after(self._snd_nxt, self._snd_una) < len(chunk):  # a zero-window probe is new data in flight
                self._snd_nxt = (self._snd_una + len(chunk)) % _MOD
        elif self._fin_sent:
            self._send(FIN | ACK, self._snd_una)

    def _needs_timer(self) -> bool:
        """Bytes (or our FIN) await an ACK, or data waits behind a shut window (the persist timer)."""
        return _after(self._snd_nxt, self._snd_una) > 0 or bool(self._out and not self._peer_window)

    def _rearm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._needs_timer():
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(RTO_S * (1 << min(self._retries, 4)), self._on_timeout)

    def _on_timeout(self) -> None:
        self._timer = None
        self._retries += 1
        if self._retries > MAX_RETRIES:
            self._send(RST | ACK, self._snd_nxt)
            self._kill("no acknowledgement from the host")
            return
        self._retransmit()
        self._rearm()

    # -- the end ------------------------------------------------------------------------------------
    def _maybe_done(self) -> None:
        fin_acked = self._fin_sent and self._snd_una == self._snd_nxt
        if fin_acked and self._peer_fin:
            self._kill("")

    def _kill(self, why: str) -> None:
        if self._dead:
            return
        if why:
            log.debug("tunnel TCP %d: %s", self.key[2], why)
        self._dead = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._readable.set()
        self._room.set()
        self._on_closed(self)

    def abort(self) -> None:
        """The tunnel went away: no more segments either way."""
        self._kill("tunnel closed")


class TcpStack:
    """The phone's TCP on one tunnel address: listeners by port, connections by (host, port, port)."""

    def __init__(self, address: bytes, mss: int, emit: Emit) -> None:
        self.address = address
        self._mss = mss
        self._emit = emit
        self._listeners: dict[int, PortHandler] = {}
        self._conns: dict[Key, TcpConnection] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def listen(self, port: int, handler: PortHandler) -> None:
        self._listeners[port] = handler

    def unlisten(self, port: int) -> None:
        self._listeners.pop(port, None)

    @property
    def ports(self) -> list[int]:
        return sorted(self._listeners)

    def receive(self, seg: Segment) -> None:
        if seg.dst != self.address:
            return  # not for the phone: no route, dropped
        key = (seg.src, seg.sport, seg.dport)
        conn = self._conns.get(key)
        if conn is not None:
            was_open = conn.established
            conn.receive(seg)
            if conn.established and not was_open:
                self._accept(conn)
            return
        handler = self._listeners.get(seg.dport)
        if seg.has(SYN) and not seg.has(ACK) and handler is not None:
            self._conns[key] = TcpConnection(seg, self._mss, self._emit, self._forget)
        elif not seg.has(RST):
            self._refuse(seg)

    def _accept(self, conn: TcpConnection) -> None:
        handler = self._listeners.get(conn.key[2])
        if handler is None:
            conn.abort()
            return
        task = asyncio.get_running_loop().create_task(self._serve(handler, conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _serve(handler: PortHandler, conn: TcpConnection) -> None:
        try:
            await handler(conn)
        except Exception:  # one broken service connection must not end the tunnel
            log.exception("tunnel service on port %d failed", conn.key[2])
            conn.close()

    def _refuse(self, seg: Segment) -> None:
        """RFC 9293 §3.10.7.1: a segment for no connection is answered by a reset."""
        if seg.has(ACK):
            reply = Segment(seg.dst, seg.src, seg.dport, seg.sport, seg.ack, 0, RST, 0)
        else:
            reply = Segment(seg.dst, seg.src, seg.dport, seg.sport, 0, (seg.seq + seg.span) % _MOD, RST | ACK, 0)
        self._emit(build_segment(reply))

    def _forget(self, conn: TcpConnection) -> None:
        self._conns.pop(conn.key, None)

    def close(self) -> None:
        for conn in list(self._conns.values()):
            conn.abort()
        for task in list(self._tasks):
            task.cancel()

    async def wait_closed(self) -> None:
        tasks = list(self._tasks)
        if tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)

