"""``bugreportz``: the zipped bug report ``adb bugreport`` asks a phone for.

The protocol, as frameworks/native/cmds/bugreportz (main.cpp, bugreportz.cpp, readme.md) speaks it and
adb 1.0.41's adb/bugreport.cpp (``Bugreport::DoIt``) reads it:

- ``bugreportz -v`` prints the version (``1.2``) on *stderr* and exits 0. adb runs it over shell v2 and
  takes the trimmed stderr as the version; an empty one means "no bugreportz" (pre-7.0 phones).
- ``bugreportz -p`` prints ``BEGIN:<path>`` at once, ``PROGRESS:<n>/<total>`` as dumpstate advances
  and ``OK:<path>`` when the zip is complete (``FAIL:<message>`` when it is not); without ``-p`` the
  BEGIN and PROGRESS lines are held back (bugreportz.cpp ``write_line``). adb then pulls ``<path>``
  with the sync service (``do_sync_pull``) and prints ``[ 42%] generating …`` meanwhile.
- ``-h`` prints the usage on stderr and exits 0; an unknown option or any operand prints it and exits
  1; ``-s`` streams the data to stdout instead of writing a file.

The zip is what dumpstate writes (frameworks/native/cmds/dumpstate/dumpstate.cpp): the main text entry
``bugreport-<ro.product.name>-<ro.build.id>-<%Y-%m-%d-%H-%M-%S>.txt`` (``PrepareToWriteToFile``),
``main_entry.txt`` holding that entry's name and ``version.txt`` holding the format version ``2.0``
(``VERSION_CURRENT``). It lives in ``/bugreports``, which dumpstate resolves through its symlink
(``MaybeResolveSymlink``) to ``/data/user_de/0/com.android.shell/files/bugreports``. The text starts with
``PrintHeader``'s lines (build, fingerprint, bootloader, radio, network, SDK, kernel, uptime, format
version) and then one section per command, ``------ TITLE (command) ------`` … ``------ 0.012s was the
duration of 'TITLE' ------``; the lab's sections are the ones it can answer: uptime, properties,
the logcat buffers and every ``dumpsys`` service it models.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.device import AndroidDevice
from harness.lab.android.shell.runtime import Input, Invocation, Output, run_script

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["BUGREPORT_DIR", "KERNEL", "VERSION", "bugreport_name", "bugreportz", "dumpstate_zip"]

VERSION = "1.2"  # bugreportz/main.cpp
FORMAT_VERSION = "2.0"  # dumpstate.h VERSION_CURRENT
BUGREPORT_DIR = "/data/user_de/0/com.android.shell/files/bugreports"
_USAGE = ("usage: bugreportz [-hpsv]\n"
          "  -h: to display this help message\n"
          "  -p: display progress\n"
          "  -s: stream zipped data\n"
          "  -v: to display the version\n"
          "  or no arguments to generate a zipped bugreport\n")
_RULE = "========================================================\n"
KERNEL = "6.1.57-android14-11"  # the release the lab's ``uname -a`` prints
# (title, command) in dumpstate's order; the lab runs each through its own shell.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("UPTIME", "uptime"),
    ("SYSTEM PROPERTIES", "getprop"),
    ("SYSTEM LOG", "logcat -v threadtime -d *:v"),
    ("EVENT LOG", "logcat -b events -v threadtime -d *:v"),
    ("DUMPSYS", "dumpsys"),
)


def _device(inv: Invocation) -> AndroidDevice:
    assert isinstance(inv.host, AndroidDevice)
    return inv.host


def _options(argv: list[str]) -> set[str] | None:
    """getopt("hpsv") over the arguments; None for an unknown option or an operand (usage, exit 1)."""
    flags: set[str] = set()
    for arg in argv:
        if not arg.startswith("-") or arg == "-" or any(c not in "hpsv" for c in arg[1:]):
            return None
        flags.update(arg[1:])
    return flags


async def bugreportz(inv: Invocation) -> int:
    flags = _options(inv.argv[1:])
    if flags is None or "h" in flags:
        inv.err(_USAGE)
        return 0 if flags is not None else 1
    if "v" in flags:
        inv.err(VERSION + "\n")
        return 0
    dev = _device(inv)
    name = bugreport_name(dev)
    path = f"{BUGREPORT_DIR}/{name}.zip"
    progress = "p" in flags
    if progress and "s" not in flags:
        inv.out(f"BEGIN:{path}\n")

    def step(done: int, total: int) -> None:
        if progress and "s" not in flags:
            inv.out(f"PROGRESS:{done}/{total}\n")

    data = await dumpstate_zip(dev, inv, name, step)
    if "s" in flags:
        inv.stdout.write(data)
        return 0
    try:
        dev.fs.mkdirs(BUGREPORT_DIR, uid=2000)
        dev.fs.write(path, data, mode=0o644, uid=2000)
    except OSError as exc:
        inv.out(f"FAIL:could not write {path}: {exc}\n")
        return 1
    inv.out(f"OK:{path}\n")
    return 0


def bugreport_name(dev: AndroidDevice) -> str:
    """``bugreport-<ro.product.name>-<ro.build.id>-<date>`` in the phone's time (dumpstate.cpp)."""
    stamp = time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime(dev.clock.now()))
    product = dev.props.get("ro.product.name", "UNKNOWN_DEVICE")
    return f"bugreport-{product}-{dev.props.get('ro.build.id', 'UNKNOWN_BUILD')}-{stamp}"


