"""The toybox/mksh commands adb users run: echo, cat, ls, date, getprop, pidof, ps, sleep, run-as, …

Texts and exit codes are toybox's and mksh's (toys/posix/ps.c, toys/lsb/pidof.c).
"""

from __future__ import annotations

import re
import stat as st
import time
from typing import TYPE_CHECKING

from harness.lab.android.os.processes import user_name
from harness.lab.android.shell.bugreportz import bugreportz
from harness.lab.android.shell.runtime import SH, Invocation, run_script
from harness.lab.clock import sleep_device

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["LAB_SEED_PROP", "install"]


def _dev(inv: Invocation) -> AndroidDevice:
    from harness.lab.android.device import AndroidDevice

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


def cd(inv: Invocation) -> int:
    target = inv.host.fs.resolve(inv.argv[1] if len(inv.argv) > 1 else "/", inv.cwd)
    node = inv.host.fs.get(target)
    if node is None or not node.is_dir:
        inv.err(f"{SH}: cd: {target}: No such file or directory\n")
        return 2
    inv.cwd = target
    return 0


async def exec_(inv: Invocation) -> int:
    if len(inv.argv) < 2:
        return 0
    from harness.lab.android.shell.runtime import run_argv

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


async def cat(inv: Invocation) -> int:
    if len(inv.argv) == 1:
        inv.stdout.write(await inv.stdin.read_all())
        return 0
    status = 0
    for path in inv.argv[1:]:
        data = inv.host.fs.read_for_shell(path, inv.cwd)
        if data is None:
            node = inv.host.fs.get(inv.host.fs.resolve(path, inv.cwd))
            reason = "Is a directory" if node is not None else "No such file or directory"
            inv.err(f"cat: {path}: {reason}\n")
            status = 1
            continue
        inv.stdout.write(data)
    return status


def ls(inv: Invocation) -> int:
    args = [a for a in inv.argv[1:] if not a.startswith("-")]
    long = any(a.startswith("-") and "l" in a for a in inv.argv[1:])
    status = 0
    for path in args or ["."]:
        full = inv.host.fs.resolve(path, inv.cwd)
        node = inv.host.fs.get(full)
        if node is None:
            inv.err(f"ls: {path}: No such file or directory\n")
            status = 1
            continue
        entries = list(inv.host.fs.listdir(full)) if node.is_dir else [(path, node)]
        for name, child in entries:
            if long:
                kind = "d" if child.is_dir else "-"
                perms = st.filemode(child.mode)[1:]
                stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(child.mtime))
                inv.out(f"{kind}{perms} 1 {user_name(child.uid)} {user_name(child.gid)} {len(child.data):>8} "
                        f"{stamp} {name}\n")
            else:
                inv.out(name + "\n")
    return status


def mkdir(inv: Invocation) -> int:
    for path in (a for a in inv.argv[1:] if not a.startswith("-")):
        inv.host.fs.mkdirs(inv.host.fs.resolve(path, inv.cwd))
    return 0


def rm(inv: Invocation) -> int:
    status = 0
    force = any(a.startswith("-") and "f" in a for a in inv.argv[1:])
    for path in (a for a in inv.argv[1:] if not a.startswith("-")):
        full = inv.host.fs.resolve(path, inv.cwd)
        if inv.host.fs.get(full) is None:
            if not force:
                inv.err(f"rm: {path}: No such file or directory\n")
                status = 1
            continue
        inv.host.fs.remove(full)
    return status


def touch(inv: Invocation) -> int:
    for path in (a for a in inv.argv[1:] if not a.startswith("-")):
        inv.host.fs.write(inv.host.fs.resolve(path, inv.cwd), b"", append=True)
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


def getprop(inv: Invocation) -> int:
    props = _dev(inv).props
    args = inv.argv[1:]
    if not args:
        for key in sorted(props):
            inv.out(f"[{key}]: [{props[key]}]\n")
        return 0
    inv.out(props.get(args[0], args[1] if len(args) > 1 else "") + "\n")
    return 0


# The lab's own property: ``setprop lab.seed N`` reseeds the phone's policy randomness (``dev.rng``: OEM
# kill delays, the modelled app's failures) at once, so a harness run can give each test its own
# recorded seed without restarting the lab (``pytest --lab-seed``, ``harness repro --seed``).
LAB_SEED_PROP = "lab.seed"


def setprop(inv: Invocation) -> int:
    if len(inv.argv) != 3:
        inv.err("setprop: Need 2 arguments\n")
        return 1
    key, value = inv.argv[1], inv.argv[2]
    refused = key.startswith("ro.") or key.startswith("sys.boot")
    if key == LAB_SEED_PROP:
        refused = refused or not value.lstrip("-").isdigit()
    if refused:
        inv.err(f"Failed to set property '{key}' to '{value}'.\nSee dmesg for error reason.\n")
        return 1
    dev = _dev(inv)
    dev.props[key] = value
    if key == LAB_SEED_PROP:
        dev.rng.seed(int(value))
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


def id_(inv: Invocation) -> int:
    inv.out("uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),"
            "1028(sdcard_r),1078(ext_data_rw),1079(ext_obb_rw),3001(net_bt_admin),3002(net_bt),3003(inet),"
            "3006(net_bw_stats),3009(readproc),3011(uhid),3012(readtracefs) context=u:r:shell:s0\n")
    return 0


def whoami(inv: Invocation) -> int:
    inv.out("shell\n")
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


async def run_as(inv: Invocation) -> int:
    dev = _dev(inv)
    if len(inv.argv) < 2:
        inv.err("usage: run-as <package-name> [--user <uid>] <command> [<args>]\n")
        return 1
    name = inv.argv[1]
    pkg = dev.packages.get(name)
    if pkg is None:
        inv.err(f"run-as: unknown package: {name}\n")
        return 1
    if not pkg.debuggable:
        inv.err(f"run-as: package not debuggable: {name}\n")
        return 1
    rest = inv.argv[2:]
    sub = inv.sub(rest or ["sh"])
    sub.cwd = f"/data/user/0/{name}"
    sub.uid = pkg.uid
    if not rest:
        return await sh(sub)
    from harness.lab.android.shell.runtime import run_argv

    return await run_argv(sub)


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
    data = (await inv.stdin.read_all()) if len(plain) == 1 else b"".join(
        inv.host.fs.read_for_shell(p, inv.cwd) or b"" for p in plain[1:])
    found = 0
    for line in data.decode(errors="replace").splitlines():
        if bool(regex.search(line)) != invert:
            found += 1
            inv.out(line + "\n")
    return 0 if found else 1


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
    data = b"".join(inv.host.fs.read_for_shell(p, inv.cwd) or b"" for p in files) if files else (
        await inv.stdin.read_all())
    lines = data.decode(errors="replace").splitlines(keepends=True)
    chosen = lines[:count] if inv.argv[0] == "head" else lines[-count:] if count else []
    inv.out("".join(chosen))
    return 0


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
    _ = SH
