"""Runs parsed command lines against a virtual device: lists, pipes, redirections, compound commands, exit codes.

A command is a function ``handler(inv) -> int`` (or an async one). It writes to ``inv.stdout``/
``inv.stderr`` and reads ``inv.stdin``. Long-running commands (``logcat``, ``sleep``) are async and
are cancelled when the adb stream closes or when the reader of their pipe exits, as SIGPIPE would.
Shell functions, positional parameters and ``break``/``continue``/``return`` live here (``ShellState``);
word expansion is ``expand.py``, ``$((…))`` is ``arith.py``.
"""

from __future__ import annotations

import asyncio
import fnmatch
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from harness.lab.android.os.ids import cred_for
from harness.lab.android.shell.expand import Expander, ExpandError
from harness.lab.android.shell.parse import (
    AndOr,
    Case,
    Command,
    For,
    FuncDef,
    Group,
    If,
    Pipeline,
    Redirect,
    Script,
    ShellSyntaxError,
    SimpleCommand,
    While,
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
    "ShellState",
    "run_script",
]

log = logging.getLogger(__name__)
SH = "/system/bin/sh"
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
        self._back = b""

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

    def unread(self, data: bytes) -> None:
        """Give back what a reader took past its line (``read``), for the next reader of this stdin."""
        self._back = data + self._back

    async def read(self) -> bytes:
        if self._back:
            data, self._back = self._back, b""
            return data
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
class ShellState:
    """What one shell (or subshell) keeps besides its variables: functions and positional parameters."""

    functions: dict[str, Command] = field(default_factory=dict)
    positional: list[str] = field(default_factory=list)
    arg0: str = "/system/bin/sh"
    in_function: int = 0
    loops: int = 0
    errexit: bool = False  # set -e
    testing: int = 0  # inside an if/while/until condition, where set -e does not apply
    # one frame per running function: the values ``local`` hid (None: the name was unset)
    frames: list[dict[str, str | None]] = field(default_factory=list)

    def copy(self) -> ShellState:
        return ShellState(dict(self.functions), list(self.positional), self.arg0, self.in_function, self.loops,
                          self.errexit, self.testing, [dict(f) for f in self.frames])


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
    state: ShellState = field(default_factory=ShellState)

    def out(self, text: str) -> None:
        self.stdout.write(text)

    def err(self, text: str) -> None:
        self.stderr.write(text)

    def sub(self, argv: list[str]) -> Invocation:
        """The same context for a nested command (``sh -c``, ``run-as``, ``cmd``)."""
        return Invocation(argv, self.host, self.stdin, self.stdout, self.stderr, self.env, self.cwd, self.uid,
                          self.state)

    def subshell(self) -> Invocation:
        """A ``( … )`` or ``$( … )`` child: its variables, cwd and functions are copies."""
        env = {k: v for k, v in self.env.items() if k != "__exit__"}
        return Invocation(self.argv, self.host, self.stdin, self.stdout, self.stderr, env, self.cwd, self.uid,
                          self.state.copy())


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


# -- control flow ---------------------------------------------------------------------------------

class _Exit(Exception):
    pass


class _Loop(Exception):
    def __init__(self, levels: int, again: bool) -> None:
        super().__init__(levels)
        self.levels = levels
        self.again = again


