"""The mksh built-ins adb users lean on: ``test``/``[``, ``read``, ``kill``, ``shift``, ``set --``, ``local``, ``pwd``,
``:``, ``eval``.

On a phone these never reach toybox: mksh R59c funcs.c runs them in the shell itself, so their errors carry
the shell's prefix (``/system/bin/sh: kill: 99999: No such process``, ``bi_errorf``). ``test``'s integer
operators evaluate their operands as arithmetic (funcs.c ``test_eval``: ``evaluate(opnd1, …)``), so
``[ x -eq 0 ]`` compares the variable ``x``; a syntax error in ``test`` exits 2 (``T_ERR_EXIT``).
"""

from __future__ import annotations

import fnmatch
import stat as st
from collections.abc import Callable

from harness.lab.android.device import AndroidDevice
from harness.lab.android.os.ids import Cred, cred_for
from harness.lab.android.shell.arith import ArithError, evaluate
from harness.lab.android.shell.runtime import SH, Invocation, Registry, run_script
from harness.lab.android.vfs import FsError, Node

__all__ = ["SIGNALS", "install"]

# Linux/bionic signal numbers and mksh's names and messages (sigtraps: the name without SIG).
SIGNALS: tuple[tuple[int, str, str], ...] = (
    (1, "HUP", "Hangup"), (2, "INT", "Interrupt"), (3, "QUIT", "Quit"), (4, "ILL", "Illegal instruction"),
    (5, "TRAP", "Trace/breakpoint trap"), (6, "ABRT", "Aborted"), (7, "BUS", "Bus error"),
    (8, "FPE", "Floating point exception"), (9, "KILL", "Killed"), (10, "USR1", "User signal 1"),
    (11, "SEGV", "Segmentation fault"), (12, "USR2", "User signal 2"), (13, "PIPE", "Broken pipe"),
    (14, "ALRM", "Alarm clock"), (15, "TERM", "Terminated"), (16, "STKFLT", "Stack fault"),
    (17, "CHLD", "Child exited"), (18, "CONT", "Continued"), (19, "STOP", "Stopped (signal)"),
    (20, "TSTP", "Stopped"), (21, "TTIN", "Stopped (tty input)"), (22, "TTOU", "Stopped (tty output)"),
    (23, "URG", "Urgent I/O condition"), (24, "XCPU", "CPU time limit exceeded"),
    (25, "XFSZ", "File size limit exceeded"), (26, "VTALRM", "Virtual timer expired"),
    (27, "PROF", "Profiling timer expired"), (28, "WINCH", "Window size changed"), (29, "IO", "I/O possible"),
    (30, "PWR", "Power failure"), (31, "SYS", "Bad system call"),
)
_BY_NAME = {name: num for num, name, _ in SIGNALS}


def _berr(inv: Invocation, text: str) -> None:
    inv.err(f"{SH}: {inv.argv[0]}: {text}\n")


# -- test / [ ---------------------------------------------------------------------------------------

class _TestError(Exception):
    pass


_UNARY_FILE: dict[str, Callable[[int], bool]] = {
    "-e": lambda m: True, "-f": st.S_ISREG, "-d": st.S_ISDIR, "-b": st.S_ISBLK, "-c": st.S_ISCHR,
    "-p": st.S_ISFIFO, "-S": st.S_ISSOCK, "-L": st.S_ISLNK, "-h": st.S_ISLNK,
    "-u": lambda m: bool(m & st.S_ISUID), "-g": lambda m: bool(m & st.S_ISGID), "-k": lambda m: bool(m & st.S_ISVTX),
}
_INT_OPS: dict[str, Callable[[int, int], bool]] = {
    "-eq": lambda a, b: a == b, "-ne": lambda a, b: a != b, "-lt": lambda a, b: a < b,
    "-le": lambda a, b: a <= b, "-gt": lambda a, b: a > b, "-ge": lambda a, b: a >= b,
}
_STR_OPS: dict[str, Callable[[str, str], bool]] = {
    "=": lambda a, b: a == b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b, ">": lambda a, b: a > b,
}


