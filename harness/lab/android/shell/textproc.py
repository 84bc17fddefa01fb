"""toybox ``sed`` (toys/posix/sed.c) for what adb users type: ``s///`` (g, p, N, I), p, d, q, =, line/``$``/regex
addresses and ranges, ``-n``, ``-e``, ``-E``/``-r``, ``-i`` on files. Errors are toybox's: ``sed: bad pattern
'k;p'@2 (;)`` (sed.c ``parse_line``), ``sed: FILE: No such file or directory``.

``awk`` is in ``awk.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.lab.android.shell.awk import awk
from harness.lab.android.shell.runtime import Invocation, Registry
from harness.lab.android.shell.toybox import read_inputs, usage_error, write_file

__all__ = ["bre_to_python", "install", "sed"]


class SedError(Exception):
    pass


_BRE_SPECIAL = {"(": "(", ")": ")", "{": "{", "}": "}", "+": "+", "?": "?", "|": "|"}


def bre_to_python(pattern: str, extended: bool) -> str:
    """A POSIX basic (or extended) regular expression as a Python one."""
    if extended:
        return pattern
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(_BRE_SPECIAL.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append("\\" + c if c in "(){}+?|" else c)
        i += 1
    return "".join(out)


@dataclass(slots=True)
class _Address:
    line: int | None = None
    last: bool = False
    regex: re.Pattern[str] | None = None

    def matches(self, number: int, text: str, is_last: bool) -> bool:
        if self.last:
            return is_last
        if self.line is not None:
            return number == self.line
        return self.regex is not None and self.regex.search(text) is not None


@dataclass(slots=True)
class _Command:
    op: str
    first: _Address | None = None
    second: _Address | None = None
    regex: re.Pattern[str] | None = None
    replacement: str = ""
    count: int = 1  # 0: every match (g)
    print_: bool = False
    in_range: bool = field(default=False)


class _ScriptParser:
    def __init__(self, text: str, extended: bool) -> None:
        self.s = text
        self.i = 0
        self.extended = extended

    def commands(self) -> list[_Command]:
        out: list[_Command] = []
        while True:
            self._skip(" \t\n;")
            if self.i >= len(self.s):
                return out
            out.append(self._command())

    def _skip(self, chars: str) -> None:
        while self.i < len(self.s) and self.s[self.i] in chars:
            self.i += 1

    def _address(self) -> _Address | None:
        s = self.s
        if self.i < len(s) and s[self.i].isdigit():
            match = re.match(r"\d+", s[self.i :])
            assert match is not None
            self.i += match.end()
            return _Address(line=int(match.group()))
        if s.startswith("$", self.i):
            self.i += 1
            return _Address(last=True)
        if s.startswith("/", self.i) or s.startswith("\\", self.i):
            delim = s[self.i + 1] if s[self.i] == "\\" else "/"
            self.i += 2 if s[self.i] == "\\" else 1
            return _Address(regex=self._regex(self._until(delim)))
        return None

    def _until(self, delim: str) -> str:
        out: list[str] = []
        while self.i < len(self.s) and self.s[self.i] != delim:
            if self.s[self.i] == "\\" and self.i + 1 < len(self.s):
                nxt = self.s[self.i + 1]
                out.append(nxt if nxt == delim else "\\" + nxt)
                self.i += 2
                continue
            out.append(self.s[self.i])
            self.i += 1
        if self.i >= len(self.s):
            raise SedError(f"unmatched '{delim}'")
        self.i += 1
        return "".join(out)

    def _regex(self, text: str, flags: int = 0) -> re.Pattern[str]:
        try:
            return re.compile(bre_to_python(text, self.extended), flags)
        except re.error:
            raise SedError(f"bad regex '{text}'") from None

    def _command(self) -> _Command:
        start = self.i
        first = self._address()
        second = None
        if first is not None and self.s.startswith(",", self.i):
            self.i += 1
            second = self._address()
        self._skip(" \t")
        if self.i >= len(self.s):
            raise SedError("missing command")
        op = self.s[self.i]
        self.i += 1
        cmd = _Command(op, first, second)
        if op == "s":
            self._substitution(cmd)
        elif op not in "pdq=":
            # sed.c parse_line: error_exit("bad pattern '%s'@%ld (%c)") from the command's start, at the char
            # after the command letter (a NUL at the end of the script)
            here = self.s[self.i] if self.i < len(self.s) else "\0"
            raise SedError(f"bad pattern '{self.s[start:]}'@{self.i - start + 1} ({here})")
        return cmd

    def _substitution(self, cmd: _Command) -> None:
        if self.i >= len(self.s):
            raise SedError("unmatched 's'")
        delim = self.s[self.i]
        self.i += 1
        pattern = self._until(delim)
        cmd.replacement = self._until(delim)
        flags = 0
        while self.i < len(self.s) and self.s[self.i] not in ";\n}":
            c = self.s[self.i]
            self.i += 1
            if c == "g":
                cmd.count = 0
            elif c == "p":
                cmd.print_ = True
            elif c in "iI":
                flags |= re.IGNORECASE
            elif c.isdigit():
                cmd.count = int(c)
            elif c not in " \t":
                raise SedError(f"bad option '{c}'")
        cmd.regex = self._regex(pattern, flags)


def _expand_replacement(template: str, match: re.Match[str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(template):
        c = template[i]
        if c == "\\" and i + 1 < len(template):
            nxt = template[i + 1]
            out.append(match.group(int(nxt)) or "" if nxt.isdigit() else "\n" if nxt == "n" else
                       "\t" if nxt == "t" else nxt)
            i += 2
            continue
        out.append(match.group() if c == "&" else c)
        i += 1
    return "".join(out)


def _substitute(cmd: _Command, text: str) -> tuple[str, bool]:
    assert cmd.regex is not None
    seen = 0
    changed = False

    def one(match: re.Match[str]) -> str:
        nonlocal seen, changed
        seen += 1
        if cmd.count and seen != cmd.count:
            return match.group()
        changed = True
        return _expand_replacement(cmd.replacement, match)

    result = cmd.regex.sub(one, text, count=0 if not cmd.count else cmd.count)
    return result, changed


def _selected(cmd: _Command, number: int, text: str, is_last: bool) -> bool:
    if cmd.first is None:
        return True
    if cmd.second is None:
        return cmd.first.matches(number, text, is_last)
    if cmd.in_range:
        end = cmd.second
        if (end.line is not None and number >= end.line) or end.matches(number, text, is_last):
            cmd.in_range = False
        return True
    if cmd.first.matches(number, text, is_last):
        cmd.in_range = not (cmd.second.line is not None and cmd.second.line <= number)
        return True
    return False


def _run(commands: list[_Command], lines: list[str], quiet: bool) -> list[str]:
    out: list[str] = []
    for index, line in enumerate(lines):
        number, is_last = index + 1, index == len(lines) - 1
        text, newline = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        deleted = quit_ = False
        for cmd in commands:
            if not _selected(cmd, number, text, is_last):
                continue
            if cmd.op == "s":
                text, changed = _substitute(cmd, text)
                if changed and cmd.print_:
                    out.append(text + "\n")
            elif cmd.op == "p":
                out.append(text + "\n")
            elif cmd.op == "=":
                out.append(f"{number}\n")
            elif cmd.op == "d":
                deleted = True
                break
            elif cmd.op == "q":
                quit_ = True
                break
        if not deleted and not quiet:
            out.append(text + newline)
        if quit_:
            break
    return out


async def sed(inv: Invocation) -> int:
    args = inv.argv[1:]
    scripts: list[str] = []
    files: list[str] = []
    quiet = extended = in_place = False
    while args:
        arg = args.pop(0)
        if arg == "-e" and args:
            scripts.append(args.pop(0))
        elif arg.startswith("-") and len(arg) > 1 and set(arg[1:]) <= set("nErsi"):
            quiet, extended = quiet or "n" in arg, extended or "E" in arg or "r" in arg
            in_place = in_place or "i" in arg
        elif arg.startswith("-") and len(arg) > 1:
            usage_error(inv, f"Unknown option '{arg[1:2]}'")
            return 1
        else:
            files.append(arg)
    if not scripts:
        if not files:
            usage_error(inv, "Needs 1 argument")
            return 1
        scripts.append(files.pop(0))
    try:
        commands = _ScriptParser("\n".join(scripts), extended).commands()
    except SedError as exc:
        inv.err(f"sed: {exc}\n")
        return 1
    if in_place:
        return await _in_place(inv, commands, files, quiet)
    inputs, status = await read_inputs(inv, files)
    lines = [line for _name, data in inputs for line in data.decode(errors="replace").splitlines(keepends=True)]
    inv.out("".join(_run(commands, lines, quiet)))
    return status


async def _in_place(inv: Invocation, commands: list[_Command], files: list[str], quiet: bool) -> int:
    inputs, status = await read_inputs(inv, files)
    for name, data in inputs:
        for cmd in commands:
            cmd.in_range = False
        text = "".join(_run(commands, data.decode(errors="replace").splitlines(keepends=True), quiet))
        refused = write_file(inv, name, text.encode())
        if refused is not None:
            inv.err(f"sed: {name}: {refused}\n")
            status = 1
    return status


def install(reg: Registry) -> None:
    reg.add("sed", sed)
    reg.add("awk", awk)