class _Return(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


# -- execution ------------------------------------------------------------------------------------

async def run_script(text: str, inv: Invocation) -> int:
    """Run a command line the way ``sh -c TEXT`` would; returns the exit status."""
    try:
        script = parse(text)
    except ShellSyntaxError as exc:
        inv.err(f"{SH}: {exc}\n")
        return 1
    return await _run_isolated(script, inv)


async def run_list(script: Script, inv: Invocation) -> int:
    status = int(inv.env.get("?", "0"))
    for and_or in script:
        status, checked = await _run_and_or(and_or, inv)
        inv.env["?"] = str(status)
        if status and checked and inv.state.errexit and not inv.state.testing:
            inv.env["__exit__"] = str(status)  # set -e: a failed command that is not a test ends the shell
        if "__exit__" in inv.env:
            raise _Exit
    return status


async def _test_list(script: Script, inv: Invocation) -> int:
    """An if/while/until condition: ``set -e`` does not apply inside it (POSIX, mksh)."""
    inv.state.testing += 1
    try:
        return await run_list(script, inv)
    finally:
        inv.state.testing -= 1


async def _capture(script: Script, inv: Invocation) -> tuple[str, int]:
    """``$(…)``: the body in a subshell with its stdout collected."""
    out = bytearray()
    child = inv.subshell()
    child.stdout = Output(out.extend)
    child.stdin = Input.of(b"")
    status = await _run_isolated(script, child)
    return out.decode(errors="replace"), status


async def _run_isolated(script: Script, child: Invocation) -> int:
    """A whole shell's run: ``exit``, a stray ``break`` or ``return`` end it with their status."""
    try:
        return await run_list(script, child)
    except _Exit:
        return int(child.env["__exit__"])
    except _Loop:
        return 0
    except _Return as ret:
        return ret.status


async def _run_and_or(node: AndOr, inv: Invocation) -> tuple[int, bool]:
    """The status, and whether it came from the list's last pipeline, un-negated (what ``set -e`` checks)."""
    status = await _run_pipeline(node.first, inv)
    last = node.first
    for op, pipeline in node.rest:
        inv.env["?"] = str(status)
        if (op == "&&") == (status == 0):
            status = await _run_pipeline(pipeline, inv)
            last = pipeline
    return status, last is (node.rest[-1][1] if node.rest else node.first) and not last.negate


async def _run_pipeline(pipeline: Pipeline, inv: Invocation) -> int:
    commands = pipeline.commands
    if len(commands) == 1:
        status = await _run_command(commands[0], inv)
    else:
        status = await _run_piped(commands, inv)
    if pipeline.negate:
        status = 0 if status else 1
    return status


async def _run_piped(commands: list[Command], inv: Invocation) -> int:
    """Every element runs at once; all but the last in a subshell (mksh runs the last in the shell itself)."""
    tasks: list[asyncio.Task[int]] = []
    stdin = inv.stdin
    for index, cmd in enumerate(commands):
        last = index == len(commands) - 1
        pipe = None if last else Input()
        stage = inv if last else inv.subshell()
        stage = _with_io(stage, stdin, inv.stdout if pipe is None else Output(pipe.feed))
        tasks.append(asyncio.ensure_future(_run_stage(cmd, stage, pipe, share=last, parent=inv)))
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


def _with_io(inv: Invocation, stdin: Input, stdout: Output) -> Invocation:
    return Invocation(inv.argv, inv.host, stdin, stdout, inv.stderr, inv.env, inv.cwd, inv.uid, inv.state)


async def _run_stage(cmd: Command, stage: Invocation, closes: Input | None, share: bool,
                     parent: Invocation) -> int:
    try:
        if share:
            status = await _run_command(cmd, stage)
            parent.cwd = stage.cwd
            return status
        return await _run_isolated([AndOr(Pipeline([cmd]))], stage)
    finally:
        if closes is not None:
            closes.close()


async def _run_command(cmd: Command, inv: Invocation) -> int:
    if isinstance(cmd, SimpleCommand):
        return await _run_simple(cmd, inv)
    scoped = _with_io(inv, inv.stdin, inv.stdout)
    try:
        if not await _apply_redirects(cmd.redirects, scoped):
            return 1
    except ExpandError as exc:
        return _fatal(exc, inv)
    try:
        status = await _COMPOUND[type(cmd)](cmd, scoped)
    except ExpandError as exc:
        return _fatal(exc, inv)
    finally:
        inv.cwd = scoped.cwd
    return status


def _fatal(exc: ExpandError, inv: Invocation) -> int:
    inv.err(f"{SH}: {exc}\n")
    inv.env["__exit__"] = "1"
    return 1


async def _run_if(node: Command, inv: Invocation) -> int:
    assert isinstance(node, If)
    for cond, body in node.branches:
        if await _test_list(cond, inv) == 0:
            return await run_list(body, inv)
    return await run_list(node.orelse, inv) if node.orelse is not None else 0


async def _loop_body(body: Script, inv: Invocation) -> tuple[int, bool]:
    """Runs one pass; returns (status, stop)."""
    inv.state.loops += 1
    try:
        return await run_list(body, inv), False
    except _Loop as jump:
        if jump.levels > 1:
            raise _Loop(jump.levels - 1, jump.again) from None
        return 0, not jump.again
    finally:
        inv.state.loops -= 1


async def _run_for(node: Command, inv: Invocation) -> int:
    assert isinstance(node, For)
    expander = Expander(inv, _capture)
    items = list(inv.state.positional) if node.items is None else await expander.fields(node.items)
    status = 0
    for item in items:
        inv.env[node.var] = item
        status, stop = await _loop_body(node.body, inv)
        if stop:
            break
    return status


async def _run_while(node: Command, inv: Invocation) -> int:
    assert isinstance(node, While)
    status = 0
    while True:
        await asyncio.sleep(0)  # a busy loop must not starve the lab's other phones
        if (await _test_list(node.cond, inv) == 0) == node.until:
            return status
        status, stop = await _loop_body(node.body, inv)
        if stop:
            return status


async def _run_case(node: Command, inv: Invocation) -> int:
    assert isinstance(node, Case)
    expander = Expander(inv, _capture)
    subject = await expander.text(node.word)
    for patterns, body in node.arms:
        for pattern in patterns:
            if fnmatch.fnmatchcase(subject, await expander.pattern(pattern)):
                return await run_list(body, inv)
    return 0


async def _run_group(node: Command, inv: Invocation) -> int:
    assert isinstance(node, Group)
    if node.subshell:
        child = inv.subshell()
        status = await _run_isolated(node.body, child)
        return status
    return await run_list(node.body, inv)


async def _run_funcdef(node: Command, inv: Invocation) -> int:
    assert isinstance(node, FuncDef)
    inv.state.functions[node.name] = node.body
    return 0


_COMPOUND: dict[type, Callable[[Command, Invocation], Awaitable[int]]] = {
    If: _run_if, For: _run_for, While: _run_while, Case: _run_case, Group: _run_group, FuncDef: _run_funcdef,
}


async def _run_simple(cmd: SimpleCommand, inv: Invocation) -> int:
    expander = Expander(inv, _capture)
    try:
        argv = await (_literal_words(cmd.words, expander) if cmd.literal else expander.fields(cmd.words))
        assigned = {name: await expander.text(value) for name, value in cmd.assigns}
    except ExpandError as exc:
        return _fatal(exc, inv)
    sub = Invocation(argv, inv.host, inv.stdin, inv.stdout, inv.stderr, inv.env, inv.cwd, inv.uid, inv.state)
    if not argv:
        inv.env.update(assigned)
        if not await _apply_redirects(cmd.redirects, sub):
            return 1
        return int(inv.env.get("?", "0")) if cmd.assigns and _has_cmdsub(cmd) else 0
    if assigned:  # VAR=value cmd: the variable is the command's only
        sub.env = {**inv.env, **assigned}
    try:
        if not await _apply_redirects(cmd.redirects, sub):
            return 1
    except ExpandError as exc:
        return _fatal(exc, inv)
    status = await _dispatch(sub)
    inv.cwd = sub.cwd
    if assigned and "__exit__" in sub.env:
        inv.env["__exit__"] = sub.env["__exit__"]
    return status


async def _literal_words(words: list[Word], expander: Expander) -> list[str]:
    """``[[ … ]]``'s arguments: no splitting or globbing; a pattern after ``==`` ``=`` ``!=``."""
    out: list[str] = []
    for word in words:
        pattern = bool(out) and out[-1] in ("==", "=", "!=")
        out.append(await (expander.pattern(word) if pattern else expander.text(word)))
    return out


def _has_cmdsub(cmd: SimpleCommand) -> bool:
    return any("$(" in value.raw or "`" in value.raw for _name, value in cmd.assigns)


async def _dispatch(inv: Invocation) -> int:
    """Shell control words, then functions, then the device's executables."""
    name = inv.argv[0]
    if name in ("break", "continue"):
        return _jump(inv, again=name == "continue")
    if name == "return":
        raise _Return(_status_arg(inv))
    body = inv.state.functions.get(name)
    if body is not None:
        return await _call_function(body, inv)
    return await run_argv(inv)


def _status_arg(inv: Invocation) -> int:
    arg = inv.argv[1] if len(inv.argv) > 1 else inv.env.get("?", "0")
    return int(arg) & 0xFF if arg.lstrip("-").isdigit() else 0


def _jump(inv: Invocation, again: bool) -> int:
    levels = int(inv.argv[1]) if len(inv.argv) > 1 and inv.argv[1].isdigit() else 1
    if inv.state.loops == 0 or levels < 1:
        # mksh R59c funcs.c c_brkcont: a warning, not an error ("break: can't break", status 0)
        inv.err(f"{SH}: {inv.argv[0]}: can't {inv.argv[0]}\n")
        return 0
    raise _Loop(min(levels, inv.state.loops), again)


async def _call_function(body: Command, inv: Invocation) -> int:
    state = inv.state
    saved, saved_loops = state.positional, state.loops
    state.positional, state.loops = inv.argv[1:], 0
    state.in_function += 1
    state.frames.append({})
    try:
        return await _run_command(body, inv)
    except _Return as ret:
        return ret.status
    finally:
        state.positional, state.loops = saved, saved_loops
        state.in_function -= 1
        for name, old in state.frames.pop().items():
            if old is None:
                inv.env.pop(name, None)
            else:
                inv.env[name] = old


async def _apply_redirects(redirects: list[Redirect], inv: Invocation) -> bool:
    for red in redirects:
        if red.op == "close":
            continue
        if isinstance(red.target, int):
            source = inv.stdout if red.target == 1 else inv.stderr if red.target == 2 else None
            if source is None:
                continue
            if red.fd == 2:
                inv.stderr = source
            elif red.fd == 1:
                inv.stdout = source
            continue
        expander = Expander(inv, _capture)
        if red.op == "<<":
            inv.stdin = Input.of((await expander.text(red.target)).encode())
            continue
        path = await expander.text(red.target)
        if not _open_redirect(red, path, inv):
            return False
    return True


def _open_redirect(red: Redirect, path: str, inv: Invocation) -> bool:
    fs, cred = inv.host.fs, cred_for(inv.uid)
    full = fs.resolve(path, inv.cwd)
    try:
        if red.op == "<":
            inv.stdin = Input.of(fs.read_as(full, cred))
            return True
        writer = fs.open_write(full, cred, append=red.op == ">>")
    except FsError as exc:  # mksh R59c exec.c iosetup: "can't open|create PATH: strerror" (Tf_cant_ss_s)
        inv.err(f"{SH}: can't {'open' if red.op == '<' else 'create'} {path}: {exc.reason}\n")
        return False
    if red.fd == 2:
        inv.stderr = Output(writer)
    elif red.fd == 1:
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
