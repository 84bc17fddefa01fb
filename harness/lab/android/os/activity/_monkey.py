"""``monkey -p PKG -c android.intent.category.LAUNCHER 1``: how test scripts open an app.

``/system/bin/monkey`` is a shell script that echoes ``  bash arg: X`` for each argument and then
execs Monkey.java. Monkey's ``Logger.err`` lines (``args: [...]``, `` arg: "X"``, ``data="X"``,
``** No activities found to run, monkey aborted.``) go to stderr and to logcat under ``Monkey``;
``Logger.out`` lines (``Events injected: N``, ``## Network stats: ...``) go to stdout. ``run()``
returns -4 when no launchable activity is found, so the exit status is 252 [IDX Monkey.java].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.os.activity._manager import ActivityManager

__all__ = ["monkey_command"]

LAUNCHER = "android.intent.category.LAUNCHER"
_DATA_OPTIONS = {"-p", "-c", "-s", "--throttle", "--pct-touch", "--pct-motion", "--pct-trackball",
                 "--pct-syskeys", "--pct-nav", "--pct-majornav", "--pct-appswitch", "--pct-anyevent"}


def monkey_command(am: ActivityManager) -> object:
    def run(inv: Invocation) -> int:
        return _monkey(am, inv)

    return run


def _monkey(am: ActivityManager, inv: Invocation) -> int:
    args = inv.argv[1:]
    dev = am.dev
    proc = dev.processes.spawn("com.android.commands.monkey", 2000, None, dev.clock.now())
    try:
        for arg in args:
            inv.out(f"  bash arg: {arg}\n")

        def err(text: str) -> None:
            inv.err(text + "\n")
            dev.logs.write("main", "W", "Monkey", text, pid=proc.pid, uid=2000)

        err("args: [" + ", ".join(args) + "]")
        packages, categories = _parse(args, err)
        if not packages and not categories and not args:
            inv.err("usage: monkey [-p ALLOWED_PACKAGE [-p ALLOWED_PACKAGE] ...] COUNT\n")
            return 255
        targets = [p for p in packages if am.activities(p)]
        if categories and LAUNCHER not in categories:
            targets = []
        if not targets:
            err("** No activities found to run, monkey aborted.")
            return 252
        am.launch(targets[0])
        inv.out("Events injected: 1\n")
        ms = 20 + am.ids.randint(0, 30)
        inv.out(f"## Network stats: elapsed time={ms}ms (0ms mobile, 0ms wifi, {ms}ms not connected)\n")
        return 0
    finally:
        dev.processes.remove(proc.pid)


def _parse(args: list[str], err: Callable[[str], None]) -> tuple[list[str], list[str]]:
    """Monkey.run echoes every argument, then processOptions echoes each option's data."""
    for arg in args:
        err(f' arg: "{arg}"')
    packages: list[str] = []
    categories: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _DATA_OPTIONS and i + 1 < len(args):
            err(f'data="{args[i + 1]}"')
            if arg == "-p":
                packages.append(args[i + 1])
            elif arg == "-c":
                categories.append(args[i + 1])
            i += 2
            continue
        i += 1
    return packages, categories