class _Test:
    OR, AND = "-o", "-a"

    def __init__(self, inv: Invocation, args: list[str]) -> None:
        self.inv = inv
        self.args = args
        self.pos = 0

    def run(self) -> bool:
        value = self.or_()
        if self.pos != len(self.args):
            raise _TestError(f"{self.args[self.pos]}: unexpected operator/operand")
        return value

    def or_(self) -> bool:
        value = self.and_()
        while self.peek() == self.OR:
            self.pos += 1
            value = self.and_() or value
        return value

    def and_(self) -> bool:
        value = self.not_()
        while self.peek() == self.AND:
            self.pos += 1
            value = self.not_() and value
        return value

    def peek(self, ahead: int = 0) -> str | None:
        index = self.pos + ahead
        return self.args[index] if index < len(self.args) else None

    def not_(self) -> bool:
        if self.peek() == "!" and self.peek(1) is not None:
            self.pos += 1
            return not self.not_()
        return self.primary()

    def primary(self) -> bool:
        word = self.peek()
        if word is None:
            raise _TestError("missing second argument" if self.pos else "missing argument")
        if (word == "(" and self.peek(2) == ")") or (word == "(" and self.peek(1) not in _BINARY):
            self.pos += 1
            value = self.or_()
            if self.peek() != ")":
                raise _TestError("missing )")
            self.pos += 1
            return value
        op = self.peek(1)
        if op in _BINARY and self.peek(2) is not None:
            self.pos += 3
            return self.binary(word, op, self.args[self.pos - 1])
        if word in _UNARY and self.peek(1) is not None:
            self.pos += 2
            return self.unary(word, self.args[self.pos - 1])
        self.pos += 1
        return word != ""

    def unary(self, op: str, operand: str) -> bool:
        if op == "-n":
            return operand != ""
        if op == "-z":
            return operand == ""
        if op == "-t":
            return False  # adb shell without a pty: no terminal
        node = self._node(operand)
        if node is None:
            return False
        if op == "-s":
            return len(node.data) > 0 or node.is_dir
        if op in _ACCESS:  # funcs.c test_eval: access(2) with the caller's credentials
            return _access(node, cred_for(self.inv.uid), _ACCESS[op])
        return _UNARY_FILE[op](node.mode)

    def _node(self, path: str) -> Node | None:
        fs = self.inv.host.fs
        try:
            return fs.lookup(fs.resolve(path, self.inv.cwd), cred_for(self.inv.uid))
        except FsError:
            return None

    def binary(self, left: str, op: str, right: str) -> bool:
        if op in _STR_OPS:
            return _STR_OPS[op](left, right)
        if op in _INT_OPS:
            try:
                return _INT_OPS[op](evaluate(left, self.inv.env), evaluate(right, self.inv.env))
            except ArithError as exc:
                raise _ArithFailure(str(exc)) from None
        a, b = self._node(left), self._node(right)
        if op == "-ef":
            return a is not None and a is b
        if a is None or b is None:
            return (op == "-nt" and a is not None) or (op == "-ot" and b is not None)
        return a.mtime > b.mtime if op == "-nt" else a.mtime < b.mtime


class _DoubleBracket(_Test):
    """``[[ … ]]``: ``&&`` ``||`` join, and ``==``/``!=`` match a pattern (mksh funcs.c ``test_eval`` with
    ``TEF_DBRACKET``: ``gmatchx``)."""

    OR, AND = "||", "&&"

    def binary(self, left: str, op: str, right: str) -> bool:
        if op in ("=", "=="):
            return fnmatch.fnmatchcase(left, right)
        if op == "!=":
            return not fnmatch.fnmatchcase(left, right)
        return super().binary(left, op, right)


class _ArithFailure(Exception):
    pass


_ACCESS = {"-r": 4, "-w": 2, "-x": 1}
_UNARY = frozenset({"-n", "-z", "-t", "-s", *_UNARY_FILE, *_ACCESS})


