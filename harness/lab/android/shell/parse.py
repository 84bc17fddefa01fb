"""A parser for the part of mksh (Android's /system/bin/sh) that adb users type.

Supported: words with single/double quotes and backslashes, ``$?``/``$VAR``/``${VAR}``/``$$``
expansion, ``;`` ``&&`` ``||`` ``|`` ``!``, and the redirections ``>``, ``>>``, ``<``, ``2>``,
``2>>``, ``2>&1``, ``>&2``. Pure: text in, a tree out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AndOr", "Pipeline", "Redirect", "ShellSyntaxError", "SimpleCommand", "Word", "parse"]


class ShellSyntaxError(Exception):
    """The message is what mksh prints after ``/system/bin/sh: ``."""


@dataclass(frozen=True, slots=True)
class Word:
    # (text, expand): expand is False for text that came from single quotes.
    parts: tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class Redirect:
    fd: int  # 0, 1 or 2
    op: str  # ">", ">>", "<", ">&"
    target: Word | int


@dataclass(slots=True)
class SimpleCommand:
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class Pipeline:
    commands: list[SimpleCommand]
    negate: bool = False


@dataclass(slots=True)
class AndOr:
    # first pipeline, then (operator, pipeline) pairs with operator "&&" or "||"
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


_OPERATORS = ("&&", "||", ">>", "2>>", "2>&1", ">&2", "1>&2", "2>", "1>", ";", "|", "&", ">", "<", "\n")


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def tokens(self) -> list[str | Word]:
        out: list[str | Word] = []
        while True:
            self._skip_blanks()
            if self.i >= len(self.text):
                return out
            op = self._operator()
            if op is not None:
                out.append(op)
                continue
            out.append(self._word())

    def _skip_blanks(self) -> None:
        text = self.text
        while self.i < len(text):
            c = text[self.i]
            if c in " \t\r":
                self.i += 1
            elif c == "#" and (self.i == 0 or text[self.i - 1] in " \t\n;"):
                while self.i < len(text) and text[self.i] != "\n":
                    self.i += 1
            elif c == "\\" and text[self.i + 1 : self.i + 2] == "\n":
                self.i += 2
            else:
                return

    def _operator(self) -> str | None:
        for op in sorted(_OPERATORS, key=len, reverse=True):
            if self.text.startswith(op, self.i):
                # "2>" is an operator only at the start of a word
                if op[0] in "12" and self.i > 0 and self.text[self.i - 1] not in " \t\n;|&":
                    continue
                self.i += len(op)
                return op
        return None

    def _word(self) -> Word:
        parts: list[tuple[str, bool]] = []
        buf: list[str] = []
        text = self.text

        def flush(expand: bool) -> None:
            if buf:
                parts.append(("".join(buf), expand))
                buf.clear()

        while self.i < len(text):
            c = text[self.i]
            if c in " \t\r\n;|&<>":
                break
            if c == "'":
                flush(True)
                end = text.find("'", self.i + 1)
                if end < 0:
                    raise ShellSyntaxError("no closing quote")
                parts.append((text[self.i + 1 : end], False))
                # keep an empty '' as an argument
                if end == self.i + 1:
                    parts.append(("", False))
                self.i = end + 1
            elif c == '"':
                flush(True)
                self.i += 1
                self._double_quoted(parts)
            elif c == "\\":
                flush(True)
                if self.i + 1 < len(text):
                    parts.append((text[self.i + 1], False))
                self.i += 2
            else:
                buf.append(c)
                self.i += 1
        flush(True)
        return Word(tuple(parts))

    def _double_quoted(self, parts: list[tuple[str, bool]]) -> None:
        text = self.text
        buf: list[str] = []
        start_parts = len(parts)
        while True:
            if self.i >= len(text):
                raise ShellSyntaxError("no closing quote")
            c = text[self.i]
            if c == '"':
                self.i += 1
                break
            if c == "\\" and text[self.i + 1 : self.i + 2] in ('"', "\\", "$", "`"):
                if buf:
                    parts.append(("".join(buf), True))
                    buf.clear()
                parts.append((text[self.i + 1], False))
                self.i += 2
                continue
            buf.append(c)
            self.i += 1
        if buf:
            parts.append(("".join(buf), True))
        if len(parts) == start_parts:
            parts.append(("", False))


def parse(text: str) -> list[AndOr]:
    """Parse a command line into and-or lists (separated by ``;``, ``&`` or newlines)."""
    tokens = _Lexer(text).tokens()
    lists: list[AndOr] = []
    pos = 0
    while pos < len(tokens):
        if tokens[pos] in (";", "\n", "&"):
            pos += 1
            continue
        and_or, pos = _and_or(tokens, pos)
        lists.append(and_or)
    return lists


def _and_or(tokens: list[str | Word], pos: int) -> tuple[AndOr, int]:
    first, pos = _pipeline(tokens, pos)
    node = AndOr(first)
    while pos < len(tokens) and tokens[pos] in ("&&", "||"):
        op = tokens[pos]
        assert isinstance(op, str)
        pos += 1
        while pos < len(tokens) and tokens[pos] == "\n":
            pos += 1
        nxt, pos = _pipeline(tokens, pos)
        node.rest.append((op, nxt))
    return node, pos


def _pipeline(tokens: list[str | Word], pos: int) -> tuple[Pipeline, int]:
    negate = False
    if pos < len(tokens) and isinstance(tokens[pos], Word) and tokens[pos] == Word((("!", True),)):
        negate = True
        pos += 1
    commands: list[SimpleCommand] = []
    while True:
        cmd, pos = _simple(tokens, pos)
        commands.append(cmd)
        if pos < len(tokens) and tokens[pos] == "|":
            pos += 1
            continue
        return Pipeline(commands, negate), pos


def _simple(tokens: list[str | Word], pos: int) -> tuple[SimpleCommand, int]:
    cmd = SimpleCommand()
    while pos < len(tokens):
        tok = tokens[pos]
        if isinstance(tok, Word):
            cmd.words.append(tok)
            pos += 1
            continue
        if tok in ("2>&1", ">&2", "1>&2"):
            cmd.redirects.append(Redirect(2, ">&", 1) if tok == "2>&1" else Redirect(1, ">&", 2))
            pos += 1
            continue
        if tok in (">", ">>", "<", "2>", "2>>", "1>"):
            pos += 1
            if pos >= len(tokens) or not isinstance(tokens[pos], Word):
                raise ShellSyntaxError(f"syntax error: '{tok}' unexpected")
            target = tokens[pos]
            assert isinstance(target, Word)
            fd = 2 if tok.startswith("2") else (0 if tok == "<" else 1)
            op = ">>" if tok.endswith(">>") else tok[-1]
            cmd.redirects.append(Redirect(fd, op, target))
            pos += 1
            continue
        break
    if not cmd.words and not cmd.redirects:
        bad = tokens[pos] if pos < len(tokens) else "newline"
        raise ShellSyntaxError(f"syntax error: '{bad if bad != chr(10) else 'newline'}' unexpected")
    return cmd, pos
