"""Runs parsed command lines against a virtual device: pipes, redirections, exit codes.

A command is a function ``handler(inv) -> int`` (or an async one). It writes to ``inv.stdout``/
``inv.stderr`` and reads ``inv.stdin``. Long-running commands (``logcat``, ``sleep``) are async and
are cancelled when the adb stream closes or when the reader of their pipe exits, as SIGPIPE would.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from harness.lab.android.os.ids import cred_for
from harness.lab.android.shell.parse import (
    AndOr,
    Pipeline,
    Redirect,
    ShellSyntaxError,
    SimpleCommand,
    Word,
    parse,
)
from harness.lab.android.vfs import FsError

if TYPE_CHECKING:
    from harness.lab.android.vfs import FileSystem

__all__ = [
    "Handler",
    "Input",
    "Invocation",
    "Output",
    "Registry",
    "ShellHost",
    "run_script",
]

log = logging.getLogger(__name__)
SH = "/system/bin/sh"
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_BIN_DIRS = ("/system/bin/", "/system/xbin/", "/vendor/bin/", "/product/bin/", "/apex/com.android.runtime/bin/")


class Output:
    """Where a command's bytes go: an adb stream, a pipe, a file, or nowhere."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self._sink = sink

    def write(self, data: str | bytes) -> None:
        if isinstance(data, str):
            data = data.encode()
        if data:
            self._sink(data)

    def line(self, text: str = "") -> None:
        self.write(text + "\n")


class Input:
    """A command's stdin: bytes arrive in chunks, ``b""`` means end of input."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._eof = False

    @classmethod
    def of(cls, data: bytes) -> Input:
        inp = cls()
        if data:
            inp.feed(data)
        inp.close()
        return inp

    def feed(self, data: bytes) -> None:
        self._queue.put_nowait(data)

    def close(self) -> None:
        self._queue.put_nowait(b"")

    async def read(self) -> bytes:
        if self._eof:
            return b""
        chunk = await self._queue.get()
        if not chunk:
            self._eof = True
        return chunk

    async def read_all(self) -> bytes:
        out = bytearray()
        while chunk := await self.read():
            out += chunk
        return bytes(out)


@dataclass
class Invocation:
    argv: list[str]
    host: ShellHost
    stdin: Input
    stdout: Output
    stderr: Output
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "/"
    uid: int = 2000  # shell

    def out(self, text: str) -> None:
        self.stdout.write(text)

    def err(self, text: str) -> None:
        self.stderr.write(text)

    def sub(self, argv: list[str]) -> Invocation:
        """The same context for a nested command (``sh -c``, ``run-as``, ``cmd``)."""
        return Invocation(argv, self.host, self.stdin, self.stdout, self.stderr, self.env, self.cwd, self.uid)


Handler = Callable[[Invocation], "int | Awaitable[int]"]


class Registry:
    """The device's executables: name → handler."""

    def __init__(self) -> None:
        self._commands: dict[str, Handler] = {}

    def add(self, name: str, handler: Handler) -> None:
        self._commands[name] = handler

    def command(self, *names: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            for name in names:
                self._commands[name] = fn
            return fn

        return register

    def find(self, name: str) -> Handler | None:
        if "/" in name:
            for prefix in _BIN_DIRS:
                if name.startswith(prefix) and "/" not in name[len(prefix) :]:
                    return self._commands.get(name[len(prefix) :])
            return None
        return self._commands.get(name)

    def names(self) -> list[str]:
        return sorted(self._commands)


class ShellHost(Protocol):
    """What the shell needs from a device."""

    name: str
    commands: Registry
    fs: FileSystem

    def internal_error(self, argv: list[str], exc: BaseException) -> None: ...


# -- expansion ------------------------------------------------------------------------------------

def _expand(word: Word, env: dict[str, str]) -> str:
    out: list[str] = []
    for text, expand in word.parts:
        out.append(_expand_vars(text, env) if expand else text)
    return "".join(out)


def _expand_vars(text: str, env: dict[str, str]) -> str:
    if "$" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "$" or i + 1 >= len(text):
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in "?$#!0":
            out.append(env.get(nxt, ""))
            i += 2
        elif nxt == "{":
            end = text.find("}", i)
            name = text[i + 2 : end] if end > 0 else ""
            out.append(env.get(name, ""))
            i = end + 1 if end > 0 else len(text)
        elif nxt.isalnum() or nxt == "_":
            j = i + 1
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(env.get(text[i + 1 : j], ""))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


# -- execution ------------------------------------------------------------------------------------

async def run_script(text: str, inv: Invocation) -> int:
    """Run a command line the way ``sh -c TEXT`` would; returns the exit status."""
    try:
        lists = parse(text)
    except ShellSyntaxError as exc:
        inv.err(f"{SH}: {exc}\n")
        return 1
    status = int(inv.env.get("?", "0"))
    for and_or in lists:
        status = await _run_and_or(and_or, inv)
        inv.env["?"] = str(status)
        if "__exit__" in inv.env:
            return int(inv.env["__exit__"])
    return status


async def _run_and_or(node: AndOr, inv: Invocation) -> int:
    status = await _run_pipeline(node.first, inv)
    for op, pipeline in node.rest:
        inv.env["?"] = str(status)
        if (op == "&&") == (status == 0):
            status = await _run_pipeline(pipeline, inv)
    return status


async def _run_pipeline(pipeline: Pipeline, inv: Invocation) -> int:
    commands = pipeline.commands
    if len(commands) == 1:
        status = await _run_simple(commands[0], inv, inv.stdin, inv.stdout)
    else:
        status = await _run_piped(commands, inv)
    if pipeline.negate:
        status = 0 if status else 1
    return status


async def _run_piped(commands: list[SimpleCommand], inv: Invocation) -> int:
    tasks: list[asyncio.Task[int]] = []
    stdin = inv.stdin
    for index, cmd in enumerate(commands):
        last = index == len(commands) - 1
        pipe = None if last else Input()
        stdout = inv.stdout if pipe is None else Output(pipe.feed)
        tasks.append(asyncio.ensure_future(_run_simple(cmd, inv, stdin, stdout, closes=pipe)))
        if pipe is not None:
            stdin = pipe
    try:
        status = await tasks[-1]
    finally:
        # The reader is gone: the writers die as they would of SIGPIPE.
        for task in tasks[:-1]:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks[:-1], return_exceptions=True)
    return status


