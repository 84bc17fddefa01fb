"""Toybox commands with their real options, output and errors: printf, seq, wc, stat, find, md5sum, env, which.

Each follows toybox's source (landley/toybox): toys/posix/printf.c, toys/lsb/seq.c, toys/posix/wc.c (the 7-wide
columns unless one count of stdin or one file), toys/other/stat.c (its default format and ``-c`` escapes,
``format_iso_time`` in lib/lib.c), toys/posix/find.c, toys/lsb/md5sum.c, toys/posix/env.c, toys/other/which.c.
``install`` also registers the mksh built-ins, sed/awk and the Android tools (``service``, ``content``,
``screencap``, ``uiautomator``): builtins.py calls it with one line.
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
import re
import stat as st
import time

from harness.lab.android.os.ids import cred_for
from harness.lab.android.os.processes import user_name
from harness.lab.android.shell.runtime import Invocation, Registry, run_argv
from harness.lab.android.vfs import FsError, Node

__all__ = ["install", "read_inputs", "usage_error", "write_file"]


def usage_error(inv: Invocation, message: str) -> None:
    """toybox's help_exit (lib/lib.c verror_msg): the message and a pointer to --help, exit status 1."""
    name = inv.argv[0].rpartition("/")[2]
    inv.err(f"{name}: {message} (see \"{name} --help\")\n")


async def read_inputs(inv: Invocation, files: list[str]) -> tuple[list[tuple[str, bytes]], int]:
    """(name, data) of each file (or stdin for none or ``-``), read with the caller's permissions; a file that
    cannot be read gets toybox's ``NAME: FILE: strerror`` line (lib/lib.c ``perror_msg_raw``)."""
    out: list[tuple[str, bytes]] = []
    status = 0
    fs, cred = inv.host.fs, cred_for(inv.uid)
    for name in files or ["-"]:
        if name == "-":
            out.append((name, await inv.stdin.read_all()))
            continue
        try:
            out.append((name, fs.read_as(fs.resolve(name, inv.cwd), cred)))
        except FsError as exc:
            inv.err(f"{inv.argv[0].rpartition('/')[2]}: {name}: {exc.reason}\n")
            status = 1
    return out, status


def write_file(inv: Invocation, path: str, data: bytes) -> str | None:
    """Create or replace a file as the caller; the strerror text if the kernel would refuse."""
    fs = inv.host.fs
    try:
        fs.open_write(fs.resolve(path, inv.cwd), cred_for(inv.uid), append=False)(data)
    except FsError as exc:
        return exc.reason
    return None


# -- printf -----------------------------------------------------------------------------------------------

_SPEC = re.compile(r"%([-+# '0]*)(\*|\d+)?(?:\.(\*|\d*))?([a-zA-Z%])?")
_ESCAPES = {"a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
            '"': '"', "'": "'"}


def _unescape(text: str, i: int, posix: bool) -> tuple[str, int, bool]:
    """The escape at text[i] (after the backslash): (char, next index, stop) — ``\\c`` stops all output."""
    if i >= len(text):
        return "\\", i, False
    c = text[i]
    if c == "c":
        return "", i + 1, True
    if c == "x":
        match = re.match(r"[0-9a-fA-F]{1,2}", text[i + 1 :])
        if match:
            return chr(int(match.group(), 16)), i + 1 + match.end(), False
    start = i + 1 if posix and c == "0" else i
    match = re.match(r"[0-7]{1,3}", text[start:])
    if match and (start != i or c in "01234567"):
        return chr(int(match.group(), 8) & 0xFF), start + match.end(), False
    if c in _ESCAPES:
        return _ESCAPES[c], i + 1, False
    return "\\", i, False


