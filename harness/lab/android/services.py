"""adbd's services on one stream: ``shell:`` (raw and v2), ``exec:``, ``abb:``/``abb_exec:``, ``sync:``,
``reboot:``, ``root:``.

Shell protocol v2 frames each chunk as ``id (1 byte) + length (u32 LE) + data``: 0 stdin, 1 stdout,
2 stderr, 3 exit (one byte), 4 close stdin, 5 window size (adb/shell_protocol.h). Without v2 the
stream carries stdout and stderr merged and no exit code, as pure-python-adb sees it.
"""

from __future__ import annotations

import struct
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from harness.lab.android.abb import abb_command
from harness.lab.android.shell.runtime import Input, Invocation, Output, run_script
from harness.lab.android.streams import Stream
from harness.lab.android.sync import serve_sync

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["RebootRequest", "open_service"]

ID_STDIN, ID_STDOUT, ID_STDERR, ID_EXIT, ID_CLOSE_STDIN, ID_WINDOW = range(6)
_PACKET = struct.Struct("<BI")

Service = Callable[[], Awaitable[None]]
Body = Callable[[Invocation], Awaitable[int]]  # what runs on the stream: a script, an interactive shell, abb


class RebootRequest(Exception):
    """Raised by the ``reboot:`` service; the server drops every connection and boots the device."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def _parse_shell(service: str) -> tuple[list[str], str]:
    head, _, command = service.partition(":")
    args = head.split(",")[1:] if "," in head else []
    return args, command


def open_service(dev: AndroidDevice, service: str, stream: Stream) -> Service | None:
    """The coroutine that serves ``service`` on ``stream``, or None for an unknown service."""
    if service.startswith("shell"):
        args, command = _parse_shell(service)
        pty = "pty" in args or (not command and "raw" not in args)
        body = _script(command) if command else _interactive_body(dev, tty=pty)
        serve = _serve_v2 if "v2" in args else _serve_raw
        return lambda: serve(dev, stream, body, pty)
    if service.startswith("exec:"):
        return lambda: _serve_raw(dev, stream, _script(service[len("exec:"):]), False)
    if service.startswith(("abb:", "abb_exec:")):
        kind, _, rest = service.partition(":")
        argv = rest.split("\0")
        serve = _serve_v2 if kind == "abb" else _serve_raw
        return lambda: serve(dev, stream, lambda inv: abb_command(inv, argv), False)
    if service.startswith("sync:"):
        return lambda: serve_sync(dev, stream)
    if service.startswith("reboot:"):
        return lambda: _reboot(service[len("reboot:"):])
    if service in ("root:", "unroot:"):
        return lambda: _say(stream, "adbd cannot run as root in production builds\n" if service == "root:"
                            else "adbd not running as root\n")
    if service.startswith("remount:"):
        return lambda: _say(stream, "Not running as root. Try \"adb root\" first.\n")
    return None


async def _say(stream: Stream, text: str) -> None:
    stream.send(text.encode())


async def _reboot(target: str) -> None:
    raise RebootRequest(target)


def _invocation(dev: AndroidDevice, stdout: Output, stderr: Output, stdin: Input) -> Invocation:
    return Invocation(["sh"], dev, stdin, stdout, stderr, env=dict(_shell_env(dev)), cwd="/")


_ENVS: weakref.WeakKeyDictionary[AndroidDevice, dict[str, str]] = weakref.WeakKeyDictionary()


def _shell_env(dev: AndroidDevice) -> dict[str, str]:
    """A new shell's variables (the same for every shell of one phone: built once, copied per shell)."""
    env = _ENVS.get(dev)
    if env is None:
        env = _ENVS[dev] = {"?": "0", "$": "4127", "HOSTNAME": dev.props.get("ro.product.device", "localhost"),
                            "PATH": "/product/bin:/apex/com.android.runtime/bin:/system/bin:/system/xbin:/vendor/bin",
                            "USER": "shell", "HOME": "/"}
    return env


def _stdin_feeder(stdin: Input, v2: bool) -> Callable[[bytes], None]:
    """What the peer sends, to the command's stdin: raw, or unpacked from v2 stdin / close-stdin packets."""
    if not v2:
        return lambda chunk: stdin.feed(chunk) if chunk else stdin.close()
    buf = bytearray()

    def feed(chunk: bytes) -> None:
        if not chunk:
            stdin.close()
            return
        buf.extend(chunk)
        while len(buf) >= _PACKET.size:
            ident, length = _PACKET.unpack_from(buf)
            if len(buf) < _PACKET.size + length:
                break
            data = bytes(buf[_PACKET.size : _PACKET.size + length])
            del buf[: _PACKET.size + length]
            if ident == ID_STDIN:
                stdin.feed(data)
            elif ident == ID_CLOSE_STDIN:
                stdin.close()

    return feed


def _script(command: str) -> Body:
    return lambda inv: run_script(command, inv)


def _interactive_body(dev: AndroidDevice, tty: bool) -> Body:
    return lambda inv: _interactive(dev, inv, inv.stdin, tty=tty)


async def _run(dev: AndroidDevice, stream: Stream, body: Body, stdout: Output, stderr: Output, v2: bool) -> int:
    stdin = Input()
    stream.set_receiver(_stdin_feeder(stdin, v2))
    try:
        return await body(_invocation(dev, stdout, stderr, stdin))
    finally:
        stream.set_receiver(None)


def _crlf(sink: Callable[[bytes], None], pty: bool) -> Callable[[bytes], None]:
    if not pty:
        return sink
    return lambda data: sink(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


async def _serve_raw(dev: AndroidDevice, stream: Stream, body: Body, pty: bool) -> None:
    out = Output(_crlf(stream.send, pty))
    await _run(dev, stream, body, out, out, v2=False)


async def _serve_v2(dev: AndroidDevice, stream: Stream, body: Body, pty: bool) -> None:
    def packet(ident: int) -> Callable[[bytes], None]:
        return lambda data: stream.send(_PACKET.pack(ident, len(data)) + data)

    stdout = Output(_crlf(packet(ID_STDOUT), pty))
    stderr = Output(_crlf(packet(ID_STDERR), pty))
    status = await _run(dev, stream, body, stdout, stderr, v2=True)
    stream.send(_PACKET.pack(ID_EXIT, 1) + bytes([status & 0xFF]))


async def _interactive(dev: AndroidDevice, inv: Invocation, stdin: Input, tty: bool) -> int:
    """``adb shell`` with no command: one command line at a time, until ``exit`` or EOF.

    adbd starts a login shell (``-/system/bin/sh``, daemon/shell_service.cpp). mksh talks (prompts) only when stdin
    and stderr are terminals (main.c: ``isatty(0) && isatty(2)``), so a pty shell echoes and prompts, and a raw
    one, which ``adb shell`` asks for when its stdin is not a terminal (``shell,v2,raw:``, client/commandline.cpp
    adb_shell), prints only what its commands print."""
    prompt = f"{dev.props.get('ro.product.device', 'localhost')}:/ $ " if tty else ""
    inv.out(prompt)
    line = bytearray()
    while chunk := await stdin.read():
        for byte in chunk:
            char = bytes([byte])
            if tty:  # the terminal echoes what it reads
                inv.out("\n" if char == b"\r" else char.decode(errors="replace"))
            if char not in (b"\r", b"\n"):
                line += char
                continue
            await run_script(line.decode(errors="replace"), inv)
            line.clear()
            if "__exit__" in inv.env:
                return int(inv.env.pop("__exit__"))
            inv.out(prompt)
    return int(inv.env.get("?", "0"))

