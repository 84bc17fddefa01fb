"""An XPath 1.0 subset over the element tree, the part of it locators for mobile apps use.

Appium evaluates XPath over the page source (UiAutomator2 with its own XPath engine over the XML dump,
WebDriverAgent with libxml2 over its snapshot), so an expression means the same here as there for:
absolute and ``//`` paths, ``*``, ``.``, ``..``, predicates with ``@attr`` comparisons (``= != < > <= >=``),
``and``/``or``, ``not()``, ``contains()``, ``starts-with()``, ``last()``, ``position()``, numeric
positions, ``(…)[n]`` and unions with ``|``. Anything else is an ``invalid selector``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

from harness.lab.appium.ui.tree import Node

__all__ = ["XPathError", "select"]

_TOKEN = re.compile(r"""\s*(?:(//|\.\.|!=|<=|>=|[/\[\]()@,|=<>*.])|("[^"]*"|'[^']*')|(\d+(?:\.\d+)?)"""
                    r"""|([A-Za-z_][\w.\-:]*))""")


class XPathError(ValueError):
    """Not an expression this engine evaluates (the endpoint answers ``invalid selector``)."""


@dataclass(frozen=True)
class _Attrs:
    values: list[str]


Value = Union[list[Node], _Attrs, str, float, bool]  # noqa: UP007 - a runtime alias
Expr = Callable[[Node, int, int], Value]  # (context node, position, size) → value
Steps = Callable[[list[Node]], list[Node]]


def select(root: Node, expression: str) -> list[Node]:
    """Elements matching ``expression`` in document order; ``root`` is the document element's parent."""
    parser = _Parser(_tokenize(expression))
    path = parser.union()
    if parser.peek() is not None:
        raise XPathError(f"unexpected {parser.peek()!r} in {expression!r}")
    return _ordered(root, [n for n in path([root]) if n is not root])


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip():
                raise XPathError(f"cannot read {text[pos:pos + 20]!r}")
            break
        tokens.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    return tokens


def _ordered(root: Node, nodes: list[Node]) -> list[Node]:
    wanted = {id(n) for n in nodes}
    return [n for n in root.walk() if id(n) in wanted]


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, ahead: int = 0) -> str | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise XPathError(f"expected {expected or 'more'}, found {token!r}")
        self.pos += 1
        return token

    # -- paths ----------------------------------------------------------------------------------
    def union(self) -> Steps:
        paths = [self.path()]
        while self.peek() == "|":
            self.take()
            paths.append(self.path())
        if len(paths) == 1:
            return paths[0]
        return lambda ctx: _unique([n for p in paths for n in p(ctx)])

    def path(self) -> Steps:
        if self.peek() == "(":
            self.take()
            inner = self.union()
            self.take(")")
            preds = self.predicates()
            head: Steps = lambda ctx: _filter(inner(ctx), preds)  # noqa: E731
            if self.peek() in ("/", "//"):
                rest = self.relative(self.take() == "//")
                return lambda ctx: rest(head(ctx))
            return head
        if self.peek() in ("/", "//"):
            deep = self.take() == "//"
            if not deep and (self.peek() is None or self.peek() in ("|", ")", "]")):
                return lambda ctx: [_top(n) for n in ctx]
            rest = self.relative(deep)
            return lambda ctx: rest([_top(n) for n in ctx])
        return self.relative(False)

    def relative(self, deep: bool) -> Steps:
        steps = [self.step(deep)]
        while self.peek() in ("/", "//"):
            steps.append(self.step(self.take() == "//"))

        def run(ctx: list[Node]) -> list[Node]:
            for step in steps:
                ctx = step(ctx)
            return ctx

        return run

    def step(self, deep: bool) -> Steps:
        token = self.take()
        if token == ".":
            return lambda ctx: _unique([d for n in ctx for d in (n.walk() if deep else [n])])
        if token == "..":
            return lambda ctx: _unique([n.parent for n in ctx if n.parent is not None])
        if token != "*" and not re.match(r"[A-Za-z_]", token):
            raise XPathError(f"expected an element name, found {token!r}")
        preds = self.predicates()

        def run(ctx: list[Node]) -> list[Node]:
            out: list[Node] = []
            for node in ctx:
                pool = [d for c in node.children for d in c.walk()] if deep else node.children
                out.extend(_filter([n for n in pool if token in ("*", n.tag)], preds))
            return _unique(out)

        return run

    def predicates(self) -> list[Expr]:
        preds: list[Expr] = []
        while self.peek() == "[":
            self.take()
            preds.append(self.expr())
            self.take("]")
        return preds

    # -- expressions ----------------------------------------------------------------------------
    def expr(self) -> Expr:
        left = self.and_expr()
        while self.peek() == "or":
            self.take()
            left = _logic(left, self.and_expr(), any)
        return left

    def and_expr(self) -> Expr:
        left = self.compare()
        while self.peek() == "and":
            self.take()
            left = _logic(left, self.compare(), all)
        return left

    def compare(self) -> Expr:
        left = self.primary()
        op = self.peek()
        if op in ("=", "!=", "<", ">", "<=", ">="):
            self.take()
            right = self.primary()
            return lambda n, p, s: _compare(left(n, p, s), right(n, p, s), op)
        return left

    def primary(self) -> Expr:
        token = self.peek()
        if token is None:
            raise XPathError("expression ends too early")
        if token[0] in "\"'":
            self.take()
            return lambda n, p, s: token[1:-1]
        if token[0].isdigit():
            self.take()
            return lambda n, p, s: float(token)
        if token == "@":
            self.take()
            name = self.take()
            return lambda n, p, s: _Attrs([v] if (v := n.attribute(name)) is not None else [])
        if token == "(":
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        if self.peek(1) == "(" and token not in ("*",):
            return self.call(self.take())
        path = self.relative(False)
        return lambda n, p, s: path([n])

    def call(self, name: str) -> Expr:
        self.take("(")
        args: list[Expr] = []
        while self.peek() != ")":
            args.append(self.expr())
            if self.peek() == ",":
                self.take()
        self.take(")")
        funcs: dict[str, tuple[int, Expr]] = {
            "last": (0, lambda n, p, s: float(s)),
            "position": (0, lambda n, p, s: float(p)),
            "not": (1, lambda n, p, s: not _bool(args[0](n, p, s))),
            "contains": (2, lambda n, p, s: _str(args[1](n, p, s)) in _str(args[0](n, p, s))),
            "starts-with": (2, lambda n, p, s: _str(args[0](n, p, s)).startswith(_str(args[1](n, p, s)))),
            "string-length": (1, lambda n, p, s: float(len(_str(args[0](n, p, s))))),
            "normalize-space": (1, lambda n, p, s: " ".join(_str(args[0](n, p, s)).split())),
        }
        if name not in funcs or funcs[name][0] != len(args):
            raise XPathError(f"function {name}() with {len(args)} argument(s) is not supported")
        return funcs[name][1]


