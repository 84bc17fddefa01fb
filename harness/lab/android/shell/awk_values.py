"""Values, records and built-in functions of the lab's awk (One True AWK semantics: strings and numbers, %.6g)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.lab.android.shell.runtime import Invocation

__all__ = [
    "ARITH", "Expr", "Next", "State", "Stmt", "Value", "array_of", "as_str", "call_builtin", "compare", "looks_numeric",
    "num", "print_record", "set_var", "sprintf", "store", "truth", "unquote",
]

Value = str | float


class Next(Exception):
    pass


def num(value: Value) -> float:
    if isinstance(value, float):
        return value
    match = re.match(r"\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+)", value)
    return float(match.group()) if match else 0.0


def as_str(value: Value, fmt: str = "%.6g") -> str:
    if isinstance(value, str):
        return value
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return fmt % value


def looks_numeric(value: Value) -> bool:
    return isinstance(value, float) or re.fullmatch(r"\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+)\s*", value) is not None


@dataclass
class State:
    inv: Invocation
    vars: dict[str, Value] = field(default_factory=dict)
    arrays: dict[str, dict[str, Value]] = field(default_factory=dict)
    fields: list[str] = field(default_factory=lambda: [""])
    out: list[str] = field(default_factory=list)

    def set_record(self, line: str) -> None:
        self.fields = [line, *self.split(line)]
        self.vars["NF"] = float(len(self.fields) - 1)

    def split(self, text: str) -> list[str]:
        sep = as_str(self.vars.get("FS", " "))
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
        self.fields[0] = as_str(self.vars.get("OFS", " ")).join(self.fields[1:])


Expr = Callable[[State], Value]
Stmt = Callable[[State], None]


ARITH: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else math.nan, "%": lambda a, b: math.fmod(a, b) if b else math.nan,
}


def unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "/": "/"}.get(m.group(1),
                                                                                              "\\" + m.group(1)), text)


def store(table: dict[str, Value], key: str, value: Value) -> Value:
    table[key] = value
    return value


def array_of(state: State, name: str) -> dict[str, Value]:
    return state.arrays.setdefault(name, {})


def set_var(state: State, name: str, value: Value) -> Value:
    state.vars[name] = value
    if name == "NF":
        count = int(num(value))
        state.fields = state.fields[: count + 1] + [""] * (count + 1 - len(state.fields))
        state.fields[0] = as_str(state.vars.get("OFS", " ")).join(state.fields[1:])
    return value


def truth(value: Value) -> bool:
    if isinstance(value, float):
        return value != 0
    return value != "" and (not looks_numeric(value) or num(value) != 0)


def compare(op: str, left: Value, right: Value) -> bool:
    a: Value
    b: Value
    if looks_numeric(left) and looks_numeric(right):
        a, b = num(left), num(right)
    else:
        a, b = as_str(left), as_str(right)
    return {"<": a < b, "<=": a <= b, "==": a == b, "!=": a != b, ">=": a >= b, ">": a > b}[op]  # type: ignore[operator]


def call_builtin(name: str, args: list[Value], state: State) -> Value:
    text = as_str(args[0]) if args else state.field(0)
    if name == "length":
        return float(len(text))
    if name == "substr":
        start = round(num(args[1])) if len(args) > 1 else 1
        length = round(num(args[2])) if len(args) > 2 else len(text)
        begin = max(start, 1)
        end = start + length
        return text[begin - 1 : max(end - 1, begin - 1)]
    if name == "index":
        return float(text.find(as_str(args[1])) + 1)
    if name in ("tolower", "toupper"):
        return text.lower() if name == "tolower" else text.upper()
    if name == "int":
        return float(int(num(args[0]))) if args else 0.0
    return sprintf(args)


def sprintf(values: list[Value]) -> str:
    if not values:
        return ""
    fmt, rest = as_str(values[0]), list(values[1:])

    def one(match: re.Match[str]) -> str:
        spec, conv = match.group(1), match.group(2)
        if conv == "%":
            return "%"
        value = rest.pop(0) if rest else ""
        if conv in "di":
            return f"%{spec}d" % int(num(value))
        if conv in "oxXu":
            return f"%{spec}{'d' if conv == 'u' else conv}" % int(num(value))
        if conv in "feEgG":
            return f"%{spec}{conv}" % num(value)
        if conv == "c":
            return as_str(value)[:1] if isinstance(value, str) else chr(int(value))
        return f"%{spec}s" % as_str(value)

    return re.sub(r"%([-+ #0-9.]*)([a-zA-Z%])", one, unquote(fmt) if "\\" in fmt else fmt)


def print_record(state: State) -> None:
    state.out.append(state.field(0) + as_str(state.vars.get("ORS", "\n")))
