"""More toybox filters that scripts pipe through: basename, dirname, tr, cut, sort, uniq, tee.

From toybox (landley/toybox): toys/posix/basename.c, dirname.c, cut.c (``-d -f``, ``-c``; ``no selections``),
sort.c (``-n -r -u -k -t``), uniq.c (``-c`` prints ``%7lu ``), tee.c, toys/pending/tr.c (``-d``, ``-s``, ranges).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from harness.lab.android.os.ids import cred_for
from harness.lab.android.shell.runtime import Invocation, Registry
from harness.lab.android.shell.toybox import read_inputs, usage_error
from harness.lab.android.vfs import FsError

__all__ = ["install"]


def basename(inv: Invocation) -> int:
    args = inv.argv[1:]
    if not args:
        usage_error(inv, "Needs 1 argument")
        return 1
    name = posixpath.basename(args[0].rstrip("/")) or "/"
    if len(args) > 1 and name != args[1] and name.endswith(args[1]):
        name = name[: -len(args[1])]
    inv.out(name + "\n")
    return 0


def dirname(inv: Invocation) -> int:
    if len(inv.argv) < 2:
        usage_error(inv, "Needs 1 argument")
        return 1
    for path in inv.argv[1:]:
        stripped = path.rstrip("/") or "/"
        head = posixpath.dirname(stripped) if stripped != "/" else "/"
        inv.out(((head.rstrip("/") or "/") if head else ".") + "\n")
    return 0


def _tr_set(spec: str) -> str:
    spec = spec.encode().decode("unicode_escape")
    return re.sub(r"(.)-(.)", lambda m: "".join(chr(c) for c in range(ord(m.group(1)), ord(m.group(2)) + 1)), spec)


async def tr(inv: Invocation) -> int:
    flags = "".join(a[1:] for a in inv.argv[1:] if a.startswith("-") and len(a) > 1)
    sets = [_tr_set(a) for a in inv.argv[1:] if not (a.startswith("-") and len(a) > 1)]
    if not sets:
        usage_error(inv, "Needs 1 argument")
        return 1
    text = (await inv.stdin.read_all()).decode(errors="replace")
    if "d" in flags:
        text = "".join(c for c in text if c not in sets[0])
    elif len(sets) > 1:
        target = sets[1] + sets[1][-1:] * max(0, len(sets[0]) - len(sets[1]))
        text = text.translate(str.maketrans(sets[0], target[: len(sets[0])]))
    if "s" in flags:
        squeeze = sets[-1]
        text = re.sub("|".join(f"{re.escape(c)}{{2,}}" for c in squeeze) or "(?!)", lambda m: m.group()[0], text)
    inv.out(text)
    return 0


def _ranges(spec: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for part in spec.split(","):
        low, dash, high = part.partition("-")
        out.append((int(low or 1), int(high) if high else (10**9 if dash else int(low))))
    return out


def _pick(items: list[str], ranges: list[tuple[int, int]]) -> list[str]:
    return [item for index, item in enumerate(items, 1) if any(lo <= index <= hi for lo, hi in ranges)]


async def cut(inv: Invocation) -> int:
    args = inv.argv[1:]
    delim, fields, chars, files = "\t", None, None, []
    while args:
        arg = args.pop(0)
        if arg[:2] in ("-d", "-f", "-c") and (len(arg) > 2 or args):
            value = arg[2:] or args.pop(0)
            if arg[1] == "d":
                delim = value
            elif arg[1] == "f":
                fields = _ranges(value)
            else:
                chars = _ranges(value)
        else:
            files.append(arg)
    if fields is None and chars is None:
        inv.err("cut: no selections\n")
        return 1
    inputs, status = await read_inputs(inv, files)
    for _name, data in inputs:
        for line in data.decode(errors="replace").splitlines():
            if chars is not None:
                inv.out("".join(_pick(list(line), chars)) + "\n")
            elif delim not in line:
                inv.out(line + "\n")  # a line without the delimiter passes whole (no -s)
            else:
                inv.out(delim.join(_pick(line.split(delim), fields or [])) + "\n")
    return status


def _sort_key(line: str, numeric: bool, key: int | None, sep: str | None) -> tuple[float, str]:
    text = line
    if key is not None:
        parts = line.split(sep) if sep is not None else line.split()
        text = sep.join(parts[key - 1 :]) if sep is not None else " ".join(parts[key - 1 :])
    if numeric:
        match = re.match(r"\s*-?\d+(\.\d+)?", text)
        return (float(match.group()) if match else 0.0, line)
    return (0.0, text)


async def sort(inv: Invocation) -> int:
    args = inv.argv[1:]
    flags, key, sep, files = "", None, None, []
    while args:
        arg = args.pop(0)
        if arg in ("-k", "-t") and args:
            value = args.pop(0)
            key, sep = (int(value.split(",")[0].split(".")[0]), sep) if arg == "-k" else (key, value)
        elif arg.startswith("-") and len(arg) > 1:
            flags += arg[1:]
        else:
            files.append(arg)
    inputs, status = await read_inputs(inv, files)
    lines = [line for _n, data in inputs for line in data.decode(errors="replace").splitlines()]
    lines.sort(key=lambda ln: _sort_key(ln, "n" in flags, key, sep), reverse="r" in flags)
    if "u" in flags:
        lines = list(dict.fromkeys(lines))
    inv.out("".join(line + "\n" for line in lines))
    return status


async def uniq(inv: Invocation) -> int:
    flags = "".join(a[1:] for a in inv.argv[1:] if a.startswith("-") and len(a) > 1)
    files = [a for a in inv.argv[1:] if not (a.startswith("-") and len(a) > 1)]
    inputs, status = await read_inputs(inv, files[:1])
    groups: list[list[str]] = []
    for line in (ln for _n, data in inputs for ln in data.decode(errors="replace").splitlines()):
        if groups and groups[-1][0] == line:
            groups[-1].append(line)
        else:
            groups.append([line])
    for group in groups:
        if ("d" in flags and len(group) < 2) or ("u" in flags and len(group) > 1):
            continue
        inv.out((f"{len(group):7d} " if "c" in flags else "") + group[0] + "\n")
    return status


async def tee(inv: Invocation) -> int:
    append = "-a" in inv.argv[1:]
    fs, cred = inv.host.fs, cred_for(inv.uid)
    sinks: list[Callable[[bytes], None]] = []
    status = 0
    for path in (a for a in inv.argv[1:] if not a.startswith("-")):
        try:
            sinks.append(fs.open_write(fs.resolve(path, inv.cwd), cred, append=append))
        except FsError as exc:
            inv.err(f"tee: {path}: {exc.reason}\n")
            status = 1
    while chunk := await inv.stdin.read():
        inv.stdout.write(chunk)
        for sink in sinks:
            sink(chunk)
    return status


def install(reg: Registry) -> None:
    reg.add("basename", basename)
    reg.add("dirname", dirname)
    for name, afn in {"tr": tr, "cut": cut, "sort": sort, "uniq": uniq, "tee": tee}.items():
        reg.add(name, afn)
