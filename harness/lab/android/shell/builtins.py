"""The toybox/mksh commands adb users run: echo, cat, ls, date, getprop, pidof, ps, sleep, run-as, …

Texts and exit codes are toybox's and mksh's (toys/posix/ps.c, toys/lsb/pidof.c).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from harness.lab.android.device import AndroidDevice
from harness.lab.android.os.processes import user_name
from harness.lab.android.shell import toybox
from harness.lab.android.shell.bugreportz import bugreportz
from harness.lab.android.shell.files import cat, cd, ls, mkdir, read_files, rm, touch
from harness.lab.android.shell.props import LAB_SEED_PROP, getprop, setprop
from harness.lab.android.shell.runas import id_, run_as, whoami
from harness.lab.android.shell.runtime import SH, Invocation, run_argv, run_script
from harness.lab.clock import sleep_device

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["LAB_SEED_PROP", "install"]


def _dev(inv: Invocation) -> AndroidDevice:
    assert isinstance(inv.host, AndroidDevice)
    return inv.host


def echo(inv: Invocation) -> int:
    args = inv.argv[1:]
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    inv.out(" ".join(args) + ("\n" if newline else ""))
    return 0


def export(inv: Invocation) -> int:
    for arg in inv.argv[1:]:
        name, eq, value = arg.partition("=")
        if eq:
            inv.env[name] = value
    return 0


def unset(inv: Invocation) -> int:
    for name in inv.argv[1:]:
        inv.env.pop(name, None)
    return 0


async def exec_(inv: Invocation) -> int:
    if len(inv.argv) < 2:
        return 0

    status = await run_argv(inv.sub(inv.argv[1:]))
    inv.env["__exit__"] = str(status)
    return status


def true_(_inv: Invocation) -> int:
    return 0


def false_(_inv: Invocation) -> int:
    return 1


def exit_(inv: Invocation) -> int:
    code = int(inv.argv[1]) if len(inv.argv) > 1 and inv.argv[1].lstrip("-").isdigit() else int(inv.env.get("?", "0"))
    inv.env["__exit__"] = str(code & 0xFF)
    return code & 0xFF


async def sh(inv: Invocation) -> int:
    sub = inv.sub(inv.argv)
    sub.env = {k: v for k, v in inv.env.items() if k != "__exit__"}  # a child shell's exit is its own
    if len(inv.argv) >= 3 and inv.argv[1] == "-c":
        return await run_script(inv.argv[2], sub)
    script = (await inv.stdin.read_all()).decode(errors="replace")
    return await run_script(script, sub)


async def sleep(inv: Invocation) -> int:
    if len(inv.argv) < 2:
        inv.err("sleep: Needs 1 argument\n")
        return 1
    try:
        seconds = float(inv.argv[1].rstrip("s"))
    except ValueError:
        inv.err(f"sleep: invalid number '{inv.argv[1]}'\n")
        return 1
    await sleep_device(_dev(inv).clock, seconds)
    return 0


_DATE_DEFAULT = "%a %b %e %H:%M:%S %Z %Y"


def date(inv: Invocation) -> int:
    now = _dev(inv).clock.now()
    fmt = _DATE_DEFAULT
    for arg in inv.argv[1:]:
        if arg.startswith("+"):
            fmt = arg[1:]
        elif arg not in ("-u",):
            inv.err("date: Can't set date (need root)\n" if arg[0].isdigit() else f"date: Unknown option '{arg}'\n")
            return 1
    text = fmt.replace("%s", str(int(now))).replace("%N", f"{int((now % 1) * 1e9):09d}").replace("%Z", "UTC")
    inv.out(time.strftime(text, time.gmtime(now)) + "\n")
    return 0


def pidof(inv: Invocation) -> int:
    args = inv.argv[1:]
    single = "-s" in args
    omit = {args[i + 1] for i, a in enumerate(args[:-1]) if a == "-o"}
    names = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] != "-o")]
    pids = [str(p.pid) for name in names for p in reversed(_dev(inv).processes.by_name(name))
            if str(p.pid) not in omit]
    if single:
        pids = pids[:1]
    if not pids:
        return 1
    inv.out(" ".join(pids) + "\n")
    return 0


_PS_HEADER = "USER            PID   PPID        VSZ    RSS WCHAN            ADDR S NAME                       \n"


def ps(inv: Invocation) -> int:
    dev = _dev(inv)
    args = inv.argv[1:]
    every = any(a in ("-A", "-e", "-ef", "-Af") for a in args)
    wanted = {a for a in args if not a.startswith("-")}
    inv.out(_PS_HEADER)
    for proc in dev.processes.all():
        if wanted and proc.name not in wanted and str(proc.pid) not in wanted:
            continue
        if not every and not wanted and proc.uid != inv.uid:
            continue
        state = "S"
        wchan = "do_freezer_trap" if proc.frozen else "do_epoll_wait"
        inv.out(f"{user_name(proc.uid):<12} {proc.pid:>6} {proc.ppid:>6} {proc.vsz_kb:>10} {proc.rss_kb:>6} "
                f"{wchan:<16} {0:>4} {state} {proc.name}\n")
    return 0


def uname(inv: Invocation) -> int:
    text = "Linux" if len(inv.argv) == 1 else "Linux localhost 6.1.57-android14-11 #1 SMP PREEMPT aarch64 Toybox"
    inv.out(text + "\n")
    return 0


def uptime(inv: Invocation) -> int:
    dev = _dev(inv)
    up = int(dev.clock.uptime())
    clock = time.strftime("%H:%M:%S", time.gmtime(dev.clock.now()))
    days, rest = divmod(up, 86_400)
    hours, rest = divmod(rest, 3600)
    inv.out(f" {clock} up {days} days, {hours:2d}:{rest // 60:02d},  0 users,  load average: 0.42, 0.38, 0.35\n")
    return 0


def log_(inv: Invocation) -> int:
    """``log [-p PRIO] [-t TAG] MESSAGE``: write to the main buffer as the shell."""
    args = inv.argv[1:]
    prio, tag = "I", "log"
    while args and args[0] in ("-p", "-t") and len(args) >= 2:
        if args[0] == "-p":
            prio = args[1][:1].upper()
        else:
            tag = args[1]
        args = args[2:]
    _dev(inv).logs.write("main", prio if prio in "VDIWEF" else "I", tag, " ".join(args), pid=inv.uid + 10_000,
                         uid=2000)
    return 0


async def grep(inv: Invocation) -> int:
    args = inv.argv[1:]
    flags = {a for a in args if a.startswith("-") and len(a) > 1}
    plain = [a for a in args if not (a.startswith("-") and len(a) > 1)]
    if not plain:
        inv.err("usage: grep [-clinqsvx] PATTERN [FILE...]\n")
        return 2
    pattern = plain[0]
    ignore = any("i" in f for f in flags)
    invert = any("v" in f for f in flags)
    fixed = any("F" in f for f in flags)
    regex = re.compile(re.escape(pattern) if fixed else pattern, re.IGNORECASE if ignore else 0)
    data, status = (await inv.stdin.read_all(), 0) if len(plain) == 1 else read_files(inv, plain[1:])
    found = 0
    for line in data.decode(errors="replace").splitlines():
        if bool(regex.search(line)) != invert:
            found += 1
            inv.out(line + "\n")
    return 2 if status else 0 if found else 1


async def head_tail(inv: Invocation) -> int:
    args = inv.argv[1:]
    count = 10
    files: list[str] = []
    i = 0
    while i < len(args):
        if args[i] == "-n" and i + 1 < len(args):
            count = int(args[i + 1])
            i += 2
            continue
        if args[i].startswith("-") and args[i][1:].isdigit():
            count = int(args[i][1:])
        else:
            files.append(args[i])
        i += 1
    data, status = read_files(inv, files) if files else (await inv.stdin.read_all(), 0)
    lines = data.decode(errors="replace").splitlines(keepends=True)
    chosen = lines[:count] if inv.argv[0] == "head" else lines[-count:] if count else []
    inv.out("".join(chosen))
    return status


def wm(inv: Invocation) -> int:
    sub = inv.argv[1] if len(inv.argv) > 1 else ""
    if sub == "size":
        inv.out("Physical size: 1080x2400\n")
    elif sub == "density":
        inv.out(f"Physical density: {_dev(inv).props.get('ro.sf.lcd_density', '420')}\n")
    else:
        inv.err(f"Error: unknown command '{sub}'\n" if sub else "Window manager (window) commands:\n")
        return 255 if sub else 0
    return 0


_KEYCODES = {"KEYCODE_HOME": 3, "KEYCODE_BACK": 4, "KEYCODE_POWER": 26, "KEYCODE_MENU": 82,
             "KEYCODE_APP_SWITCH": 187, "KEYCODE_SLEEP": 223, "KEYCODE_WAKEUP": 224, "KEYCODE_ENTER": 66}


def input_(inv: Invocation) -> int:
    args = inv.argv[1:]
    if args and args[0] in ("touchscreen", "keyboard", "mouse", "trackball", "dpad"):
        args = args[1:]
    if not args:
        inv.err("Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]\n")
        return 1
    verb, rest = args[0], [a for a in args[1:] if a != "--longpress"]
    if verb == "keyevent":
        for raw in rest:
            code = _KEYCODES.get(raw) if not raw.isdigit() else int(raw)
            if code is None:
                inv.err(f"Error: Unknown keycode: {raw}\n" if not raw.startswith("KEYCODE_") else "")
                code = 0
            _dev(inv).key(code)
        return 0
    if verb == "swipe":
        points = [int(float(a)) for a in rest[:4]] if len(rest) >= 4 else []
        if len(points) != 4:
            inv.err("Error: Invalid arguments for command: swipe\n")
            return 1
        _dev(inv).swipe(*points)
        return 0
    if verb in ("tap", "text", "draganddrop", "press", "roll", "motionevent", "keycombination"):
        return 0
    inv.err(f"Error: Unknown command: {verb}\n")
    return 1


def install(dev: AndroidDevice) -> None:
    reg = dev.commands
    simple = {
        "echo": echo, "true": true_, "false": false_, "exit": exit_, "ls": ls, "mkdir": mkdir, "rm": rm,
        "touch": touch, "date": date, "getprop": getprop, "setprop": setprop, "pidof": pidof, "ps": ps,
        "id": id_, "whoami": whoami, "uname": uname, "uptime": uptime, "log": log_, "wm": wm, "input": input_,
        "export": export, "unset": unset, "cd": cd,
    }
    for name, fn in simple.items():
        reg.add(name, fn)
    for name, afn in {"sh": sh, "sleep": sleep, "cat": cat, "run-as": run_as, "grep": grep,
                      "head": head_tail, "tail": head_tail, "exec": exec_, "bugreportz": bugreportz}.items():
        reg.add(name, afn)
    reg.add("mksh", sh)
    toybox.install(reg)  # the mksh built-ins, toybox's text tools and Android's service/content/screencap
    _ = SH
