"""``run-as``, ``id`` and ``whoami``: who a command runs as.

``run-as PKG [--user N] [CMD ARGS...]`` follows system/core ``run-as/run-as.cpp``: the checks in its order
(usage, unknown package, an app id below 10000 is ``package not an application``, not debuggable, the data
directory), each an ``error(1, ...)``: bionic prints ``run-as: TEXT`` and exits 1. It then runs CMD (or
``sh``) as the app's uid with cwd and HOME ``/data/user/N/PKG``, so the command reads and writes the app's
files and nothing the app could not (os/ids.py for the identity, vfs.py for the checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.device import AndroidDevice
from harness.lab.android.os.ids import USER_OFFSET, cred_for, group_name, id_line
from harness.lab.android.shell.runtime import Invocation, run_argv

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["id_", "run_as", "whoami"]

_USAGE = "usage: run-as <package-name> [--user <uid>] <command> [<args>]\n"
_APP_START = 10_000


def _dev(inv: Invocation) -> AndroidDevice:
    assert isinstance(inv.host, AndroidDevice)
    return inv.host


def id_(inv: Invocation) -> int:
    inv.out(id_line(cred_for(inv.uid)))
    return 0


def whoami(inv: Invocation) -> int:
    inv.out(group_name(inv.uid) + "\n")
    return 0


def _fail(inv: Invocation, text: str) -> int:
    inv.err(f"{inv.argv[0]}: {text}\n")
    return 1


async def run_as(inv: Invocation) -> int:
    if len(inv.argv) < 2:
        return _fail(inv, _USAGE)
    name, rest, user = inv.argv[1], inv.argv[2:], 0
    if len(inv.argv) >= 4 and inv.argv[2] == "--user":
        user, rest = int(inv.argv[3]) if inv.argv[3].lstrip("-").isdigit() else 0, inv.argv[4:]
        if user < 0:
            return _fail(inv, f"negative user id: {user}")
    pkg = _dev(inv).packages.get(name)
    if pkg is None:
        return _fail(inv, f"unknown package: {name}")
    if pkg.app_id < _APP_START:
        return _fail(inv, f"package not an application: {name}")
    if not pkg.debuggable:
        return _fail(inv, f"package not debuggable: {name}")
    home = f"/data/user/{user}/{name}"
    missing = next((d for d in (f"/data/user/{user}", home) if inv.host.fs.get(d) is None), None)
    if missing is not None:  # check_data_path lstat()s each directory of the path
        return _fail(inv, f"couldn't stat {missing}: No such file or directory")
    argv = rest or ["sh"]
    if inv.host.commands.find(argv[0]) is None:
        return _fail(inv, f"exec failed for {argv[0]}: No such file or directory")
    sub = inv.sub(argv)
    sub.uid = user * USER_OFFSET + pkg.app_id
    sub.cwd = home
    login = group_name(sub.uid)
    sub.env = {**inv.env, "HOME": home, "USER": login, "LOGNAME": login, "SHELL": "/system/bin/sh"}
    return await run_argv(sub)
