"""``awk``: a useful subset of the One True AWK that Android ships as /system/bin/awk (external/one-true-awk).

Supported: ``-F SEP``, ``-v NAME=VALUE``; ``BEGIN``/``END``, ``/regex/`` and expression patterns; actions with
``print``, ``printf``, ``if``/``else``, ``next``, assignments (``= += -= *= /= %= ++ --``), associative arrays with
``for (k in a)``; fields ``$0 $1 … $NF``, ``NR``, ``NF``, ``FS``, ``OFS``; ``~ !~``, comparisons, ``&& || !``,
string concatenation; ``length substr index tolower toupper int sprintf split``. A syntax error prints BWK awk's
first lines (``awk: syntax error at source line 1`` … ``awk: bailing out at source line 1``, lex.c/lib.c
``SYNTAX``/``FATAL``) and exits 2.
"""

from __future__ import annotations

from harness.lab.android.shell.awk_parse import AwkSyntax, Parser
from harness.lab.android.shell.awk_values import Expr, Next, State, Stmt, Value, num, truth, unquote
from harness.lab.android.shell.runtime import Invocation
from harness.lab.android.shell.toybox import read_inputs

__all__ = ["awk"]


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
            assigns[name] = unquote(value)
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
        begin, rules, end = Parser(program).program()
    except AwkSyntax as exc:
        inv.err(f"awk: syntax error at source line 1\n context is\n\t{program.strip()} >>> {exc} <<<\n"
                "awk: bailing out at source line 1\n")
        return 2
    state = State(inv, vars=assigns)
    for stmt in begin:
        stmt(state)
    if rules or end:
        inputs, _status = await read_inputs(inv, files)
        for _name, data in inputs:
            for line in data.decode(errors="replace").splitlines():
                state.vars["NR"] = num(state.vars.get("NR", 0.0)) + 1
                state.set_record(line)
                _apply(rules, state)
        for stmt in end:
            stmt(state)
    inv.out("".join(state.out))
    return 0


def _apply(rules: list[tuple[Expr | None, Stmt]], state: State) -> None:
    try:
        for pattern, action in rules:
            if pattern is None or truth(pattern(state)):
                action(state)
    except Next:
        return