async def _run_simple(cmd: SimpleCommand, inv: Invocation, stdin: Input, stdout: Output,
                      closes: Input | None = None) -> int:
    try:
        argv = [_expand(w, inv.env) for w in cmd.words]
        while argv and _ASSIGNMENT.match(argv[0]):
            name, _, value = argv.pop(0).partition("=")
            inv.env[name] = value
        sub = Invocation(argv, inv.host, stdin, stdout, inv.stderr, inv.env, inv.cwd, inv.uid)
        if not _apply_redirects(cmd.redirects, sub):
            return 1
        if not argv:
            return 0
        return await run_argv(sub)
    finally:
        if closes is not None:
            closes.close()


def _apply_redirects(redirects: list[Redirect], inv: Invocation) -> bool:
    for red in redirects:
        if isinstance(red.target, int):
            if red.fd == 2:
                inv.stderr = inv.stdout
            else:
                inv.stdout = inv.stderr
            continue
        path = _expand(red.target, inv.env)
        fs, full, cred = inv.host.fs, inv.host.fs.resolve(path, inv.cwd), cred_for(inv.uid)
        try:
            if red.op == "<":
                inv.stdin = Input.of(fs.read_as(full, cred))
                continue
            writer = fs.open_write(full, cred, append=red.op == ">>")
        except FsError as exc:  # mksh exec.c iosetup: "can't open|create PATH: strerror"
            inv.err(f"{SH}: can't {'open' if red.op == '<' else 'create'} {path}: {exc.reason}\n")
            return False
        if red.fd == 2:
            inv.stderr = Output(writer)
        else:
            inv.stdout = Output(writer)
    return True


async def run_argv(inv: Invocation) -> int:
    """Find and run one executable; unknown names get mksh's text and exit 127."""
    name = inv.argv[0]
    handler = inv.host.commands.find(name)
    if handler is None:
        inv.err(f"{SH}: {name}: inaccessible or not found\n")
        return 127
    try:
        result = handler(inv)
        if inspect.isawaitable(result):
            result = await result
        return int(result) & 0xFF
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a model bug must answer as a failed command, not kill the lab
        inv.host.internal_error(inv.argv, exc)
        inv.err(f"{name}: internal error: {type(exc).__name__}\n")
        return 255
