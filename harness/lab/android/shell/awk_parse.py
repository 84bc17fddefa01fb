"""The lab awk's parser: the program text into closures over ``State`` (patterns, actions, expressions)."""

from __future__ import annotations

import re
from collections.abc import Callable

from harness.lab.android.shell.awk_values import (
    ARITH,
    Expr,
    Next,
    State,
    Stmt,
    Value,
    array_of,
    as_str,
    call_builtin,
    compare,
    num,
    print_record,
    set_var,
    sprintf,
    store,
    truth,
    unquote,
)

__all__ = ["AwkSyntax", "Parser"]

class AwkSyntax(Exception):
    pass


_TOKEN = re.compile(r"""[ \t]*(?:
    (?P<num>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\+\+|--|\+=|-=|\*=|/=|%=|==|!=|<=|>=|&&|\|\||!~|[-+*/%<>=!~$(){}\[\];,?:]|\n)
)""", re.X)
_BUILTINS = frozenset({"length", "substr", "index", "tolower", "toupper", "int", "sprintf", "split"})
_KEYWORDS = frozenset({"BEGIN", "END", "print", "printf", "if", "else", "next", "for", "in", "while", "exit"})


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        i = 0
        while i < len(text):
            if text[i] in " \t":
                i += 1
                continue
            if text[i] == "/" and self._regex_allowed():
                end = i + 1
                while end < len(text) and text[end] != "/":
                    end += 2 if text[end] == "\\" else 1
                self.tokens.append(("re", text[i + 1 : end]))
                i = end + 1
                continue
            if text[i] == "#":
                i = text.find("\n", i) if "\n" in text[i:] else len(text)
                continue
            match = _TOKEN.match(text, i)
            if match is None or match.end() == i:
                raise AwkSyntax(text[i:])
            kind = match.lastgroup or "op"
            self.tokens.append((kind, match.group(kind)))
            i = match.end()
        self.pos = 0

    def _regex_allowed(self) -> bool:
        if not self.tokens:
            return True
        kind, text = self.tokens[-1]
        return (kind == "op" and text not in (")", "]", "++", "--")) or text in ("print", "printf")

    def peek(self) -> str:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else ""

    def kind(self) -> str:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else "eof"

    def take(self, text: str | None = None) -> str:
        if self.pos >= len(self.tokens) or (text is not None and self.peek() != text):
            raise AwkSyntax(self.peek())
        self.pos += 1
        return self.tokens[self.pos - 1][1]

    def skip_ends(self) -> None:
        while self.peek() in (";", "\n"):
            self.pos += 1

    # program
    def program(self) -> tuple[list[Stmt], list[tuple[Expr | None, Stmt]], list[Stmt]]:
        begin: list[Stmt] = []
        end: list[Stmt] = []
        rules: list[tuple[Expr | None, Stmt]] = []
        self.skip_ends()
        while self.pos < len(self.tokens):
            if self.peek() in ("BEGIN", "END"):
                which = begin if self.take() == "BEGIN" else end
                which.append(self.block())
            else:
                pattern = None if self.peek() == "{" else self.expr()
                action = self.block() if self.peek() == "{" else print_record
                rules.append((pattern, action))
            self.skip_ends()
        return begin, rules, end

    def block(self) -> Stmt:
        self.take("{")
        body: list[Stmt] = []
        self.skip_ends()
        while self.peek() != "}":
            body.append(self.statement())
            self.skip_ends()
        self.take("}")

        def run(state: State) -> None:
            for stmt in body:
                stmt(state)

        return run

    def statement(self) -> Stmt:
        word = self.peek()
        if word == "{":
            return self.block()
        if word in ("print", "printf"):
            return self.print_(self.take() == "printf")
        if word == "if":
            return self.if_()
        if word == "for":
            return self.for_in()
        if word == "next":
            self.take()

            def nxt(_state: State) -> None:
                raise Next

            return nxt
        expr = self.expr()
        def run(state: State) -> None:
            expr(state)

        return run

    def print_(self, formatted: bool) -> Stmt:
        args: list[Expr] = []
        parens = self.peek() == "(" and formatted
        if parens:
            self.take("(")
        if self.peek() not in (";", "\n", "}", ""):
            args.append(self.expr(no_gt=True))
            while self.peek() == ",":
                self.take()
                args.append(self.expr(no_gt=True))
        if parens:
            self.take(")")

        def run(state: State) -> None:
            values = [a(state) for a in args]
            if formatted:
                state.out.append(sprintf(values))
                return
            ofs = as_str(state.vars.get("OFS", " "))
            fmt = as_str(state.vars.get("OFMT", "%.6g"))
            text = ofs.join(as_str(v, fmt) for v in values) if values else state.field(0)
            state.out.append(text + as_str(state.vars.get("ORS", "\n")))

        return run

    def if_(self) -> Stmt:
        self.take("if")
        self.take("(")
        cond = self.expr()
        self.take(")")
        self.skip_ends()
        yes = self.statement()
        save = self.pos
        self.skip_ends()
        no: Stmt | None = None
        if self.peek() == "else":
            self.take()
            self.skip_ends()
            no = self.statement()
        else:
            self.pos = save

        def run(state: State) -> None:
            if truth(cond(state)):
                yes(state)
            elif no is not None:
                no(state)

        return run

    def for_in(self) -> Stmt:
        self.take("for")
        self.take("(")
        var = self.take()
        self.take("in")
        array = self.take()
        self.take(")")
        self.skip_ends()
        body = self.statement()

        def run(state: State) -> None:
            for key in list(state.arrays.get(array, {})):
                state.vars[var] = key
                body(state)

        return run

    # expressions, lowest precedence first
    def expr(self, no_gt: bool = False) -> Expr:
        return self.ternary(no_gt)

    def ternary(self, no_gt: bool) -> Expr:
        cond = self.assign(no_gt)
        if self.peek() != "?":
            return cond
        self.take()
        yes = self.ternary(no_gt)
        self.take(":")
        no = self.ternary(no_gt)
        return lambda s: yes(s) if truth(cond(s)) else no(s)

    def assign(self, no_gt: bool) -> Expr:
        start = self.pos
        target = self.lvalue()
        if target is not None and self.peek() in ("=", "+=", "-=", "*=", "/=", "%="):
            op = self.take()
            value = self.assign(no_gt)
            getter, setter = target
            if op == "=":
                return lambda s: setter(s, value(s))
            arith = ARITH[op[0]]
            return lambda s: setter(s, arith(num(getter(s)), num(value(s))))
        self.pos = start
        return self.or_(no_gt)

    def lvalue(self) -> tuple[Expr, Callable[[State, Value], Value]] | None:
        if self.kind() == "name" and self.peek() not in _KEYWORDS and self.peek() not in _BUILTINS:
            name = self.take()
            if self.peek() == "[":
                self.take("[")
                key = self.expr()
                self.take("]")
                return (lambda s: array_of(s, name).get(as_str(key(s)), ""),
                        lambda s, v: store(array_of(s, name), as_str(key(s)), v))
            return lambda s: s.vars.get(name, ""), lambda s, v: set_var(s, name, v)
        if self.peek() == "$":
            self.take()
            index = self.primary()
            return (lambda s: s.field(int(num(index(s)))),
                    lambda s, v: s.set_field(int(num(index(s))), as_str(v)) or v)
        return None

    def or_(self, no_gt: bool) -> Expr:
        left = self.and_(no_gt)
        while self.peek() == "||":
            self.take()
            right, prev = self.and_(no_gt), left
            left = _or(prev, right)
        return left

    def and_(self, no_gt: bool) -> Expr:
        left = self.match(no_gt)
        while self.peek() == "&&":
            self.take()
            right, prev = self.match(no_gt), left
            left = _and(prev, right)
        return left

    def match(self, no_gt: bool) -> Expr:
        left = self.compare(no_gt)
        while self.peek() in ("~", "!~"):
            negate = self.take() == "!~"
            right = self.compare(no_gt)
            left = _regex_match(left, right, negate)
        return left

    def compare(self, no_gt: bool) -> Expr:
        left = self.concat(no_gt)
        ops = ("<", "<=", "==", "!=", ">=") if no_gt else ("<", "<=", "==", "!=", ">=", ">")
        if self.peek() in ops:
            op = self.take()
            right = self.concat(no_gt)
            return lambda s: float(compare(op, left(s), right(s)))
        return left

    def concat(self, no_gt: bool) -> Expr:
        left = self.additive()
        while self.kind() in ("num", "str", "re") or self.peek() in ("$", "(") or (
                self.kind() == "name" and self.peek() not in _KEYWORDS):
            right, prev = self.additive(), left
            left = _binary(prev, right, lambda x, y: as_str(x) + as_str(y))
        return left

    def additive(self) -> Expr:
        left = self.term()
        while self.peek() in ("+", "-"):
            op, right, prev = ARITH[self.take()], self.term(), left
            left = _arith(op, prev, right)
        return left

    def term(self) -> Expr:
        left = self.unary()
        while self.peek() in ("*", "/", "%"):
            op, right, prev = ARITH[self.take()], self.unary(), left
            left = _arith(op, prev, right)
        return left

    def unary(self) -> Expr:
        if self.peek() in ("!", "-", "+"):
            op = self.take()
            inner = self.unary()
            if op == "!":
                return lambda s: float(not truth(inner(s)))
            return (lambda s: -num(inner(s))) if op == "-" else (lambda s: num(inner(s)))
        return self.postfix()

    def postfix(self) -> Expr:
        if self.peek() in ("++", "--"):
            step = 1.0 if self.take() == "++" else -1.0
            target = self.lvalue()
            if target is None:
                raise AwkSyntax(self.peek())
            get, put = target
            return lambda s: put(s, num(get(s)) + step)
        start = self.pos
        target = self.lvalue()
        if target is not None and self.peek() in ("++", "--"):
            step = 1.0 if self.take() == "++" else -1.0
            get, put = target

            def post(s: State) -> Value:
                old = num(get(s))
                put(s, old + step)
                return old

            return post
        self.pos = start
        return self.primary()

    def primary(self) -> Expr:
        kind, text = (self.tokens[self.pos] if self.pos < len(self.tokens) else ("eof", ""))
        if kind == "num":
            self.take()
            number = float(text)
            return lambda s: number
        if kind == "str":
            self.take()
            literal = unquote(text[1:-1])
            return lambda s: literal
        if kind == "re":
            self.take()
            regex = re.compile(text)
            return lambda s: float(regex.search(s.field(0)) is not None)
        if text == "(":
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        if text == "$":
            self.take()
            index = self.primary()
            return lambda s: s.field(int(num(index(s))))
        if kind == "name" and text in _BUILTINS:
            return self.call()
        if kind == "name" and text not in _KEYWORDS:
            target = self.lvalue()
            assert target is not None
            return target[0]
        raise AwkSyntax(text)

    def call(self) -> Expr:
        name = self.take()
        args: list[Expr] = []
        if self.peek() == "(":
            self.take()
            while self.peek() != ")":
                args.append(self.expr())
                if self.peek() == ",":
                    self.take()
            self.take(")")
        if name == "split":
            return self._split(args)
        return lambda s: call_builtin(name, [a(s) for a in args], s)

    def _split(self, args: list[Expr]) -> Expr:
        # split(s, a[, fs]): the array is named by the second argument's token
        target = self.tokens[self.pos - 2 - (2 if len(args) > 2 else 0)][1]

        def run(s: State) -> Value:
            text = as_str(args[0](s))
            parts = re.split(as_str(args[2](s)), text) if len(args) > 2 else s.split(text)
            s.arrays[target] = {str(i + 1): p for i, p in enumerate(parts)}
            return float(len(parts))

        return run


def _or(a: Expr, b: Expr) -> Expr:
    return lambda s: float(truth(a(s)) or truth(b(s)))


def _and(a: Expr, b: Expr) -> Expr:
    return lambda s: float(truth(a(s)) and truth(b(s)))


def _regex_match(a: Expr, b: Expr, negate: bool) -> Expr:
    return lambda s: float(bool(re.search(as_str(b(s)), as_str(a(s)))) != negate)


def _binary(a: Expr, b: Expr, fn: Callable[[Value, Value], Value]) -> Expr:
    return lambda s: fn(a(s), b(s))


def _arith(fn: Callable[[float, float], float], a: Expr, b: Expr) -> Expr:
    return lambda s: fn(num(a(s)), num(b(s)))
