"""The adb server's smart-socket protocol, with one deadline per call.

pure-python-adb looks a device up with ``host:devices`` on a socket without a timeout, and its
``shell(timeout=)`` is a per-``recv`` timeout, so a stopped (SIGSTOP) adb server hangs a caller for
as long as the kernel keeps the connection. Here every connect, send and receive gets the time left
before one deadline. The protocol is AOSP's ``packages/modules/adb/SERVICES.TXT``: a request is four
hex digits of length plus the text; the answer starts ``OKAY`` or ``FAIL`` + hex length + message.
"""

from __future__ import annotations

import errno
import socket
import struct
import time
from typing import Any

__all__ = ["ServerGone", "ServerSilent", "WireError", "connect", "host_query", "open_service", "read_message",
           "read_shell_v2", "read_to_end", "request"]


class WireError(Exception):
    """The server answered ``FAIL``: ``message`` is its text (``device 'x' not found``)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class ServerGone(Exception):
    """Nothing listens at the server's address: the request was never sent, so it is safe to retry."""


class ServerSilent(TimeoutError):
    """The server accepted the connection but did not answer before the deadline (stopped, hung)."""


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


def _recv_exact(sock: socket.socket, size: int, deadline: float) -> bytes:
    data = b""
    while len(data) < size:
        sock.settimeout(_left(deadline))
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionResetError("the adb server closed the connection")
        data += chunk
    return data


_ADDRESSES: dict[tuple[str, int], tuple[socket.AddressFamily, tuple[Any, ...]]] = {}  # what connected last time


# Connecting to a server that is gone or going: refused; or reset, or not connected when its peer address is asked
# (its listener closed as we connected: a killed adb server).
_GONE = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ENOTCONN})


def connect(host: str, port: int, deadline: float) -> socket.socket:
    """A connection to the adb server; the address that answered is kept, so later calls skip the name lookup."""
    known = _ADDRESSES.get((host, port))
    try:
        if known is None:
            sock = socket.create_connection((host, port), timeout=_left(deadline))
            try:
                _ADDRESSES[(host, port)] = (sock.family, sock.getpeername())
            except OSError:
                sock.close()
                raise
            return sock
        return _connect_to(known, deadline)
    except TimeoutError as exc:
        raise ServerSilent(f"{host}:{port} did not accept a connection") from exc
    except OSError as exc:
        if exc.errno not in _GONE:
            raise
        _ADDRESSES.pop((host, port), None)
        raise ServerGone(f"nothing listens at {host}:{port}") from exc


def _connect_to(address: tuple[socket.AddressFamily, tuple[Any, ...]], deadline: float) -> socket.socket:
    sock = socket.socket(address[0], socket.SOCK_STREAM)
    try:
        sock.settimeout(_left(deadline))
        sock.connect(address[1])
    except BaseException:
        sock.close()
        raise
    return sock


def request(sock: socket.socket, service: str, deadline: float) -> None:
    """Send one service request and read its status; ``FAIL`` becomes WireError, silence ServerSilent."""
    payload = service.encode()
    sock.settimeout(_left(deadline))
    sock.sendall(b"%04x" % len(payload) + payload)
    try:
        status = _recv_exact(sock, 4, deadline)
    except TimeoutError as exc:
        raise ServerSilent(f"no answer to {service.split(':', 2)[:2]}") from exc
    if status == b"OKAY":
        return
    if status != b"FAIL":
        raise WireError(f"unexpected status {status!r}")
    try:
        size = int(_recv_exact(sock, 4, deadline), 16)
        raise WireError(_recv_exact(sock, size, deadline).decode("utf-8", "replace"))
    except ValueError:
        raise WireError("FAIL without a readable message") from None


def read_message(sock: socket.socket, deadline: float) -> str:
    """A length-prefixed answer (``host:devices``, ``host:version``)."""
    size = int(_recv_exact(sock, 4, deadline), 16)
    return _recv_exact(sock, size, deadline).decode("utf-8", "replace")


def read_to_end(sock: socket.socket, deadline: float) -> bytes:
    """Everything until the other side closes (a raw ``shell:`` service), bounded by the deadline."""
    chunks: list[bytes] = []
    while True:
        sock.settimeout(_left(deadline))
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


_V2_HEADER = struct.Struct("<BI")  # shell protocol: id, length (adb/shell_protocol.h)
_V2_OUTPUT = (1, 2)  # kIdStdout, kIdStderr
_V2_EXIT = 3


def read_shell_v2(sock: socket.socket, deadline: float) -> tuple[bytes, int | None]:
    """A ``shell,v2:`` service to its end: stdout and stderr as they arrived, and the exit status (None when the
    stream ended without one: the connection was cut)."""
    buf = bytearray()
    out = bytearray()
    code: int | None = None
    while True:
        sock.settimeout(_left(deadline))
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(out), code
        buf += chunk
        at = 0
        while len(buf) - at >= _V2_HEADER.size:
            ident, size = _V2_HEADER.unpack_from(buf, at)
            end = at + _V2_HEADER.size + size
            if end > len(buf):
                break
            if ident in _V2_OUTPUT:
                out += buf[at + _V2_HEADER.size : end]
            elif ident == _V2_EXIT and size:
                code = buf[at + _V2_HEADER.size]
            at = end
        del buf[:at]


def _first_request(sock: socket.socket, service: str, deadline: float) -> None:
    """The first request on a new connection: a reset before any answer is a server dying under us (its
    listening socket went with the process), and nothing was done yet, so it counts as gone."""
    try:
        request(sock, service, deadline)
    except (ConnectionResetError, BrokenPipeError) as exc:
        raise ServerGone(f"the connection was reset before the server answered: {exc}") from exc


def open_service(host: str, port: int, serial: str, service: str, deadline: float) -> socket.socket:
    """A socket on which ``service`` runs on device ``serial`` (``host:transport:`` then the service)."""
    sock = connect(host, port, deadline)
    try:
        _first_request(sock, f"host:transport:{serial}", deadline)
        request(sock, service, deadline)
    except BaseException:
        sock.close()
        raise
    return sock


def host_query(host: str, port: int, service: str, deadline: float) -> str:
    """A ``host:`` service with a length-prefixed answer."""
    with connect(host, port, deadline) as sock:
        _first_request(sock, service, deadline)
        try:
            return read_message(sock, deadline)
        except TimeoutError as exc:
            raise ServerSilent(f"no answer to {service}") from exc