def _number_arg(arg: str, conv: str, inv: Invocation) -> tuple[float | int, bool]:
    if arg[:1] in ("'", '"'):
        return (ord(arg[1]) if len(arg) > 1 else 0), True
    try:
        if conv in "feEgG":
            return float(arg or 0), True
        return int(arg or "0", 0), True
    except ValueError:
        match = re.match(r"[-+]?\d+", arg)
        inv.err(f"printf: bad %{conv} {arg}\n")
        return (int(match.group()) if match else 0), False


def _format_one(spec: re.Match[str], args: list[str], inv: Invocation) -> tuple[str, bool, bool]:
    """(text, ok, stop) for one %-conversion, consuming args."""
    flags, width, prec, conv = spec.group(1), spec.group(2) or "", spec.group(3), spec.group(4) or ""
    if width == "*":
        width = args.pop(0) if args else "0"
    if prec == "*":
        prec = args.pop(0) if args else "0"
    arg = args.pop(0) if args else ""
    pyspec = f"%{flags.replace(chr(39), '')}{width}{'.' + prec if prec is not None else ''}"
    if conv == "b":
        out: list[str] = []
        i = 0
        while i < len(arg):
            if arg[i] == "\\":
                text, i, stop = _unescape(arg, i + 1, True)
                out.append(text)
                if stop:
                    return "".join(out), True, True
                continue
            out.append(arg[i])
            i += 1
        return "".join(out), True, False
    if conv in ("s", "c"):
        return (pyspec + "s") % (arg[:1] if conv == "c" else arg), True, False
    if conv in "diouxXfeEgG":
        value, ok = _number_arg(arg, conv, inv)
        py = "d" if conv in "iu" else conv
        return (pyspec + py) % value, ok, False
    raise ValueError(conv)


def printf(inv: Invocation) -> int:
    if len(inv.argv) < 2:
        usage_error(inv, "Needs 1 argument")
        return 1
    fmt, args = inv.argv[1], inv.argv[2:]
    status = 0
    out: list[str] = []
    while True:
        consumed = False
        i = 0
        while i < len(fmt):
            c = fmt[i]
            if c == "\\":
                text, i, stop = _unescape(fmt, i + 1, False)
                out.append(text)
                if stop:
                    inv.out("".join(out))
                    return status
                continue
            if c != "%":
                out.append(c)
                i += 1
                continue
            if fmt.startswith("%%", i):
                out.append("%")
                i += 2
                continue
            spec = _SPEC.match(fmt, i)
            assert spec is not None
            if not spec.group(4) or spec.group(4) not in "bcsdiouxXfeEgG":
                inv.out("".join(out))
                inv.err(f"printf: bad %{spec.group(4) or ''}@{spec.end()}\n" if spec.group(4) else
                        f"printf: bad {fmt}\n")
                return 1
            consumed = True
            text, ok, stop = _format_one(spec, args, inv)
            status = status if ok else 1
            out.append(text)
            if stop:
                inv.out("".join(out))
                return status
            i = spec.end()
        if not consumed or not args:
            break
    inv.out("".join(out))
    return status


# -- seq --------------------------------------------------------------------------------------------------

