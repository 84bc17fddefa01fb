"""mksh's lexical rules for the lab's shell: operators, words with quotes and expansions, heredoc bodies.

``Lexer`` turns text into tokens on demand; the grammar (``parse.py``) subclasses it, because ``$(…)`` inside a
word is a whole command list (mksh lex.c parses it recursively too). Texts are mksh R59c's lex.c
(``no closing quote``, ``here document 'EOF' unclosed``) and syn.c ``syntaxerr``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.lab.android.shell.syntax import (
    Arith,
    CmdSub,
    Lit,
    Param,
    Part,
    Redirect,
    Script,
    ShellSyntaxError,
    Word,
)

__all__ = ["ENDS", "NAME", "RESERVED", "Lexer", "Tok"]

_OP_RE = re.compile(r"&&|\|\||;;|<<-|<<|>>|>&|<&|>\||<>|[;|&()<>\n]")
_PLAIN_RUN = re.compile(r"[^ \t\r\n;|&<>()'\"\\$`]+")
_META = " \t\r\n;|&<>()"
RESERVED = frozenset({"if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do", "done",
                       "in", "function", "{", "}", "!"})
ENDS = frozenset({"then", "else", "elif", "fi", "do", "done", "esac", "}"})
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL = "?#@*$!-0123456789"


@dataclass(slots=True)
class Tok:
    kind: str  # "op", "word", "redir", "eof"
    text: str = ""  # the operator, or the word's raw text
    word: Word | None = None
    fd: int | None = None  # an explicit fd before a redirection operator


@dataclass(slots=True)
class _Heredoc:
    delim: str
    strip_tabs: bool
    expand: bool
    redirect: Redirect  # its target is set when the body is read


class Lexer:
    def __init__(self, text: str, depth: int = 0) -> None:
        self.s = text
        self.i = 0
        self.depth = depth
        self.peeked: Tok | None = None
        self.heredocs: list[_Heredoc] = []
        self.nesting: list[str] = []

    def list_until(self, closers: set[str], required: bool = True) -> Script:
        raise NotImplementedError  # the grammar's

    def script(self) -> Script:
        raise NotImplementedError  # the grammar's

    # ---- tokens
    def peek(self) -> Tok:
        if self.peeked is None:
            self.peeked = self._lex()
        return self.peeked

    def take(self) -> Tok:
        tok = self.peek()
        self.peeked = None
        return tok

    def error(self, tok: Tok | None = None) -> ShellSyntaxError:
        tok = tok or self.peek()
        if tok.kind == "eof":
            if self.nesting:
                return ShellSyntaxError(f"syntax error: unmatched '{self.nesting[-1]}'")
            return ShellSyntaxError("syntax error: unexpected EOF")
        text = "newline" if tok.text == "\n" else tok.text
        return ShellSyntaxError(f"syntax error: unexpected '{text}'")

    def _skip_blanks(self) -> None:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\r":
                self.i += 1
            elif c == "\\" and s.startswith("\n", self.i + 1):
                self.i += 2
            elif c == "#":
                while self.i < len(s) and s[self.i] != "\n":
                    self.i += 1
            else:
                return

    def _lex(self) -> Tok:
        self._skip_blanks()
        if self.i >= len(self.s):
            return Tok("eof")
        match = _OP_RE.match(self.s, self.i)
        if match is not None:
            op = match.group()
            self.i = match.end()
            if op == "\n":
                self._read_heredocs()
            return Tok("redir" if op[0] in "<>" else "op", op)
        start = self.i
        word = self._word()
        if word.raw.isdigit() and self.i < len(self.s) and self.s[self.i] in "<>":
            tok = self._lex()
            tok.fd = int(word.raw)
            return tok
        return Tok("word", self.s[start : self.i], word)

    # ---- words
    def _word(self, stop: str = _META) -> Word:
        start = self.i
        parts: list[Part] = []
        buf: list[str] = []
        s = self.s

        def flush() -> None:
            if buf:
                parts.append(Lit("".join(buf), False))
                buf.clear()

        while self.i < len(s):
            if stop is _META and (run := _PLAIN_RUN.match(s, self.i)) is not None:
                buf.append(run.group())
                self.i = run.end()
                continue
            c = s[self.i]
            if c in stop:
                break
            if c == "'":
                flush()
                end = s.find("'", self.i + 1)
                if end < 0:
                    raise ShellSyntaxError("no closing quote")
                parts.append(Lit(s[self.i + 1 : end], True))
                self.i = end + 1
            elif c == '"':
                flush()
                self.i += 1
                parts.extend(self._double_quoted())
            elif c == "\\":
                flush()
                if s.startswith("\n", self.i + 1):
                    self.i += 2
                    continue
                parts.append(Lit(s[self.i + 1 : self.i + 2], True))
                self.i += 2
            elif c in "$`":
                part = self._dollar(quoted=False)
                if part is None:
                    buf.append(c)
                    self.i += 1
                else:
                    flush()
                    parts.append(part)
            else:
                buf.append(c)
                self.i += 1
        flush()
        return Word(tuple(parts), s[start : self.i])

    def _double_quoted(self) -> list[Part]:
        parts = self._dq_parts(end='"')
        return parts or [Lit("", True)]

    def _dq_parts(self, end: str | None) -> list[Part]:
        """Text as inside double quotes, up to ``end`` (or to the end of the text for a heredoc body)."""
        s = self.s
        parts: list[Part] = []
        buf: list[str] = []
        escapable = '$`"\\\n' if end == '"' else "$`\\\n"
        while True:
            if self.i >= len(s):
                if end is None:
                    break
                raise ShellSyntaxError("no closing quote")
            c = s[self.i]
            if c == end:
                self.i += 1
                break
            if c == "\\" and s[self.i + 1 : self.i + 2] in tuple(escapable):
                if s[self.i + 1] != "\n":
                    buf.append(s[self.i + 1])
                self.i += 2
                continue
            if c in "$`":
                part = self._dollar(quoted=True)
                if part is not None:
                    if buf:
                        parts.append(Lit("".join(buf), True))
                        buf.clear()
                    parts.append(part)
                    continue
            buf.append(c)
            self.i += 1
        if buf:
            parts.append(Lit("".join(buf), True))
        return parts

    def _dollar(self, quoted: bool) -> Part | None:
        s = self.s
        if s[self.i] == "`":
            return self._backtick(quoted)
        nxt = s[self.i + 1 : self.i + 2]
        if s.startswith("$((", self.i):
            return self._arith(quoted)
        if nxt == "(":
            self.i += 2
            body = self._nested_list(")")
            return CmdSub(body, quoted)
        if nxt == "{":
            return self._braced(quoted)
        if nxt and nxt in _SPECIAL:
            self.i += 2
            return Param(nxt, quoted=quoted)
        match = NAME.match(s, self.i + 1)
        if match is None:
            return None
        self.i = match.end()
        return Param(match.group(), quoted=quoted)

    def _nested_list(self, closer: str) -> Script:
        self.nesting.append("(")
        body = self.list_until({closer})
        tok = self.take()
        if tok.kind != "op" or tok.text != closer:
            raise self.error(tok)
        self.nesting.pop()
        return body

    def _backtick(self, quoted: bool) -> CmdSub:
        s = self.s
        j = self.i + 1
        inner: list[str] = []
        while True:
            if j >= len(s):
                raise ShellSyntaxError("no closing quote")
            c = s[j]
            if c == "`":
                break
            if c == "\\" and s[j + 1 : j + 2] in ("`", "\\", "$"):
                inner.append(s[j + 1])
                j += 2
                continue
            inner.append(c)
            j += 1
        self.i = j + 1
        if self.depth >= 64:
            raise ShellSyntaxError("expression recurses too deeply")
        return CmdSub(type(self)("".join(inner), self.depth + 1).script(), quoted)

    def _arith(self, quoted: bool) -> Arith:
        s = self.s
        j = self.i + 3
        depth = 0
        while j < len(s):
            if s[j] == "(":
                depth += 1
            elif s[j] == ")":
                if depth == 0 and s.startswith("))", j):
                    break
                depth -= 1
            j += 1
        else:
            raise ShellSyntaxError("syntax error: unexpected EOF")
        inner = Lexer(s[self.i + 3 : j], self.depth + 1)
        self.i = j + 2
        return Arith(Word(tuple(inner._dq_parts(end=None)), inner.s), quoted)

    def _braced(self, quoted: bool) -> Param:
        s = self.s
        j = self.i + 2
        length = s.startswith("#", j) and j + 1 < len(s) and s[j + 1] != "}"
        if length:
            j += 1
        match = NAME.match(s, j)
        if match is not None:
            name, j = match.group(), match.end()
        elif j < len(s) and s[j] in _SPECIAL:
            end = j + 1
            while s[j].isdigit() and end < len(s) and s[end].isdigit():
                end += 1
            name, j = s[j:end], end
        else:
            raise ShellSyntaxError(f"{s[self.i:s.find('}', self.i) + 1 or len(s)]}: bad substitution")
        if length:
            if not s.startswith("}", j):
                raise ShellSyntaxError("syntax error: unexpected EOF")
            self.i = j + 1
            return Param(name, "len", None, quoted)
        op = next((o for o in (":-", ":=", ":+", ":?", "##", "%%", "-", "=", "+", "?", "#", "%") if s.startswith(o, j)),
                  "")
        self.i = j + len(op)
        arg: Word | None = None
        if op:
            arg = self._word(stop="}")
        if not s.startswith("}", self.i):
            raise ShellSyntaxError("no closing quote" if self.i >= len(s) else
                                   f"{s[self.i - len(op) - len(name) - 2:self.i + 1]}: bad substitution")
        self.i += 1
        return Param(name, op, arg, quoted)

    # ---- heredocs
    def heredoc(self, fd: int, delim_word: Word, strip_tabs: bool) -> Redirect:
        """A ``<<`` redirection whose body is read at the next newline (a quoted delimiter: no expansion)."""
        quoted = any(isinstance(p, Lit) and p.quoted for p in delim_word.parts)
        delim = "".join(p.text for p in delim_word.parts if isinstance(p, Lit))
        redirect = Redirect(fd, "<<", Word(()))
        self.heredocs.append(_Heredoc(delim, strip_tabs, not quoted, redirect))
        return redirect

    def _read_heredocs(self) -> None:
        pending, self.heredocs = self.heredocs, []
        for doc in pending:
            lines: list[str] = []
            while True:
                if self.i >= len(self.s):
                    raise ShellSyntaxError(f"here document '{doc.delim}' unclosed")
                end = self.s.find("\n", self.i)
                end = len(self.s) if end < 0 else end
                line = self.s[self.i : end]
                self.i = min(end + 1, len(self.s))
                if doc.strip_tabs:
                    line = line.lstrip("\t")
                if line == doc.delim:
                    break
                lines.append(line + "\n")
            body = "".join(lines)
            if doc.expand:
                inner = Lexer(body, self.depth + 1)
                doc.redirect.target = Word(tuple(inner._dq_parts(end=None)), body)
            else:
                doc.redirect.target = Word((Lit(body, True),), body)