def _access(node: Node, cred: Cred, want: int) -> bool:
    """The owner's, the group's or the others' bits, whichever class the caller is in (root passes)."""
    shift = 6 if cred.uid == node.uid else 3 if cred.member(node.gid) else 0
    return cred.uid == 0 or (node.mode >> shift) & want == want
_BINARY = frozenset({*_STR_OPS, *_INT_OPS, "-ef", "-nt", "-ot"})


def test(inv: Invocation) -> int:
    args = inv.argv[1:]
    if inv.argv[0] == "[[":
        return _run_test(inv, _DoubleBracket(inv, args[:-1]))
    if inv.argv[0] == "[":
        if not args or args[-1] != "]":
            _berr(inv, "missing ]")
            return 2
        args = args[:-1]
    return _run_test(inv, _Test(inv, args))


def _run_test(inv: Invocation, expression: _Test) -> int:
    try:
        return 0 if expression.run() else 1
    except _TestError as exc:
        _berr(inv, str(exc))
    except _ArithFailure as exc:
        inv.err(f"{SH}: {exc}\n")
    return 2


# -- read, shift, set, :, eval ------------------------------------------------------------------------

async def read(inv: Invocation) -> int:
    """``read [-r] NAME…``: one line of stdin, split on IFS; the last name takes the rest."""
    args = inv.argv[1:]
    raw = False
    while args and args[0].startswith("-") and len(args[0]) > 1:
        raw = raw or "r" in args[0]
        args = args[1:]
    names = args or ["REPLY"]
    line, eof = await _read_line(inv)
    if not raw:
        line = line.replace("\\\n", "").replace("\\", "")
    ifs = inv.env.get("IFS", " \t\n")
    fields = line.strip(ifs).split(None, len(names) - 1) if ifs == " \t\n" else line.split(ifs[0], len(names) - 1)
    for index, name in enumerate(names):
        inv.env[name] = fields[index] if index < len(fields) else ""
    return 1 if eof and not line else 0


async def _read_line(inv: Invocation) -> tuple[str, bool]:
    """Reads up to a newline; the rest of the chunk goes back in front of stdin for the next reader."""
    buf = bytearray()
    while True:
        chunk = await inv.stdin.read()
        if not chunk:
            return buf.decode(errors="replace"), True
        cut = chunk.find(b"\n")
        if cut < 0:
            buf += chunk
            continue
        buf += chunk[:cut]
        inv.stdin.unread(chunk[cut + 1 :])
        return buf.decode(errors="replace"), False


def shift(inv: Invocation) -> int:
    count = int(inv.argv[1]) if len(inv.argv) > 1 and inv.argv[1].isdigit() else 1
    params = inv.state.positional
    if count > len(params):
        _berr(inv, "nothing to shift")
        return 1
    inv.state.positional = params[count:]
    return 0


def set_(inv: Invocation) -> int:
    args = inv.argv[1:]
    if not args:
        for name in sorted(k for k in inv.env if k.isidentifier() and k != "__exit__"):
            inv.out(f"{name}={inv.env[name]}\n")
        return 0
    options = args[: args.index("--")] if "--" in args else args
    for index, flag in enumerate(options):
        named = options[index + 1] if flag in ("-o", "+o") and index + 1 < len(options) else ""
        if flag[:1] in ("-", "+") and (("e" in flag[1:] and flag[1:] != "o") or named == "errexit"):
            inv.state.errexit = flag[0] == "-"
    if "--" in args:
        inv.state.positional = args[args.index("--") + 1 :]
    elif not args[0].startswith(("-", "+")):
        inv.state.positional = args
    return 0


def local(inv: Invocation) -> int:
    """``local``/``typeset NAME[=VALUE]``: in a function, the name is the function's until it returns."""
    frame = inv.state.frames[-1] if inv.state.frames else None
    for arg in (a for a in inv.argv[1:] if not a.startswith(("-", "+"))):
        name, eq, value = arg.partition("=")
        if frame is not None and name not in frame:
            frame[name] = inv.env.get(name)
            inv.env.pop(name, None)
        if eq:
            inv.env[name] = value
    return 0


