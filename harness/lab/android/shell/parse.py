"""A parser for the part of mksh (Android's /system/bin/sh) that adb users type.

Supported: words with single/double quotes and backslashes; ``$VAR``, ``${VAR}``, ``${VAR:-w}`` and the other
``${…}`` forms, ``$?`` ``$#`` ``$@`` ``$*`` ``$1``…; ``$(…)``, backticks and ``$((…))``; ``;`` ``&`` ``&&`` ``||``
``|`` ``!``; redirections ``>`` ``>>`` ``<`` ``N>`` ``N>&M`` and heredocs (``<<`` ``<<-``, quoted delimiters);
``if``/``elif``/``else``, ``for``, ``while``/``until``, ``case``, ``{ …; }``, ``( … )`` and functions
(``name() { …; }``, ``function name { …; }``). Pure: text in, a tree out.

Hand-written rather than a library: ``bashlex`` (the one Python shell parser on PyPI) is bash's grammar, GPL-3
licensed, and has neither mksh's reserved words nor its error texts, which the lab must print byte for byte. The
texts are mksh R59c's (syn.c ``syntaxerr``: ``syntax error: unexpected 'fi'``, ``… unmatched 'if'`` at EOF in a
nested construct, ``… unexpected EOF``; lex.c ``no closing quote``, ``here document 'EOF' unclosed``). Older
mksh (R54 and before) printed ``'fi' unexpected``; Android has shipped R59c since Android 11.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "AndOr", "Arith", "Case", "CmdSub", "Command", "For", "FuncDef", "Group", "If", "Lit", "Param", "Pipeline",
    "Redirect", "Script", "ShellSyntaxError", "SimpleCommand", "While", "Word", "parse",
]


class ShellSyntaxError(Exception):
    """The message is what mksh prints after ``/system/bin/sh: ``."""


# -- words -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Lit:
    text: str
    quoted: bool


@dataclass(frozen=True, slots=True)
class Param:
    name: str  # a variable name, a digit string, or one of ? # @ * $ ! 0 -
    op: str = ""  # "" ":-" "-" ":=" "=" ":+" "+" ":?" "?" "#" "##" "%" "%%", or "len" for ${#name}
    arg: Word | None = None
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class CmdSub:
    body: Script
    quoted: bool


@dataclass(frozen=True, slots=True)
class Arith:
    expr: Word  # expanded to text, then evaluated
    quoted: bool


Part = Lit | Param | CmdSub | Arith


@dataclass(frozen=True, slots=True)
class Word:
    parts: tuple[Part, ...]
    raw: str = ""

    @property
    def plain(self) -> str | None:
        """The word's text if it is one unquoted literal (a reserved word, a name, a glob), else None."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Lit) and not self.parts[0].quoted:
            return self.parts[0].text
        return None


# -- commands --------------------------------------------------------------------------------------

@dataclass(slots=True)
class Redirect:
    fd: int
    op: str  # ">", ">>", "<", ">&" (target: an fd), "close", "<<" (target: the body, set at the next newline)
    target: Word | int


@dataclass(slots=True)
class SimpleCommand:
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    assigns: list[tuple[str, Word]] = field(default_factory=list)


@dataclass(slots=True)
class If:
    branches: list[tuple[Script, Script]]
    orelse: Script | None
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class For:
    var: str
    items: list[Word] | None  # None: "$@"
    body: Script
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class While:
    cond: Script
    body: Script
    until: bool
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class Case:
    word: Word
    arms: list[tuple[list[Word], Script]]
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class Group:
    body: Script
    subshell: bool
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class FuncDef:
    name: str
    body: Command
    redirects: list[Redirect] = field(default_factory=list)


Command = SimpleCommand | If | For | While | Case | Group | FuncDef


@dataclass(slots=True)
class Pipeline:
    commands: list[Command]
    negate: bool = False


@dataclass(slots=True)
class AndOr:
    # first pipeline, then (operator, pipeline) pairs with operator "&&" or "||"
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


Script = list[AndOr]

# -- lexer -----------------------------------------------------------------------------------------

