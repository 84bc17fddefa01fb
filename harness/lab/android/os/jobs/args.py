"""``BasicShellCommandHandler``'s argument rules, which every ``cmd`` verb here shares.

Options are read before positional arguments; ``-u0`` is ``-u`` with the attached value ``0``; ``--``
ends the options; a missing value throws ``IllegalArgumentException("Argument expected after
\"<prev>\"")`` (frameworks/libs/modules-utils ``BasicShellCommandHandler.java``). Java exceptions are
modelled as :class:`JavaError` carrying the text of ``Throwable.toString()``.
"""

from __future__ import annotations

__all__ = ["JavaError", "ShellArgs", "parse_int", "parse_user"]

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
USER_ALL, USER_CURRENT = -1, -2


class JavaError(Exception):
    """A Java exception thrown inside ``onCommand``; ``str()`` is what ``Throwable.toString()`` gives."""

    def __init__(self, cls: str, message: str) -> None:
        super().__init__(f"{cls}: {message}")


def parse_int(text: str) -> int:
    """``Integer.parseInt``: optional sign, decimal digits, 32-bit range (libcore/OpenJDK message)."""
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        raise JavaError("java.lang.NumberFormatException", f'For input string: "{text}"')
    value = int(text)
    if not _INT_MIN <= value <= _INT_MAX:
        raise JavaError("java.lang.NumberFormatException", f'For input string: "{text}"')
    return value


def parse_user(text: str) -> int:
    """``UserHandle.parseUserArg``: ``all`` → -1, ``current``/``cur`` → -2, else an int."""
    if text == "all":
        return USER_ALL
    if text in ("current", "cur"):
        return USER_CURRENT
    return parse_int(text)


class ShellArgs:
    """The arguments after the verb, read the way ``BasicShellCommandHandler`` reads them."""

    def __init__(self, verb: str, args: list[str]) -> None:
        self._args = [verb, *args]
        self._pos = 1
        self._attached: str | None = None

    def next_option(self) -> str | None:
        if self._attached is not None:
            prev = self._args[self._pos - 1]
            raise JavaError("java.lang.IllegalArgumentException", f'No argument expected after "{prev}"')
        if self._pos >= len(self._args):
            return None
        arg = self._args[self._pos]
        if not arg.startswith("-"):
            return None
        self._pos += 1
        if arg == "--":
            return None
        if len(arg) > 2 and arg[1] != "-":
            self._attached = arg[2:]
            return arg[:2]
        return arg

    def next_arg(self) -> str | None:
        if self._attached is not None:
            value, self._attached = self._attached, None
            return value
        if self._pos < len(self._args):
            self._pos += 1
            return self._args[self._pos - 1]
        return None

    def next_arg_required(self) -> str:
        value = self.next_arg()
        if value is None:
            prev = self._args[self._pos - 1]
            raise JavaError("java.lang.IllegalArgumentException", f'Argument expected after "{prev}"')
        return value