def pwd(inv: Invocation) -> int:
    inv.out(inv.cwd + "\n")
    return 0


def colon(_inv: Invocation) -> int:
    return 0


async def eval_(inv: Invocation) -> int:
    return await run_script(" ".join(inv.argv[1:]), inv)


# -- kill ----------------------------------------------------------------------------------------------

def _signal(spec: str) -> int | None:
    spec = spec.upper()
    if spec.isdigit():
        return int(spec) if 0 <= int(spec) < 65 else None
    return _BY_NAME.get(spec[3:] if spec.startswith("SIG") else spec)


def kill(inv: Invocation) -> int:
    args = inv.argv[1:]
    sig = 15
    if args and args[0] == "-l":
        return _kill_list(inv, args[1:])
    if args and args[0] == "-s" and len(args) > 1:
        found = _signal(args[1])
        if found is None:
            _berr(inv, f"bad signal '{args[1]}'")
            return 1
        sig, args = found, args[2:]
    elif args and args[0].startswith("-") and args[0][1:2].isalnum():
        found = _signal(args[0][1:])
        if found is None:
            _berr(inv, f"bad signal '{args[0][1:]}'")
            return 1
        sig, args = found, args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        inv.err("usage:\tkill [-s signame | -signum | -signame] { job | pid | pgrp } ...\n"
                "\tkill -l [exit_status ...]\n")
        _berr(inv, "")
        return 1
    return max(_kill_one(inv, arg, sig) for arg in args)


def _kill_one(inv: Invocation, arg: str, sig: int) -> int:
    if not arg.lstrip("-").isdigit():
        _berr(inv, f"{arg}: arguments must be jobs or process IDs")
        return 1
    dev = inv.host
    assert isinstance(dev, AndroidDevice)
    proc = dev.processes.get(int(arg))
    if proc is None:
        _berr(inv, f"{arg}: No such process")
        return 1
    if inv.uid not in (0, proc.uid):
        _berr(inv, f"{arg}: Operation not permitted")
        return 1
    if sig not in (0, 17, 18, 23, 28):  # 0 only checks; CHLD, CONT, URG, WINCH are ignored by default
        dev.processes.remove(proc.pid)
    return 0


def _kill_list(inv: Invocation, args: list[str]) -> int:
    if args:
        for arg in args:
            if not arg.isdigit():
                _berr(inv, f"bad number: {arg}")
                return 1
            number = int(arg) - 128 if 128 < int(arg) < 128 + 65 else int(arg)
            names = {num: name for num, name, _ in SIGNALS}
            inv.out(f"{names.get(number, number)}\n")
        return 0
    # mksh funcs.c kill_fmt_entry ("%*u %*s %s": number and name right-aligned) laid out by misc.c
    # print_columns for 80 columns: down the columns, each but the last padded to the widest entry plus the
    # spare space. (A phone lists 64 signals, the real-time ones too; the lab knows the 31 named ones.)
    name_width = max(len(name) for _n, name, _m in SIGNALS)
    entries = [f"{num:2d} {name:>{name_width}} {mess}" for num, name, mess in SIGNALS]
    width = max(len(e) for e in entries)
    cols = max(1, 81 // (width + 2))
    rows = -(-len(entries) // cols)
    gap = max(2, (80 - width * cols) // cols)
    for row in range(rows):
        cells = [entries[i] for i in range(row, len(entries), rows)]
        inv.out("".join(cell.ljust(width + gap) for cell in cells[:-1]) + cells[-1] + "\n")
    return 0


def install(reg: Registry) -> None:
    simple = {"test": test, "[": test, "[[": test, "shift": shift, "set": set_, ":": colon, "kill": kill,
              "local": local, "typeset": local, "pwd": pwd}
    for name, fn in simple.items():
        reg.add(name, fn)
    reg.add("read", read)
    reg.add("eval", eval_)