async def dumpstate_zip(dev: AndroidDevice, inv: Invocation, name: str,
                        step: Callable[[int, int], None]) -> bytes:
    """The zip dumpstate writes: the main text entry, ``main_entry.txt`` and ``version.txt``."""
    started = dev.clock.now()
    text = [header(dev, started)]
    for done, (title, command) in enumerate(SECTIONS, start=1):
        text.append(await _section(inv, title, command))
        step(done, len(SECTIONS))
    stamp = time.gmtime(started)[:6]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("version.txt", stamp), FORMAT_VERSION, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr(zipfile.ZipInfo(f"{name}.txt", stamp), "".join(text), compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr(zipfile.ZipInfo("main_entry.txt", stamp), f"{name}.txt", compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def header(dev: AndroidDevice, now: float) -> str:
    """``Dumpstate::PrintHeader``: the lines tools parse (``Build fingerprint: '…'`` above all)."""
    props = dev.props
    lines = [
        _RULE, f"== dumpstate: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(now))}\n", _RULE, "\n",
        f"Build: {props.get('ro.build.display.id', '(unknown)')}\n",
        f"Build fingerprint: '{props.get('ro.build.fingerprint', '(unknown)')}'\n",
        f"Bootloader: {props.get('ro.bootloader', '(unknown)')}\n",
        f"Radio: {props.get('gsm.version.baseband', '(unknown)')}\n",
        f"Network: {props.get('gsm.operator.alpha', '(unknown)')}\n",
        f"Android SDK version: {props.get('ro.build.version.sdk', '(unknown)')}\n",
        f"Kernel: Linux version {KERNEL} #1 SMP PREEMPT\n",
        f"Uptime: {pretty_uptime(dev.clock.uptime())}\n",
        f"Bugreport format version: {FORMAT_VERSION}\n",
        f"Dumpstate info: id=1 pid={4000 + int(now) % 1000} dry_run=0 parallel_run=1 args=-S "
        "bugreport_mode=BUGREPORT_DEFAULT\n",
        "\n",
    ]
    return "".join(lines)


def pretty_uptime(seconds: float) -> str:
    """toybox ``uptime -p``: ``up 2 days, 3 hours, 1 minute``."""
    minutes = int(seconds) // 60
    parts: list[str] = []
    for unit, size in (("week", 7 * 24 * 60), ("day", 24 * 60), ("hour", 60), ("minute", 1)):
        count, minutes = divmod(minutes, size)
        if count or (unit == "minute" and not parts):
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return "up " + ", ".join(parts)


async def _section(inv: Invocation, title: str, command: str) -> str:
    """One ``RunCommand``: the title line, the command's output (stderr too), the duration line."""
    out = bytearray()
    sink = Output(out.extend)
    sub = Invocation(["sh"], inv.host, Input.of(b""), sink, sink, dict(inv.env), "/", 0)
    began = time.monotonic()
    await run_script(command, sub)
    took = time.monotonic() - began
    body = out.decode("utf-8", "replace")
    if body and not body.endswith("\n"):
        body += "\n"
    return f"------ {title} ({command}) ------\n{body}------ {took:.3f}s was the duration of '{title}' ------\n"