def _top(node: Node) -> Node:
    while node.parent is not None:
        node = node.parent
    return node


def _unique(nodes: list[Node]) -> list[Node]:
    seen: set[int] = set()
    return [n for n in nodes if not (id(n) in seen or seen.add(id(n)))]  # type: ignore[func-returns-value]


def _filter(nodes: list[Node], preds: list[Expr]) -> list[Node]:
    for pred in preds:
        size = len(nodes)
        kept = []
        for pos, node in enumerate(nodes, 1):
            value = pred(node, pos, size)
            if (value == pos) if isinstance(value, float) else _bool(value):
                kept.append(node)
        nodes = kept
    return nodes


def _logic(left: Expr, right: Expr, how: Callable[[list[bool]], bool]) -> Expr:
    if how is any:
        return lambda n, p, s: _bool(left(n, p, s)) or _bool(right(n, p, s))
    return lambda n, p, s: _bool(left(n, p, s)) and _bool(right(n, p, s))


def _strings(value: Value) -> list[str]:
    if isinstance(value, _Attrs):
        return value.values
    if isinstance(value, list):
        return ["" for _ in value]  # element string-values: the dumps carry no text nodes
    return [_str(value)]


def _str(value: Value) -> str:
    if isinstance(value, (_Attrs, list)):
        values = _strings(value)
        return values[0] if values else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return value


def _bool(value: Value) -> bool:
    if isinstance(value, _Attrs):
        return bool(value.values)
    if isinstance(value, list):
        return bool(value)
    return bool(value)


def _compare(left: Value, right: Value, op: str) -> bool:
    numeric = op in ("<", ">", "<=", ">=") or isinstance(left, float) or isinstance(right, float)
    for a in _strings(left):
        for b in _strings(right):
            if _holds(a, b, op, numeric):
                return True
    return False


def _holds(a: str, b: str, op: str, numeric: bool) -> bool:
    if numeric:
        try:
            x, y = float(a), float(b)
        except ValueError:
            return op == "!="
        return {"=": x == y, "!=": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]
    return (a == b) if op == "=" else (a != b)