_OP_RE = re.compile(r"&&|\|\||;;|<<-|<<|>>|>&|<&|>\||<>|[;|&()<>\n]")
_PLAIN_RUN = re.compile(r"[^ \t\r\n;|&<>()'\"\\$`]+")
_META = " \t\r\n;|&<>()"
_RESERVED = frozenset({"if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do", "done",
                       "in", "function", "{", "}", "!"})
_ENDS = frozenset({"then", "else", "elif", "fi", "do", "done", "esac", "}"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_SPECIAL = "?#@*$!-0123456789"
_PARENS = re.compile(r"[ \t]*\([ \t]*\)")


@dataclass(slots=True)
class _Tok:
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


class _Parser:
    def __init__(self, text: str, depth: int = 0) -> None:
        self.s = text
        self.i = 0
        self.depth = depth
        self.peeked: _Tok | None = None
        self.heredocs: list[_Heredoc] = []
        self.nesting: list[str] = []

    # ---- tokens
    def peek(self) -> _Tok:
        if self.peeked is None:
            self.peeked = self._lex()
        return self.peeked

    def take(self) -> _Tok:
        tok = self.peek()
        self.peeked = None
        return tok

    def error(self, tok: _Tok | None = None) -> ShellSyntaxError:
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

    def _lex(self) -> _Tok:
        self._skip_blanks()
        if self.i >= len(self.s):
            return _Tok("eof")
        match = _OP_RE.match(self.s, self.i)
        if match is not None:
            op = match.group()
            self.i = match.end()
            if op == "\n":
                self._read_heredocs()
            return _Tok("redir" if op[0] in "<>" else "op", op)
        start = self.i
        word = self._word()
        if word.raw.isdigit() and self.i < len(self.s) and self.s[self.i] in "<>":
            tok = self._lex()
            tok.fd = int(word.raw)
            return tok
        return _Tok("word", self.s[start : self.i], word)

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
        match = _NAME.match(s, self.i + 1)
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
        return CmdSub(parse_script("".join(inner), self.depth + 1), quoted)

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
        inner = _Parser(s[self.i + 3 : j], self.depth + 1)
        self.i = j + 2
        return Arith(Word(tuple(inner._dq_parts(end=None)), inner.s), quoted)

    def _braced(self, quoted: bool) -> Param:
        s = self.s
        j = self.i + 2
        length = s.startswith("#", j) and j + 1 < len(s) and s[j + 1] != "}"
        if length:
            j += 1
        match = _NAME.match(s, j)
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
                inner = _Parser(body, self.depth + 1)
                doc.redirect.target = Word(tuple(inner._dq_parts(end=None)), body)
            else:
                doc.redirect.target = Word((Lit(body, True),), body)

    # ---- grammar
    def list_until(self, closers: set[str], required: bool = True) -> Script:
        """and-or lists separated by ``;`` ``&`` or newlines, up to a closing word or operator."""
        script: Script = []
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.text in (";", "&", "\n"):
                if tok.text != "\n" and not script:
                    raise self.error()
                self.take()
                continue
            if tok.kind == "eof" or (tok.kind == "op" and tok.text in closers | {")", ";;"}) or (
                    tok.kind == "word" and tok.word is not None and tok.word.plain in _ENDS & closers):
                break
            if tok.kind == "word" and tok.word is not None and tok.word.plain in _ENDS:
                raise self.error()
            script.append(self.and_or())
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text in (";", "&", "\n"):
                self.take()
                continue
            if not (nxt.kind == "eof" or (nxt.kind == "op" and nxt.text in (")", ";;"))
                    or (nxt.kind == "word" and nxt.word is not None and nxt.word.plain in _ENDS)):
                raise self.error()
        if required and not script:
            raise self.error()
        return script

    def and_or(self) -> AndOr:
        node = AndOr(self.pipeline())
        while (tok := self.peek()).kind == "op" and tok.text in ("&&", "||"):
            self.take()
            self._skip_newlines()
            node.rest.append((tok.text, self.pipeline()))
        return node

    def _skip_newlines(self) -> None:
        while (tok := self.peek()).kind == "op" and tok.text == "\n":
            self.take()

    def pipeline(self) -> Pipeline:
        negate = False
        if self.peek().kind == "word" and self.peek().text == "!":
            self.take()
            negate = True
        commands = [self.command()]
        while (tok := self.peek()).kind == "op" and tok.text == "|":
            self.take()
            self._skip_newlines()
            commands.append(self.command())
        return Pipeline(commands, negate)

    def command(self) -> Command:
        tok = self.peek()
        word = tok.word.plain if tok.kind == "word" and tok.word is not None else None
        compounds: dict[str, Callable[[], Command]] = {
            "if": self._if, "for": self._for, "while": self._while, "until": self._while, "case": self._case,
            "{": self._brace, "function": self._function}
        compound = compounds.get(word or "")
        if compound is not None:
            node = compound()
            node.redirects.extend(self._redirects())
            return node
        if tok.kind == "op" and tok.text == "(":
            self.take()
            self.nesting.append("(")
            body = self.list_until({")"})
            self._expect_op(")")
            self.nesting.pop()
            group = Group(body, subshell=True, redirects=self._redirects())
            return group
        if word is not None and word in _RESERVED and word != "!":
            raise self.error()
        if word is not None and _NAME.fullmatch(word) and _PARENS.match(self.s, self.i):
            node = self._posix_function(word)
            node.redirects.extend(self._redirects())
            return node
        return self._simple()

    def _expect_op(self, text: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != text:
            raise self.error(tok)

    def _expect_word(self, text: str) -> None:
        tok = self.take()
        if tok.kind != "word" or tok.word is None or tok.word.plain != text:
            raise self.error(tok)

    def _open(self, keyword: str) -> None:
        self.take()
        self.nesting.append(keyword)

    def _if(self) -> If:
        self._open("if")
        branches: list[tuple[Script, Script]] = []
        orelse: Script | None = None
        while True:
            cond = self.list_until({"then"})
            self._expect_word("then")
            branches.append((cond, self.list_until({"elif", "else", "fi"})))
            tok = self.take()
            if tok.word is not None and tok.word.plain == "elif":
                continue
            if tok.word is not None and tok.word.plain == "else":
                orelse = self.list_until({"fi"})
                self._expect_word("fi")
            elif tok.word is None or tok.word.plain != "fi":
                raise self.error(tok)
            break
        self.nesting.pop()
        return If(branches, orelse)

    def _do_group(self) -> Script:
        self._skip_newlines()
        self._expect_word("do")
        body = self.list_until({"done"})
        self._expect_word("done")
        return body

    def _for(self) -> For:
        self._open("for")
        tok = self.take()
        if tok.kind != "word" or tok.word is None or not _NAME.fullmatch(tok.word.plain or ""):
            raise ShellSyntaxError("for: bad identifier" if tok.kind == "word" else str(self.error(tok)))
        var = tok.text
        self._skip_newlines()
        items: list[Word] | None = None
        nxt = self.peek()
        if nxt.kind == "word" and nxt.word is not None and nxt.word.plain == "in":
            self.take()
            items = []
            while (tok := self.peek()).kind == "word" and tok.word is not None:
                items.append(tok.word)
                self.take()
            if tok.kind != "op" or tok.text not in (";", "\n"):
                raise self.error()
            self.take()
        elif nxt.kind == "op" and nxt.text == ";":
            self.take()
        body = self._do_group()
        self.nesting.pop()
        return For(var, items, body)

    def _while(self) -> While:
        until = self.peek().text == "until"
        self._open("until" if until else "while")
        cond = self.list_until({"do"})
        body = self._do_group()
        self.nesting.pop()
        return While(cond, body, until)

    def _case(self) -> Case:
        self._open("case")
        tok = self.take()
        if tok.kind != "word" or tok.word is None:
            raise self.error(tok)
        subject = tok.word
        self._skip_newlines()
        self._expect_word("in")
        arms: list[tuple[list[Word], Script]] = []
        while True:
            self._skip_newlines()
            tok = self.peek()
            if tok.kind == "word" and tok.word is not None and tok.word.plain == "esac":
                self.take()
                break
            if tok.kind == "op" and tok.text == "(":
                self.take()
            patterns = [self._pattern()]
            while self.peek().kind == "op" and self.peek().text == "|":
                self.take()
                patterns.append(self._pattern())
            self._expect_op(")")
            body = self.list_until({"esac"}, required=False)
            arms.append((patterns, body))
            tok = self.peek()
            if tok.kind == "op" and tok.text == ";;":
                self.take()
            elif not (tok.kind == "word" and tok.word is not None and tok.word.plain == "esac"):
                raise self.error()
        self.nesting.pop()
        return Case(subject, arms)

    def _pattern(self) -> Word:
        tok = self.take()
        if tok.kind != "word" or tok.word is None:
            raise self.error(tok)
        return tok.word

    def _brace(self) -> Group:
        self._open("{")
        body = self.list_until({"}"})
        self._expect_word("}")
        self.nesting.pop()
        return Group(body, subshell=False)

    def _function(self) -> FuncDef:
        self.take()
        tok = self.take()
        if tok.kind != "word" or tok.word is None or tok.word.plain is None:
            raise self.error(tok)
        if self.peek().kind == "op" and self.peek().text == "(":
            self.take()
            self._expect_op(")")
        self._skip_newlines()
        return FuncDef(tok.word.plain, self.command())

    def _redirects(self) -> list[Redirect]:
        out: list[Redirect] = []
        while self.peek().kind == "redir":
            out.append(self._redirect(self.take()))
        return out

    def _redirect(self, tok: _Tok) -> Redirect:
        op = tok.text
        fd = tok.fd if tok.fd is not None else (0 if op[0] == "<" else 1)
        target = self.take()
        if target.kind != "word" or target.word is None:
            raise self.error(target)
        if op in ("<<", "<<-"):
            delim_word = target.word
            quoted = any(isinstance(p, Lit) and p.quoted for p in delim_word.parts)
            delim = "".join(p.text for p in delim_word.parts if isinstance(p, Lit))
            redirect = Redirect(fd, "<<", Word(()))
            self.heredocs.append(_Heredoc(delim, op == "<<-", not quoted, redirect))
            return redirect
        if op in (">&", "<&") and target.text.isdigit():
            return Redirect(fd, ">&", int(target.text))
        if op in (">&", "<&") and target.text == "-":
            return Redirect(fd, "close", 0)
        mapped = {">|": ">", "<>": "<", "<&": "<", ">&": ">"}.get(op, op)
        return Redirect(fd, mapped, target.word)

    def _simple(self) -> SimpleCommand:
        cmd = SimpleCommand()
        while True:
            tok = self.peek()
            if tok.kind == "redir":
                self.take()
                cmd.redirects.append(self._redirect(tok))
                continue
            if tok.kind != "word" or tok.word is None:
                break
            if not cmd.words and (match := _ASSIGN.match(tok.text)) is not None:
                self.take()
                cmd.assigns.append((match.group(1), _strip_prefix(tok.word, match.end())))
                continue
            if cmd.words or cmd.assigns or tok.word.plain not in _RESERVED:
                self.take()
                cmd.words.append(tok.word)
                continue
            break
        if not cmd.words and not cmd.redirects and not cmd.assigns:
            raise self.error()
        return cmd

    def _posix_function(self, name: str) -> FuncDef:
        """``name() body``: the name was peeked, ``(`` follows it in the text."""
        self.take()
        self._expect_op("(")
        self._expect_op(")")
        self._skip_newlines()
        return FuncDef(name, self.command())


def _strip_prefix(word: Word, count: int) -> Word:
    """The word with its first ``count`` source characters (``NAME=``, all in one unquoted literal) removed."""
    first = word.parts[0]
    assert isinstance(first, Lit) and not first.quoted and len(first.text) >= count
    rest = first.text[count:]
    parts = ((Lit(rest, False),) if rest else ()) + word.parts[1:]
    return Word(parts, word.raw[count:])


def parse_script(text: str, depth: int = 0) -> Script:
    if depth > 64:
        raise ShellSyntaxError("expression recurses too deeply")
    parser = _Parser(text, depth)
    script = _top(parser)
    if parser.heredocs:
        parser._read_heredocs()
    return script


def _top(parser: _Parser) -> Script:
    script = parser.list_until(set(), required=False)
    if parser.peek().kind != "eof":
        raise parser.error()
    return script


@functools.lru_cache(maxsize=512)
def parse(text: str) -> Script:
    """Parse a command line into and-or lists (cached: the harness sends the same lines again and again)."""
    return parse_script(text)
