"""``awk``: a useful subset of the One True AWK that Android ships as /system/bin/awk (external/one-true-awk).

Supported: ``-F SEP``, ``-v NAME=VALUE``; ``BEGIN``/``END``, ``/regex/`` and expression patterns; actions with
``print``, ``printf``, ``if``/``else``, ``next``, assignments (``= += -= *= /= %= ++ --``), associative arrays with
``for (k in a)``; fields ``$0 $1 … $NF``, ``NR``, ``NF``, ``FS``, ``OFS``; ``~ !~``, comparisons, ``&& || !``,
string concatenation; ``length substr index tolower toupper int sprintf split``. A syntax error prints BWK awk's
first lines (``awk: syntax error at source line 1`` … ``awk: bailing out at source line 1``, lex.c/lib.c
``SYNTAX``/``FATAL``) and exits 2.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.lab.android.shell.runtime import Invocation
from harness.lab.android.shell.toybox import read_inputs

__all__ = ["awk"]

Value = str | float


class AwkSyntax(Exception):
    pass


class _Next(Exception):
    pass


_TOKEN = re.compile(r"""[ \t]*(?:
    (?P<num>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\+\+|--|\+=|-=|\*=|/=|%=|==|!=|<=|>=|&&|\|\||!~|[-+*/%<>=!~$(){}\[\];,?:]|\n)
)""", re.X)
_BUILTINS = frozenset({"length", "substr", "index", "tolower", "toupper", "int", "sprintf", "split"})
_KEYWORDS = frozenset({"BEGIN", "END", "print", "printf", "if", "else", "next", "for", "in", "while", "exit"})


def _num(value: Value) -> float:
    if isinstance(value, float):
        return value
    match = re.match(r"\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+)", value)
    return float(match.group()) if match else 0.0


def _str(value: Value, fmt: str = "%.6g") -> str:
    if isinstance(value, str):
        return value
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return fmt % value


def _looks_numeric(value: Value) -> bool:
    return isinstance(value, float) or re.fullmatch(r"\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+)\s*", value) is not None


@dataclass
class _State:
    inv: Invocation
    vars: dict[str, Value] = field(default_factory=dict)
    arrays: dict[str, dict[str, Value]] = field(default_factory=dict)
    fields: list[str] = field(default_factory=lambda: [""])
    out: list[str] = field(default_factory=list)

    def set_record(self, line: str) -> None:
        self.fields = [line, *self.split(line)]
        self.vars["NF"] = float(len(self.fields) - 1)

    def split(self, text: str) -> list[str]:
        sep = _str(self.vars.get("FS", " "))
        if sep == " ":
            return text.split()
        if len(sep) == 1 and sep != "\\":
            return text.split(sep) if text else []
        return re.split(sep, text) if text else []

    def field(self, index: int) -> str:
        return self.fields[index] if 0 <= index < len(self.fields) else ""

    def set_field(self, index: int, value: str) -> None:
        if index == 0:
            self.set_record(value)
            return
        while len(self.fields) <= index:
            self.fields.append("")
        self.fields[index] = value
        self.vars["NF"] = float(len(self.fields) - 1)
        self.fields[0] = _str(self.vars.get("OFS", " ")).join(self.fields[1:])


Expr = Callable[[_State], Value]
Stmt = Callable[[_State], None]


class _Parser:
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
                action = self.block() if self.peek() == "{" else _print_record
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

        def run(state: _State) -> None:
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

            def nxt(_state: _State) -> None:
                raise _Next

            return nxt
        expr = self.expr()
        def run(state: _State) -> None:
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

        def run(state: _State) -> None:
            values = [a(state) for a in args]
            if formatted:
                state.out.append(_sprintf(values))
                return
            ofs = _str(state.vars.get("OFS", " "))
            fmt = _str(state.vars.get("OFMT", "%.6g"))
            text = ofs.join(_str(v, fmt) for v in values) if values else state.field(0)
            state.out.append(text + _str(state.vars.get("ORS", "\n")))

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

        def run(state: _State) -> None:
            if _truth(cond(state)):
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

        def run(state: _State) -> None:
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
        return lambda s: yes(s) if _truth(cond(s)) else no(s)

    def assign(self, no_gt: bool) -> Expr:
        start = self.pos
        target = self.lvalue()
        if target is not None and self.peek() in ("=", "+=", "-=", "*=", "/=", "%="):
            op = self.take()
            value = self.assign(no_gt)
            getter, setter = target
            if op == "=":
                return lambda s: setter(s, value(s))
            arith = _ARITH[op[0]]
            return lambda s: setter(s, arith(_num(getter(s)), _num(value(s))))
        self.pos = start
        return self.or_(no_gt)

    def lvalue(self) -> tuple[Expr, Callable[[_State, Value], Value]] | None:
        if self.kind() == "name" and self.peek() not in _KEYWORDS and self.peek() not in _BUILTINS:
            name = self.take()
            if self.peek() == "[":
                self.take("[")
                key = self.expr()
                self.take("]")
                return (lambda s: _array(s, name).get(_str(key(s)), ""),
                        lambda s, v: _store(_array(s, name), _str(key(s)), v))
            return lambda s: s.vars.get(name, ""), lambda s, v: _set_var(s, name, v)
        if self.peek() == "$":
            self.take()
            index = self.primary()
            return (lambda s: s.field(int(_num(index(s)))),
                    lambda s, v: s.set_field(int(_num(index(s))), _str(v)) or v)
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
            return lambda s: float(_compare(op, left(s), right(s)))
        return left

    def concat(self, no_gt: bool) -> Expr:
        left = self.additive()
        while self.kind() in ("num", "str", "re") or self.peek() in ("$", "(") or (
                self.kind() == "name" and self.peek() not in _KEYWORDS):
            right, prev = self.additive(), left
            left = _binary(prev, right, lambda x, y: _str(x) + _str(y))
        return left

    def additive(self) -> Expr:
        left = self.term()
        while self.peek() in ("+", "-"):
            op, right, prev = _ARITH[self.take()], self.term(), left
            left = _arith(op, prev, right)
        return left

    def term(self) -> Expr:
        left = self.unary()
        while self.peek() in ("*", "/", "%"):
            op, right, prev = _ARITH[self.take()], self.unary(), left
            left = _arith(op, prev, right)
        return left

    def unary(self) -> Expr:
        if self.peek() in ("!", "-", "+"):
            op = self.take()
            inner = self.unary()
            if op == "!":
                return lambda s: float(not _truth(inner(s)))
            return (lambda s: -_num(inner(s))) if op == "-" else (lambda s: _num(inner(s)))
        return self.postfix()

    def postfix(self) -> Expr:
        if self.peek() in ("++", "--"):
            step = 1.0 if self.take() == "++" else -1.0
            target = self.lvalue()
            if target is None:
                raise AwkSyntax(self.peek())
            get, put = target
            return lambda s: put(s, _num(get(s)) + step)
        start = self.pos
        target = self.lvalue()
        if target is not None and self.peek() in ("++", "--"):
            step = 1.0 if self.take() == "++" else -1.0
            get, put = target

            def post(s: _State) -> Value:
                old = _num(get(s))
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
            literal = _unquote(text[1:-1])
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
            return lambda s: s.field(int(_num(index(s))))
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
        return lambda s: _call(name, [a(s) for a in args], s)

    def _split(self, args: list[Expr]) -> Expr:
        # split(s, a[, fs]): the array is named by the second argument's token
        target = self.tokens[self.pos - 2 - (2 if len(args) > 2 else 0)][1]

        def run(s: _State) -> Value:
            text = _str(args[0](s))
            parts = re.split(_str(args[2](s)), text) if len(args) > 2 else s.split(text)
            s.arrays[target] = {str(i + 1): p for i, p in enumerate(parts)}
            return float(len(parts))

        return run


def _or(a: Expr, b: Expr) -> Expr:
    return lambda s: float(_truth(a(s)) or _truth(b(s)))


def _and(a: Expr, b: Expr) -> Expr:
    return lambda s: float(_truth(a(s)) and _truth(b(s)))


def _regex_match(a: Expr, b: Expr, negate: bool) -> Expr:
    return lambda s: float(bool(re.search(_str(b(s)), _str(a(s)))) != negate)


def _binary(a: Expr, b: Expr, fn: Callable[[Value, Value], Value]) -> Expr:
    return lambda s: fn(a(s), b(s))


def _arith(fn: Callable[[float, float], float], a: Expr, b: Expr) -> Expr:
    return lambda s: fn(_num(a(s)), _num(b(s)))


_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else math.nan, "%": lambda a, b: math.fmod(a, b) if b else math.nan,
}


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "/": "/"}.get(m.group(1),
                                                                                              "\\" + m.group(1)), text)


def _store(table: dict[str, Value], key: str, value: Value) -> Value:
    table[key] = value
    return value


def _array(state: _State, name: str) -> dict[str, Value]:
    return state.arrays.setdefault(name, {})


def _set_var(state: _State, name: str, value: Value) -> Value:
    state.vars[name] = value
    if name == "NF":
        count = int(_num(value))
        state.fields = state.fields[: count + 1] + [""] * (count + 1 - len(state.fields))
        state.fields[0] = _str(state.vars.get("OFS", " ")).join(state.fields[1:])
    return value


def _truth(value: Value) -> bool:
    if isinstance(value, float):
        return value != 0
    return value != "" and (not _looks_numeric(value) or _num(value) != 0)


def _compare(op: str, left: Value, right: Value) -> bool:
    a: Value
    b: Value
    if _looks_numeric(left) and _looks_numeric(right):
        a, b = _num(left), _num(right)
    else:
        a, b = _str(left), _str(right)
    return {"<": a < b, "<=": a <= b, "==": a == b, "!=": a != b, ">=": a >= b, ">": a > b}[op]  # type: ignore[operator]


def _call(name: str, args: list[Value], state: _State) -> Value:
    text = _str(args[0]) if args else state.field(0)
    if name == "length":
        return float(len(text))
    if name == "substr":
        start = round(_num(args[1])) if len(args) > 1 else 1
        length = round(_num(args[2])) if len(args) > 2 else len(text)
        begin = max(start, 1)
        end = start + length
        return text[begin - 1 : max(end - 1, begin - 1)]
    if name == "index":
        return float(text.find(_str(args[1])) + 1)
    if name in ("tolower", "toupper"):
        return text.lower() if name == "tolower" else text.upper()
    if name == "int":
        return float(int(_num(args[0]))) if args else 0.0
    return _sprintf(args)


def _sprintf(values: list[Value]) -> str:
    if not values:
        return ""
    fmt, rest = _str(values[0]), list(values[1:])

    def one(match: re.Match[str]) -> str:
        spec, conv = match.group(1), match.group(2)
        if conv == "%":
            return "%"
        value = rest.pop(0) if rest else ""
        if conv in "di":
            return f"%{spec}d" % int(_num(value))
        if conv in "oxXu":
            return f"%{spec}{'d' if conv == 'u' else conv}" % int(_num(value))
        if conv in "feEgG":
            return f"%{spec}{conv}" % _num(value)
        if conv == "c":
            return _str(value)[:1] if isinstance(value, str) else chr(int(value))
        return f"%{spec}s" % _str(value)

    return re.sub(r"%([-+ #0-9.]*)([a-zA-Z%])", one, _unquote(fmt) if "\\" in fmt else fmt)


def _print_record(state: _State) -> None:
    state.out.append(state.field(0) + _str(state.vars.get("ORS", "\n")))


def _options(inv: Invocation) -> tuple[str | None, dict[str, Value], list[str]]:
    args = inv.argv[1:]
    program: str | None = None
    assigns: dict[str, Value] = {"FS": " ", "OFS": " ", "ORS": "\n", "NR": 0.0, "NF": 0.0}
    while args and args[0].startswith("-") and len(args[0]) > 1:
        flag = args.pop(0)
        if flag.startswith("-F"):
            sep = flag[2:] or (args.pop(0) if args else " ")
            assigns["FS"] = "\t" if sep == "t" else sep
        elif flag.startswith("-v"):
            name, _, value = (flag[2:] or (args.pop(0) if args else "")).partition("=")
            assigns[name] = _unquote(value)
        elif flag == "--":
            break
    if args:
        program = args.pop(0)
    return program, assigns, args


async def awk(inv: Invocation) -> int:
    program, assigns, files = _options(inv)
    if program is None:
        inv.err("usage: awk [-F fs][-v var=value][-safe][-version] [prog | -f progfile][file ...]\n")
        return 2
    try:
        begin, rules, end = _Parser(program).program()
    except AwkSyntax as exc:
        inv.err(f"awk: syntax error at source line 1\n context is\n\t{program.strip()} >>> {exc} <<<\n"
                "awk: bailing out at source line 1\n")
        return 2
    state = _State(inv, vars=assigns)
    for stmt in begin:
        stmt(state)
    if rules or end:
        inputs, _status = await read_inputs(inv, files)
        for _name, data in inputs:
            for line in data.decode(errors="replace").splitlines():
                state.vars["NR"] = _num(state.vars.get("NR", 0.0)) + 1
                state.set_record(line)
                _apply(rules, state)
        for stmt in end:
            stmt(state)
    inv.out("".join(state.out))
    return 0


def _apply(rules: list[tuple[Expr | None, Stmt]], state: _State) -> None:
    try:
        for pattern, action in rules:
            if pattern is None or _truth(pattern(state)):
                action(state)
    except _Next:
        return
