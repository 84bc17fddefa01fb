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

from harness.lab.android.shell.lexer import ENDS, NAME, RESERVED, Lexer, Tok
from harness.lab.android.shell.syntax import (
    AndOr,
    Arith,
    Case,
    CmdSub,
    Command,
    For,
    FuncDef,
    Group,
    If,
    Lit,
    Param,
    Part,
    Pipeline,
    Redirect,
    Script,
    ShellSyntaxError,
    SimpleCommand,
    While,
    Word,
)

__all__ = [
    "AndOr", "Arith", "Case", "CmdSub", "Command", "For", "FuncDef", "Group", "If", "Lit", "Param", "Part",
    "Pipeline", "Redirect", "Script", "ShellSyntaxError", "SimpleCommand", "While", "Word", "parse", "parse_script",
]

_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_PARENS = re.compile(r"[ \t]*\([ \t]*\)")


class _Parser(Lexer):
    def script(self) -> Script:
        """The whole text: lists up to the end, then any heredoc still owed its body."""
        script = self.list_until(set(), required=False)
        if self.peek().kind != "eof":
            raise self.error()
        if self.heredocs:
            self._read_heredocs()
        return script

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
                    tok.kind == "word" and tok.word is not None and tok.word.plain in ENDS & closers):
                break
            if tok.kind == "word" and tok.word is not None and tok.word.plain in ENDS:
                raise self.error()
            script.append(self.and_or())
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text in (";", "&", "\n"):
                self.take()
                continue
            if not (nxt.kind == "eof" or (nxt.kind == "op" and nxt.text in (")", ";;"))
                    or (nxt.kind == "word" and nxt.word is not None and nxt.word.plain in ENDS)):
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
            "{": self._brace, "function": self._function, "[[": self._dbracket}
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
        if word is not None and word in RESERVED and word != "!":
            raise self.error()
        if word is not None and NAME.fullmatch(word) and _PARENS.match(self.s, self.i):
            node = self._posix_function(word)
            node.redirects.extend(self._redirects())
            return node
        return self._simple()

    def _dbracket(self) -> SimpleCommand:
        """``[[ … ]]``: everything up to ``]]`` is an argument, ``&&`` ``||`` ``<`` ``>`` ``(`` ``)`` included.
        mksh (syn.c ``case DBRACKET``) pushes no nesting for it: an EOF inside is ``unexpected EOF``."""
        first = self.take()
        assert first.word is not None
        words = [first.word]
        while True:
            tok = self.take()
            if tok.kind == "eof":
                raise self.error(tok)
            if tok.word is None and tok.text not in ("&&", "||", "(", ")", "<", ">"):
                # funcs.c test_parse: not at TM_END, so syntaxerr("unexpected operator/operand") at the token
                text = "newline" if tok.text == "\n" else tok.text
                raise ShellSyntaxError(f"syntax error: unexpected operator/operand '{text}'")
            if tok.word is None:
                words.append(Word((Lit(tok.text, False),), tok.text))
                continue
            words.append(tok.word)
            if tok.word.plain == "]]":
                return SimpleCommand(words, literal=True)

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
        if tok.kind != "word" or tok.word is None or not NAME.fullmatch(tok.word.plain or ""):
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

    def _redirect(self, tok: Tok) -> Redirect:
        op = tok.text
        fd = tok.fd if tok.fd is not None else (0 if op[0] == "<" else 1)
        target = self.take()
        if target.kind != "word" or target.word is None:
            raise self.error(target)
        if op in ("<<", "<<-"):
            return self.heredoc(fd, target.word, strip_tabs=op == "<<-")
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
            if cmd.words or cmd.assigns or tok.word.plain not in RESERVED:
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
    return _Parser(text, depth).script()


@functools.lru_cache(maxsize=512)
def parse(text: str) -> Script:
    """Parse a command line into and-or lists (cached: the harness sends the same lines again and again)."""
    return parse_script(text)