def seq(inv: Invocation) -> int:
    args = inv.argv[1:]
    sep, fmt, width = "\n", None, False
    while args and args[0].startswith("-") and len(args[0]) > 1 and not args[0][1].isdigit():
        flag = args.pop(0)
        if flag[:2] in ("-s", "-f") and (len(flag) > 2 or args):
            value = flag[2:] or args.pop(0)
            sep, fmt = (value, fmt) if flag[1] == "s" else (sep, value)
        elif flag == "-w":
            width = True
        else:
            usage_error(inv, f"Unknown option '{flag[1:]}'")
            return 1
    if not 1 <= len(args) <= 3:
        usage_error(inv, "Needs 1 argument" if not args else "Max 3 arguments")
        return 1
    try:
        numbers = [float(a) for a in args]
    except ValueError:
        bad = next(a for a in args if not _is_float(a))
        # xstrtod: strtod stopped early and errno was 0, so toybox reports E2BIG (lib/xwrap.c)
        inv.err(f"seq: strtod {bad}: Argument list too long\n")
        return 1
    first, step, last = (1.0, 1.0, numbers[0]) if len(numbers) == 1 else (
        (numbers[0], 1.0, numbers[1]) if len(numbers) == 2 else (numbers[0], numbers[1], numbers[2]))
    precision = max((len(a.partition(".")[2]) for a in args if "." in a), default=0)
    if not step:
        return 0
    values: list[str] = []
    index = 0
    while True:
        current = first + index * step
        if (step < 0 and current < last) or (step > 0 and current > last):
            break
        values.append(fmt % current if fmt else f"{current:.{precision}f}")
        index += 1
    if width and not fmt:
        size = max((len(v) for v in values), default=0)
        values = [v.zfill(size) for v in values]
    if values:
        inv.out(sep.join(values) + "\n")
    return 0


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- wc ---------------------------------------------------------------------------------------------------

def _wc_counts(data: bytes) -> list[int]:
    """lines, words, chars, bytes, longest line (toybox's lengths[] order)."""
    text = data.decode(errors="replace")
    longest = max((len(line.expandtabs(8)) for line in text.split("\n")), default=0)
    return [data.count(b"\n"), len(data.split()), len(text), len(data), longest]


async def wc(inv: Invocation) -> int:
    flags = "".join(a[1:] for a in inv.argv[1:] if a.startswith("-") and len(a) > 1)
    files = [a for a in inv.argv[1:] if not a.startswith("-") or a == "-"]
    unknown = set(flags) - set("Lcmwl")
    if unknown:
        usage_error(inv, f"Unknown option '{sorted(unknown)[0]}'")
        return 1
    # lengths[] bits: l=0 w=1 m=2 c=3 L=4; -m and -c share one column (toybox shows either bytes or chars)
    shown = [c in flags for c in "lwmcL"] if flags else [True, True, False, True, False]
    inputs, status = await read_inputs(inv, files)
    space = 0 if (not files and sum(shown) == 1) or len(files) == 1 else 7
    totals = [0] * 5
    for name, data in inputs:
        counts = _wc_counts(data)
        totals = [max(t, c) if i == 4 else t + c for i, (t, c) in enumerate(zip(totals, counts, strict=True))]
        inv.out(_wc_line(counts, shown, space, name if files else None))
    if len(files) > 1:
        inv.out(_wc_line(totals, shown, space, "total"))
    return status


def _wc_line(counts: list[int], shown: list[bool], space: int, name: str | None) -> str:
    columns = [f"{counts[i]:{space}d}" for i in range(5) if shown[i]]
    return " ".join(columns) + (f" {name}" if name is not None else "") + "\n"


# -- stat -------------------------------------------------------------------------------------------------

_STAT_DEFAULT = ("  File: %N\n  Size: %s\t Blocks: %b\t IO Blocks: %B\t %F\n"
                 "Device: %Dh/%dd\t Inode: %i\t Links: %h\t Device type: %t,%T\n"
                 "Access: (%04a/%A)\tUid: (%5u/%8U)\tGid: (%5g/%8G)\n"
                 "Access: %x\nModify: %y\nChange: %z")
_STAT_TERSE = "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %o"
_DEVICE = 0xFE1B  # the /data f2fs partition's st_dev on a Pixel (dm-27: 254:27)


def _file_type(node: Node) -> str:
    if node.is_dir:
        return "directory"
    if st.S_ISLNK(node.mode):
        return "symbolic link"
    return "regular file" if node.data else "regular empty file"


