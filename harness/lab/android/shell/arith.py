"""mksh's ``$((…))`` arithmetic: 32-bit signed integers, C operators, assignments to shell variables.

Texts are mksh R59c's expr.c ``evalerr``: ``EXPR: unexpected 'TOKEN'`` (``end of expression`` at the end),
``EXPR: bad number 'X'``, ``EXPR: zero divisor``, ``EXPR: X requires lvalue``. mksh's ``mksh_ari_t`` is 32 bits
wide, so results wrap as they do on a phone (``$((2147483647 + 1))`` is ``-2147483648``). There is no ``**``, and
a leading 0 is decimal (mksh.1: "does not cause interpretation as octal").
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping

__all__ = ["ArithError", "evaluate"]


class ArithError(Exception):
    """The message is what mksh prints after ``/system/bin/sh: ``."""


_TOKEN = re.compile(
    r"\s*(?:(?P<num>[0-9][0-9A-Za-z#_]*)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><<=|>>=|\+\+|--|&&|\|\||==|!=|<=|>=|<<|>>|[*/%+\-&^|]=|[-+*/%()<>=!~&^|?:,]))")

_BINARY: dict[str, tuple[int, Callable[[int, int], int]]] = {
    "||": (1, lambda a, b: int(bool(a) or bool(b))), "&&": (2, lambda a, b: int(bool(a) and bool(b))),
    "|": (3, lambda a, b: a | b), "^": (4, lambda a, b: a ^ b), "&": (5, lambda a, b: a & b),
    "==": (6, lambda a, b: int(a == b)), "!=": (6, lambda a, b: int(a != b)),
    "<": (7, lambda a, b: int(a < b)), "<=": (7, lambda a, b: int(a <= b)),
    ">": (7, lambda a, b: int(a > b)), ">=": (7, lambda a, b: int(a >= b)),
    "<<": (8, lambda a, b: a << (b & 31)), ">>": (8, lambda a, b: a >> (b & 31)),
    "+": (9, lambda a, b: a + b), "-": (9, lambda a, b: a - b),
    "*": (10, lambda a, b: a * b), "/": (10, lambda a, b: int(a / b)), "%": (10, lambda a, b: a - b * int(a / b)),
}
_ASSIGN_OPS = frozenset({"=", "*=", "/=", "%=", "+=", "-=", "<<=", ">>=", "&=", "^=", "|="})


def _wrap(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31


class _Eval:
    def __init__(self, text: str, env: MutableMapping[str, str], depth: int) -> None:
        self.text = text
        self.env = env
        self.depth = depth
        self.tokens: list[tuple[str, str]] = self._lex(text)
        self.pos = 0

    def _lex(self, text: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        i = 0
        while i < len(text):
            if text[i:].strip() == "":
                break
            match = _TOKEN.match(text, i)
            if match is None:
                raise ArithError(f"{text}: unexpected '{text[i:].lstrip()[:1]}'")
            kind = match.lastgroup or "op"
            out.append((kind, match.group(kind)))
            i = match.end()
        return out

    def fail(self) -> ArithError:
        if self.pos >= len(self.tokens):
            return ArithError(f"{self.text}: unexpected 'end of expression'")
        return ArithError(f"{self.text}: unexpected '{self.tokens[self.pos][1]}'")

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def run(self) -> int:
        if not self.tokens:
            return 0
        value = self.comma()
        if self.pos != len(self.tokens):
            raise self.fail()
        return value

    def comma(self) -> int:
        value = self.assign()
        while self.peek() == ",":
            self.pos += 1
            value = self.assign()
        return value

    def assign(self) -> int:
        if (self.pos + 1 < len(self.tokens) and self.tokens[self.pos][0] == "name"
                and self.tokens[self.pos + 1][1] in _ASSIGN_OPS):
            name, op = self.tokens[self.pos][1], self.tokens[self.pos + 1][1]
            self.pos += 2
            rhs = self.assign()
            value = rhs if op == "=" else self.apply(op[:-1], self.var(name), rhs)
            return self.store(name, value)
        return self.ternary()

    def ternary(self) -> int:
        cond = self.binary(1)
        if self.peek() != "?":
            return cond
        self.pos += 1
        yes = self.assign()
        if self.peek() != ":":
            raise self.fail()
        self.pos += 1
        no = self.assign()
        return yes if cond else no

    def binary(self, level: int) -> int:
        left = self.unary()
        while (op := self.peek()) in _BINARY and _BINARY[op][0] >= level:
            self.pos += 1
            right = self.binary(_BINARY[op][0] + 1)
            left = self.apply(op, left, right)
        return left

    def apply(self, op: str, left: int, right: int) -> int:
        if op in ("/", "%") and right == 0:
            raise ArithError(f"{self.text}: zero divisor")
        return _wrap(_BINARY[op][1](left, right))

    def unary(self) -> int:
        op = self.peek()
        if op in ("+", "-", "!", "~"):
            self.pos += 1
            value = self.unary()
            return _wrap({"+": value, "-": -value, "!": int(not value), "~": ~value}[op])
        if op in ("++", "--"):
            self.pos += 1
            name = self.lvalue(op)
            return self.store(name, self.var(name) + (1 if op == "++" else -1))
        return self.postfix()

    def lvalue(self, op: str) -> str:
        if self.pos >= len(self.tokens) or self.tokens[self.pos][0] != "name":
            raise ArithError(f"{self.text}: {op} requires lvalue")
        self.pos += 1
        return self.tokens[self.pos - 1][1]

    def postfix(self) -> int:
        if self.pos >= len(self.tokens):
            raise self.fail()
        kind, text = self.tokens[self.pos]
        self.pos += 1
        if text == "(":
            value = self.comma()
            if self.peek() != ")":
                raise self.fail()
            self.pos += 1
            return value
        if kind == "num":
            return _number(text, self.text)
        if kind != "name":
            self.pos -= 1
            raise self.fail()
        if self.peek() in ("++", "--"):
            op = self.peek()
            self.pos += 1
            old = self.var(text)
            self.store(text, old + (1 if op == "++" else -1))
            return old
        return self.var(text)

    def var(self, name: str) -> int:
        raw = self.env.get(name, "").strip()
        if not raw:
            return 0
        if self.depth > 32:
            raise ArithError(f"{self.text}: expression recurses on parameter '{name}'")
        return _Eval(raw, self.env, self.depth + 1).run()

    def store(self, name: str, value: int) -> int:
        value = _wrap(value)
        self.env[name] = str(value)
        return value


def _number(text: str, expression: str) -> int:
    try:
        if "#" in text:
            base, _, digits = text.partition("#")
            return _wrap(int(digits, int(base)))
        if text.lower().startswith("0x"):
            return _wrap(int(text[2:], 16))
        return _wrap(int(text, 10))
    except ValueError:
        raise ArithError(f"{expression}: bad number '{text}'") from None


def evaluate(text: str, env: MutableMapping[str, str]) -> int:
    """The value of ``text`` as ``$((text))``; assignments land in ``env``."""
    return _Eval(text, env, 0).run()
