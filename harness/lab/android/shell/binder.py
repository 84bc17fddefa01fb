"""``dumpsys`` and ``cmd``: the two doors into system services, and the wrappers that use them.

``am`` is ``cmd activity``, ``pm`` is ``cmd package``, ``settings`` is ``cmd settings``, ``appops``
is ``cmd appops``, ``device_config`` is ``cmd device_config`` (each is a two-line shell script on a real
phone). ``cmd`` answers an unknown service with ``cmd: Can't find service: X`` and status 20
(frameworks/native/cmds/cmd/cmd.cpp).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.device import AndroidDevice
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["install"]


def _dev(inv: Invocation) -> AndroidDevice:
    assert isinstance(inv.host, AndroidDevice)
    return inv.host


def dumpsys(inv: Invocation) -> int:
    dev = _dev(inv)
    args = inv.argv[1:]
    if args and args[0] == "-l":
        inv.out("Currently running services:\n" + "".join(f"  {n}\n" for n in sorted(dev.services)))
        return 0
    if args and args[0] in ("-t", "-T") and len(args) >= 2:
        args = args[2:]
    if not args:
        for name in sorted(dev.services):
            inv.out("-------------------------------------------------------------------------------\n")
            inv.out(f"DUMP OF SERVICE {name}:\n")
            dev.services[name].dump(inv, [])
        return 0
    service = dev.services.get(args[0])
    if service is None:
        inv.err(f"Can't find service: {args[0]}\n")
        return 0
    return service.dump(inv, args[1:]) & 0xFF


def cmd(inv: Invocation) -> int:
    dev = _dev(inv)
    args = inv.argv[1:]
    if not args:
        inv.err("cmd: No service specified; use -l to list all running services. Use -w to start and wait "
                "for a service.\n")
        return 20
    if args[0] == "-l":
        inv.out("Currently running services:\n" + "".join(f"  {n}\n" for n in sorted(dev.services)))
        return 0
    if args[0] == "-w":
        args = args[1:]
    service = dev.services.get(args[0])
    if service is None:
        inv.err(f"cmd: Can't find service: {args[0]}\n")
        return 20
    return service.shell_command(inv, args[1:]) & 0xFF


def _alias(service: str) -> object:
    def run(inv: Invocation) -> int:
        return cmd(inv.sub(["cmd", service, *inv.argv[1:]]))

    return run


def install(dev: AndroidDevice) -> None:
    dev.commands.add("dumpsys", dumpsys)
    dev.commands.add("cmd", cmd)
    for name, service in (("am", "activity"), ("pm", "package"), ("settings", "settings"),
                          ("appops", "appops"), ("device_config", "device_config")):
        dev.commands.add(name, _alias(service))  # type: ignore[arg-type]