def _stat_field(kind: str, path: str, node: Node) -> str | int:
    iso = time.strftime("%Y-%m-%d %H:%M:%S.000000000 +0000", time.gmtime(node.mtime))
    values: dict[str, str | int] = {
        "a": f"{node.mode & 0o7777:o}", "A": st.filemode(node.mode), "b": -(-len(node.data) // 4096) * 8,
        "B": 512, "C": "u:object_r:media_rw_data_file:s0", "d": _DEVICE, "D": f"{_DEVICE:x}",
        "f": f"{node.mode:x}", "F": _file_type(node), "g": node.gid, "G": user_name(node.gid), "h": 1,
        "i": _inode(path), "m": "/data", "n": path, "N": path, "o": 4096, "s": len(node.data), "t": "0", "T": "0",
        "u": node.uid, "U": user_name(node.uid), "x": iso, "X": node.mtime, "y": iso, "Y": node.mtime, "z": iso,
        "Z": node.mtime,
    }
    return values.get(kind, "?")


def _inode(path: str) -> int:
    return int(hashlib.md5(path.encode()).hexdigest()[:6], 16)  # stable per path, as a real inode is


def _stat_format(fmt: str, path: str, node: Node) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%"
        pad, kind = match.group(1), match.group(2)
        value = _stat_field(kind, path, node)
        if kind == "a" and pad:
            return f"{int(str(value), 8):{pad}o}"
        return f"{value:{pad.replace('-', '<')}}" if pad else str(value)

    return re.sub(r"%%|%([-0-9]*)([a-zA-Z])", one, fmt)


def stat(inv: Invocation) -> int:
    args = inv.argv[1:]
    fmt = _STAT_DEFAULT
    paths: list[str] = []
    while args:
        arg = args.pop(0)
        if arg in ("-c", "--format") and args:
            fmt = args.pop(0)
        elif arg.startswith("--format="):
            fmt = arg.partition("=")[2]
        elif arg == "-t":
            fmt = _STAT_TERSE
        elif arg == "-L":
            continue
        else:
            paths.append(arg)
    if not paths:
        usage_error(inv, "Needs 1 argument")
        return 1
    status = 0
    for path in paths:
        try:
            node = inv.host.fs.lookup(inv.host.fs.resolve(path, inv.cwd), cred_for(inv.uid))
        except FsError as exc:
            inv.err(f"stat: '{path}': {exc.reason}\n")
            status = 1
            continue
        inv.out(_stat_format(fmt, path, node) + "\n")
    return status


# -- find -------------------------------------------------------------------------------------------------

def _find_args(args: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    """(start paths, options, errors)."""
    paths: list[str] = []
    while args and not args[0].startswith("-") and args[0] not in ("(", "!"):
        paths.append(args.pop(0))
    opts: dict[str, str] = {}
    while args:
        key = args.pop(0)
        if key in ("-print", "-print0"):
            opts[key] = "1"
            continue
        if key not in ("-name", "-iname", "-type", "-maxdepth", "-mindepth", "-path"):
            return paths, opts, [f"find: Unknown option '{key}'"]
        if not args:
            return paths, opts, [f"find: '{key}' needs 1 arg"]
        opts[key] = args.pop(0)
    if "-type" in opts and opts["-type"] not in ("f", "d", "l", "b", "c", "p", "s"):
        return paths, opts, [f"find: bad -type '{opts['-type']}'"]
    return paths or ["."], opts, []


def _find_match(name: str, path: str, node: Node, depth: int, opts: dict[str, str]) -> bool:
    if depth < int(opts.get("-mindepth", "0")):
        return False
    if "-name" in opts and not fnmatch.fnmatchcase(name, opts["-name"]):
        return False
    if "-iname" in opts and not fnmatch.fnmatchcase(name.lower(), opts["-iname"].lower()):
        return False
    if "-path" in opts and not fnmatch.fnmatchcase(path, opts["-path"]):
        return False
    kind = opts.get("-type")
    return kind is None or ((kind == "d") == node.is_dir and kind in ("d", "f"))


def find(inv: Invocation) -> int:
    paths, opts, errors = _find_args(list(inv.argv[1:]))
    if errors:
        inv.err(errors[0] + "\n")
        return 1
    fs, cred = inv.host.fs, cred_for(inv.uid)
    maxdepth = int(opts["-maxdepth"]) if "-maxdepth" in opts else None
    end = "\0" if "-print0" in opts else "\n"
    status = 0
    for start in paths:
        try:
            node = fs.lookup(fs.resolve(start, inv.cwd), cred)
        except FsError as exc:
            inv.err(f"find: '{start}': {exc.reason}\n")
            status = 1
            continue
        stack: list[tuple[str, Node, int]] = [(start, node, 0)]
        while stack:
            path, cur, depth = stack.pop()
            if _find_match(posixpath.basename(path.rstrip("/")) or path, path, cur, depth, opts):
                inv.out(path + end)
            if cur.is_dir and (maxdepth is None or depth < maxdepth):
                try:
                    children = fs.list_as(fs.resolve(path, inv.cwd), cred)
                except FsError as exc:  # find.c: perror_msg("'%s'") and carries on
                    inv.err(f"find: '{path}': {exc.reason}\n")
                    status = 1
                    continue
                for name, child in reversed(children):
                    stack.append((posixpath.join(path, name), child, depth + 1))
    return status


# -- md5sum, env, which ------------------------------------------------------------------------------------

async def md5sum(inv: Invocation) -> int:
    files = [a for a in inv.argv[1:] if not a.startswith("-") or a == "-"]
    algorithm = {"md5sum": "md5", "sha1sum": "sha1", "sha256sum": "sha256", "sha224sum": "sha224",
                 "sha384sum": "sha384", "sha512sum": "sha512"}[inv.argv[0].rpartition("/")[2]]
    inputs, status = await read_inputs(inv, files)
    for name, data in inputs:
        inv.out(f"{hashlib.new(algorithm, data).hexdigest()}  {name}\n")
    return status


async def env(inv: Invocation) -> int:
    args = inv.argv[1:]
    values = {k: v for k, v in inv.env.items() if k.isidentifier()}
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in ("-i", "-"):
            values = {}
        elif flag == "-u" and args:
            values.pop(args.pop(0), None)
        elif flag == "--":
            break
    while args and "=" in args[0]:
        name, _, value = args.pop(0).partition("=")
        values[name] = value
    if not args:
        inv.out("".join(f"{k}={v}\n" for k, v in values.items()))
        return 0
    sub = inv.sub(args)
    sub.env = {k: v for k, v in inv.env.items() if not k.isidentifier()} | values
    if inv.host.commands.find(args[0]) is None:
        inv.err(f"env: exec {args[0]}: No such file or directory\n")
        return 127
    return await run_argv(sub)


def which(inv: Invocation) -> int:
    args = inv.argv[1:]
    every = "-a" in args
    status = 0
    for name in (a for a in args if a != "-a"):
        if "/" in name:
            found = [name] if inv.host.commands.find(name) is not None else []
        else:
            # every command the lab has lives in /system/bin, as toybox's and mksh's links do on a phone
            found = ["/system/bin/" + name] if inv.host.commands.find(name) is not None else []
        if not found:
            status = 1
        for path in found[: None if every else 1]:
            inv.out(path + "\n")
    return status


def install(reg: Registry) -> None:
    from harness.lab.android.shell import android_tools, mkshbuiltins, textproc, textutils  # noqa: PLC0415 - those modules import toybox's helpers: a cycle

    for name, fn in {"printf": printf, "seq": seq, "stat": stat, "find": find, "which": which}.items():
        reg.add(name, fn)
    for name, afn in {"wc": wc, "md5sum": md5sum, "sha1sum": md5sum, "sha256sum": md5sum, "env": env}.items():
        reg.add(name, afn)
    mkshbuiltins.install(reg)
    textproc.install(reg)
    textutils.install(reg)
    android_tools.install(reg)
