"""What the power services share with Android's ``ShellCommand``: argument cursor, default verbs, Java texts.

The argument rules are ``BasicShellCommandHandler.getNextOption``/``getNextArg`` (frameworks/libs/modules-utils):
``-dVALUE`` splits into the option ``-d`` and its data, ``--`` ends the options. ``handleDefaultCommands`` prints
the help for no verb, ``help`` and ``-h``, ``Unknown command: X`` otherwise, and both return -1; ``dump`` runs the
service's dump. An exception escaping a verb is printed to stderr the way ``BasicShellCommandHandler.exec`` does
(a blank line, ``Exception occurred while executing 'VERB':`` and the Java exception line) and the result is -1.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.lab.android.shell.runtime import Invocation

__all__ = [
    "JavaException",
    "ShellCommand",
    "java_bool",
    "java_float",
    "java_hash",
    "java_scale",
    "parse_int",
    "parse_long",
]

_INTEGER = re.compile(r"[+-]?\d+")


class JavaException(Exception):
    """An exception the Java service would throw; ``java_line`` is what ``printStackTrace`` prints first."""

    def __init__(self, java_line: str) -> None:
        super().__init__(java_line)
        self.java_line = java_line


def _parse(text: str, bits: int) -> int:
    limit = 1 << (bits - 1)
    if not _INTEGER.fullmatch(text) or not -limit <= int(text) < limit:
        raise JavaException(f'java.lang.NumberFormatException: For input string: "{text}"')
    return int(text)


def parse_int(text: str) -> int:
    """``Integer.parseInt``: an optional sign and ASCII digits, in 32 bits."""
    return _parse(text, 32)


def parse_long(text: str) -> int:
    """``Long.parseLong``: an optional sign and ASCII digits, in 64 bits."""
    return _parse(text, 64)


def java_bool(value: bool) -> str:
    return "true" if value else "false"


def java_float(value: float) -> str:
    """``String.valueOf(float)`` for the plain values the power services print (``2.0``, ``20.0``)."""
    return repr(_f32(value))


def _f32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def java_scale(value: int, factor: float) -> int:
    """``(long) (value * factor)`` with a float factor: Java multiplies in single precision."""
    return int(_f32(_f32(value) * _f32(factor)))


def java_hash(text: str) -> int:
    """``String.hashCode`` as a signed 32-bit int: ``ArrayMap`` keeps its keys in this order."""
    data = text.encode("utf-16-le")
    h = 0
    for (unit,) in struct.iter_unpack("<H", data):  # Java strings are UTF-16 code units
        h = (31 * h + unit) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


@dataclass
class ShellCommand:
    """One ``onShellCommand`` call: the argument cursor and the two print writers."""

    args: list[str]
    out: Callable[[str], None]
    err: Callable[[str], None]
    pos: int = 0
    cur_data: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, inv: Invocation, args: list[str], *, via_dump: bool) -> ShellCommand:
        # A shell command reached through `dumpsys` gets no error fd, and getErrPrintWriter() then falls
        # back to the output writer (BasicShellCommandHandler).
        return cls(list(args), inv.out, inv.out if via_dump else inv.err)

    def println(self, text: str = "") -> None:
        self.out(text + "\n")

    def next_option(self) -> str | None:
        if self.cur_data is not None:
            prev = self.args[self.pos - 1]
            raise JavaException(f'java.lang.IllegalArgumentException: No argument expected after "{prev}"')
        if self.pos >= len(self.args) or not self.args[self.pos].startswith("-"):
            return None
        arg = self.args[self.pos]
        self.pos += 1
        if arg == "--":
            return None
        if len(arg) > 2 and arg[1] != "-":
            self.cur_data = arg[2:]
            return arg[:2]
        return arg

    def next_arg(self) -> str | None:
        if self.cur_data is not None:
            arg, self.cur_data = self.cur_data, None
            return arg
        if self.pos < len(self.args):
            self.pos += 1
            return self.args[self.pos - 1]
        return None

    def default(self, cmd: str | None, help_text: str) -> int:
        """``handleDefaultCommands`` for everything but ``dump`` (the caller routes that one)."""
        if cmd is None or cmd in ("help", "-h"):
            self.out(help_text)
        else:
            self.println(f"Unknown command: {cmd}")
        return -1

    def run(self, verb: Callable[[ShellCommand, str | None], int]) -> int:
        """``exec``: take the verb, run it, and print a Java exception the way Android does."""
        cmd = self.next_arg()
        try:
            return verb(self, cmd)
        except JavaException as exc:
            self.err(f"\nException occurred while executing '{cmd}':\n{exc.java_line}\n")
            return -1
