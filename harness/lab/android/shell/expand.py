"""mksh's word expansion: parameters, ``$(…)``/backticks, ``$((…))``, field splitting on IFS and globbing.

``${x:?}`` and arithmetic errors print mksh's texts (mksh R59c var.c/eval.c: ``x: parameter null or not set``,
expr.c: see ``arith.py``) and end a non-interactive shell, as mksh does.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from harness.lab.android.os.ids import Cred, cred_for
from harness.lab.android.shell.arith import ArithError, evaluate
from harness.lab.android.shell.parse import Arith, CmdSub, Lit, Param, Part, Script, Word
from harness.lab.android.vfs import FsError, Node

if TYPE_CHECKING:
    from harness.lab.android.shell.runtime import Invocation
    from harness.lab.android.vfs import FileSystem

__all__ = ["Capture", "ExpandError", "Expander", "glob_escape"]

# Runs a command substitution's body in a subshell: (its stdout, its exit status).
Capture = Callable[[Script, "Invocation"], Awaitable[tuple[str, int]]]
_GLOB_CHARS = re.compile(r"[*?\[]")
_DEFAULT_IFS = " \t\n"


class ExpandError(Exception):
    """The message is what mksh prints after ``/system/bin/sh: ``; the shell then exits with status 1."""


def glob_escape(text: str) -> str:
    """``text`` as an fnmatch pattern that matches only itself."""
    return _GLOB_CHARS.sub(lambda m: f"[{m.group()}]", text)


class Expander:
    def __init__(self, inv: Invocation, capture: Capture) -> None:
        self.inv = inv
        self.capture = capture

    # ---- entry points
    async def fields(self, words: list[Word]) -> list[str]:
        """The argv of a command: every word expanded, split and globbed."""
        out: list[str] = []
        for word in words:
            if (plain := word.plain) is not None and not _GLOB_CHARS.search(plain):
                out.append(plain)  # the fast path: most words are plain text
                continue
            out.extend(await self.word_fields(word))
        return out

    async def word_fields(self, word: Word) -> list[str]:
        builder = _Fields()
        globbing = False
        for part in word.parts:
            if isinstance(part, Lit):
                builder.add(glob_escape(part.text) if part.quoted else part.text, part.quoted)
                globbing = globbing or (not part.quoted and bool(_GLOB_CHARS.search(part.text)))
            elif isinstance(part, Param) and part.name == "@" and part.quoted and not part.op:
                builder.add_each([glob_escape(p) for p in self.inv.state.positional])
            elif part.quoted:
                builder.add(glob_escape(await self.value(part)), True)
            else:
                builder.split(await self.value(part), self.inv.env.get("IFS", _DEFAULT_IFS))
        fields = builder.done()
        if not globbing:
            return [_unescape(f) for f in fields]
        out: list[str] = []
        for pattern in fields:
            out.extend(self.glob(pattern) or [_unescape(pattern)])
        return out

    async def text(self, word: Word) -> str:
        """One word without field splitting or globbing (assignments, redirection targets, heredocs)."""
        if (plain := word.plain) is not None:
            return plain
        out: list[str] = []
        for part in word.parts:
            out.append(part.text if isinstance(part, Lit) else await self.value(part))
        return "".join(out)

    async def pattern(self, word: Word) -> str:
        """A ``case`` pattern: quoted text matches literally, the rest is a glob."""
        out: list[str] = []
        for part in word.parts:
            if isinstance(part, Lit):
                out.append(glob_escape(part.text) if part.quoted else part.text)
            else:
                value = await self.value(part)
                out.append(glob_escape(value) if part.quoted else value)
        return "".join(out)

    # ---- parts
    async def value(self, part: Part) -> str:
        if isinstance(part, Lit):
            return part.text
        if isinstance(part, Param):
            return await self.param(part)
        if isinstance(part, CmdSub):
            out, status = await self.capture(part.body, self.inv)
            self.inv.env["?"] = str(status)
            return out.rstrip("\n")
        assert isinstance(part, Arith)
        expr = await self.text(part.expr)
        try:
            return str(evaluate(expr, self.inv.env))
        except ArithError as exc:
            raise ExpandError(str(exc)) from None

    def lookup(self, name: str) -> str | None:
        state = self.inv.state
        if name.isdigit():
            index = int(name)
            if index == 0:
                return state.arg0
            return state.positional[index - 1] if index <= len(state.positional) else None
        if name == "#":
            return str(len(state.positional))
        if name in ("@", "*"):
            return " ".join(state.positional) if state.positional else None
        if name == "-":
            return "hc"
        if name == "__exit__":
            return None
        return self.inv.env.get(name)

    async def param(self, part: Param) -> str:
        value = self.lookup(part.name)
        op = part.op
        if op == "":
            return value or ""
        if op == "len":
            return str(len(value or ""))
        missing = value is None or (op.startswith(":") and value == "")
        if op in (":-", "-"):
            return await self._arg(part) if missing else value or ""
        if op in (":=", "="):
            if missing:
                value = await self._arg(part)
                self.inv.env[part.name] = value
            return value or ""
        if op in (":+", "+"):
            return "" if missing else await self._arg(part)
        if op in (":?", "?"):
            if missing:
                message = await self._arg(part) or ("parameter null or not set" if op == ":?" else
                                                    "parameter not set")
                raise ExpandError(f"{part.name}: {message}")
            return value or ""
        return _trim(value or "", op, await self._arg_pattern(part))

    async def _arg(self, part: Param) -> str:
        return await self.text(part.arg) if part.arg is not None else ""

    async def _arg_pattern(self, part: Param) -> str:
        return await self.pattern(part.arg) if part.arg is not None else ""

    # ---- globbing over the virtual file system
    def glob(self, pattern: str) -> list[str]:
        fs, cred = self.inv.host.fs, cred_for(self.inv.uid)
        parts = [p for p in pattern.split("/") if p]
        found = ["/" if pattern.startswith("/") else ""]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            nxt: list[str] = []
            for prefix in found:
                if not _GLOB_CHARS.search(part):
                    candidate = posixpath.join(prefix, _unescape(part)) if prefix else _unescape(part)
                    if _exists(fs, fs.resolve(candidate, self.inv.cwd), cred):
                        nxt.append(candidate)
                    continue
                for name, node in _entries(fs, fs.resolve(prefix or ".", self.inv.cwd), cred):
                    if name.startswith(".") and not part.startswith("."):
                        continue
                    if fnmatch.fnmatchcase(name, part) and (last or node.is_dir):
                        nxt.append(posixpath.join(prefix, name) if prefix else name)
            found = nxt
        return sorted(found)


def _exists(fs: FileSystem, path: str, cred: Cred) -> bool:
    try:
        fs.lookup(path, cred)
    except FsError:
        return False
    return True


def _entries(fs: FileSystem, path: str, cred: Cred) -> list[tuple[str, Node]]:
    """A directory the caller may read; none for one it may not (glob skips it silently, as glob(3) does)."""
    try:
        return fs.list_as(path, cred)
    except FsError:
        return []


class _Fields:
    """Builds argv fields: text appends to the current field, unquoted expansions split it."""

    def __init__(self) -> None:
        self.fields: list[str] = []
        self.cur: list[str] = []
        self.have = False

    def add(self, text: str, quoted: bool) -> None:
        self.cur.append(text)
        self.have = self.have or quoted or bool(text)

    def flush(self) -> None:
        if self.have:
            self.fields.append("".join(self.cur))
        self.cur, self.have = [], False

    def add_each(self, values: list[str]) -> None:
        for index, value in enumerate(values):
            if index:
                self.flush()
            self.add(value, True)

    def split(self, value: str, ifs: str) -> None:
        if not value:
            return
        if not ifs:
            self.add(glob_escape(value), False)
            return
        pieces = re.split(f"[{re.escape(ifs)}]+", value)
        for index, piece in enumerate(pieces):
            if index:
                self.flush()
            self.add(piece, False)

    def done(self) -> list[str]:
        self.flush()
        return self.fields


def _unescape(pattern: str) -> str:
    return re.sub(r"\[([*?\[])\]", r"\1", pattern)


def _trim(value: str, op: str, pattern: str) -> str:
    """``${x#p}`` ``${x##p}`` (shortest/longest prefix) and ``${x%p}`` ``${x%%p}`` (suffix)."""
    sizes = range(len(value) + 1)
    if op in ("#", "##"):
        order = sizes if op == "#" else reversed(sizes)
        for size in order:
            if fnmatch.fnmatchcase(value[:size], pattern):
                return value[size:]
        return value
    order = sizes if op == "%" else reversed(sizes)
    for size in order:
        if fnmatch.fnmatchcase(value[len(value) - size :], pattern):
            return value[: len(value) - size]
    return value
