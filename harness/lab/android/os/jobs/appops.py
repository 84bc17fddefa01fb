"""``dev.appops`` and the ``appops`` service (``cmd appops set|get|query-op|reset``).

Texts and codes are AppOpsService.Shell's (modern tree, ``onShellCommand``): errors go to stderr
with -1 (exit 255): ``Error: No UID for <pkg> in user <u>``, ``Error: Unknown operation string: <op>``
(the message of ``AppOpsManager.strDebugOpToOp``), ``Error: Mode <m> is not valid``, ``Error: Package
name not specified.``, ``Error: Operation not specified.``, ``Error: Mode not specified.``. ``get``
prints ``<OP>: <mode>`` per op that is not at its default (``; time=… ago`` only after an access,
which the lab never notes), or ``No operations.`` plus ``Default mode: <mode>`` when one op was asked
for. Unverified against a capture: the ``dumpsys appops`` layout (abridged here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.os.base import uid_text
from harness.lab.android.os.jobs.args import USER_CURRENT, JavaError, ShellArgs, parse_user
from harness.lab.android.os.jobs.opnames import OP_NAMES, default_mode, op_code
from harness.lab.android.os.jobs.texts import APPOPS_HELP
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["MODE_NAMES", "OP_RUN_ANY_IN_BACKGROUND", "AppOps", "AppOpsService"]

MODE_NAMES = ("allow", "ignore", "deny", "default", "foreground")  # AppOpsManager.MODE_NAMES
MODE_ALLOWED, MODE_IGNORED, MODE_ERRORED = 0, 1, 2
OP_RUN_ANY_IN_BACKGROUND = 70


def mode_name(mode: int) -> str:
    return MODE_NAMES[mode] if 0 <= mode < len(MODE_NAMES) else f"mode={mode}"


class AppOps:
    """``dev.appops`` (AppOpsModel): per-package and per-uid modes; everything else at its default."""

    def __init__(self, dev: AndroidDevice) -> None:
        self._dev = dev
        self.package_modes: dict[tuple[str, int], int] = {}
        self.uid_modes: dict[tuple[int, int], int] = {}
        self._listeners: list[Callable[[str, str], None]] = []

    def run_any_in_background(self, package: str) -> bool:
        """AppStateTracker.isRunAnyInBackgroundAppOpsAllowed: anything but ignore/deny allows it."""
        return self.mode(package, OP_RUN_ANY_IN_BACKGROUND) not in (MODE_IGNORED, MODE_ERRORED)

    def on_change(self, listener: Callable[[str, str], None]) -> None:
        self._listeners.append(listener)

    def mode(self, package: str, op: int) -> int:
        pkg = self._dev.packages.get(package)
        if pkg is not None and (pkg.uid, op) in self.uid_modes:
            return self.uid_modes[(pkg.uid, op)]  # a uid mode overrides the package mode
        return self.package_modes.get((package, op), default_mode(op))

    def set_mode(self, package: str, op: int, mode: int, *, uid: int | None = None) -> None:
        """Setting an op back to its default drops the entry, as ``pruneOpLocked`` does."""
        default = mode == default_mode(op)
        if uid is not None and default:
            self.uid_modes.pop((uid, op), None)
        elif uid is not None:
            self.uid_modes[(uid, op)] = mode
        elif default:
            self.package_modes.pop((package, op), None)
        else:
            self.package_modes[(package, op)] = mode
        self._notify(package, OP_NAMES[op])

    def reset(self, package: str | None) -> None:
        """``appops reset [PKG]``: every mode of the package (or of all packages) back to its default."""
        touched = sorted({p for p, _ in self.package_modes if package in (None, p)})
        pkg = self._dev.packages.get(package) if package is not None else None
        self.package_modes = {k: v for k, v in self.package_modes.items() if package not in (None, k[0])}
        if package is None:
            self.uid_modes.clear()
        elif pkg is not None:
            self.uid_modes = {k: v for k, v in self.uid_modes.items() if k[0] != pkg.uid}
        for name in touched:
            self._notify(name, OP_NAMES[OP_RUN_ANY_IN_BACKGROUND])

    def _notify(self, package: str, op_name: str) -> None:
        for listener in list(self._listeners):
            listener(package, op_name)


class AppOpsService:
    def __init__(self, dev: AndroidDevice, appops: AppOps) -> None:
        self.dev = dev
        self.appops = appops

    def dump(self, inv: Invocation, args: list[str]) -> int:
        lines = ["Current AppOps Service state:", "  Settings:", "    top_state_settle_time=+5s0ms",
                 "    fg_service_state_settle_time=+5s0ms", "    bg_state_settle_time=+1s0ms", ""]
        for (uid, op), mode in sorted(self.appops.uid_modes.items()):
            lines += [f"  Uid {uid_text(uid)}:", f"    {OP_NAMES[op]}: mode={mode_name(mode)}"]
        for pkg in sorted({p for p, _ in self.appops.package_modes}):
            entry = self.dev.packages.get(pkg)
            lines += [f"  Uid {uid_text(entry.uid if entry else 0)}:", f"    Package {pkg}:"]
            modes = sorted(self.appops.package_modes.items())
            lines += [f"      {OP_NAMES[op]} ({mode_name(m)}):" for (p, op), m in modes if p == pkg]
        inv.out("\n".join(lines) + "\n")
        return 0

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        verb = args[0] if args else None
        verbs: dict[str, Callable[[Invocation, ShellArgs], int]] = {
            "set": self._set, "get": self._get, "query-op": self._query, "reset": self._reset,
            "write-settings": lambda i, _a: self._say(i, "Current settings written."),
            "read-settings": lambda i, _a: self._say(i, "Last settings read.")}
        handler = verbs.get(verb) if verb is not None else None
        if handler is None:
            inv.out(APPOPS_HELP if verb in (None, "help", "-h") else f"Unknown command: {verb}\n")
            return -1
        try:
            return handler(inv, ShellArgs(verb or "", args[1:]))
        except JavaError as exc:  # BasicShellCommandHandler.exec prints uncaught exceptions to stderr
            inv.err(f"\nException occurred while executing '{verb}':\n{exc}\n")
            return -1

    @staticmethod
    def _say(inv: Invocation, text: str) -> int:
        inv.out(text + "\n")
        return 0

    def _parse_target(self, inv: Invocation, a: ShellArgs, require_op: bool) -> tuple[str, int, int, bool] | None:
        """Shell.parseUserPackageOp: (package, op or -1, user, --uid) or None after printing the error."""
        user, package, op_str, targets_uid = USER_CURRENT, None, None, False
        while (arg := a.next_arg()) is not None:
            if arg == "--user":
                user = parse_user(a.next_arg_required())
            elif arg == "--uid":
                targets_uid = True
            elif arg == "--attribution":
                a.next_arg_required()
            elif package is None:
                package = arg
            else:
                op_str = arg
                break
        if package is None:
            return self._error(inv, "Error: Package name not specified.")
        if op_str is None and require_op:
            return self._error(inv, "Error: Operation not specified.")
        op = op_code(op_str) if op_str is not None else -1
        if op_str is not None and op < 0:
            return self._error(inv, f"Error: Unknown operation string: {op_str}")
        user = 0 if user == USER_CURRENT else user
        if self.dev.packages.get(package) is None or user != 0:
            return self._error(inv, f"Error: No UID for {package} in user {user}")
        return package, op, user, targets_uid

    @staticmethod
    def _error(inv: Invocation, text: str) -> None:
        inv.err(text + "\n")

    def _set(self, inv: Invocation, a: ShellArgs) -> int:
        target = self._parse_target(inv, a, True)
        if target is None:
            return -1
        package, op, _user, targets_uid = target
        mode_str = a.next_arg()
        if mode_str is None:
            inv.err("Error: Mode not specified.\n")
            return -1
        mode = self._mode(mode_str)
        if mode < 0:
            inv.err(f"Error: Mode {mode_str} is not valid\n")
            return -1
        pkg = self.dev.packages.get(package)
        self.appops.set_mode(package, op, mode, uid=pkg.uid if targets_uid and pkg is not None else None)
        return 0

    @staticmethod
    def _mode(text: str) -> int:
        if text in MODE_NAMES:
            return MODE_NAMES.index(text)
        return int(text) if text.lstrip("-").isdigit() else -1

    def _get(self, inv: Invocation, a: ShellArgs) -> int:
        target = self._parse_target(inv, a, False)
        if target is None:
            return -1
        package, op, _user, _targets_uid = target
        pkg = self.dev.packages.get(package)
        uid_ops = sorted((o, m) for (u, o), m in self.appops.uid_modes.items()
                         if pkg is not None and u == pkg.uid and op in (-1, o))
        pkg_ops = sorted((o, m) for (p, o), m in self.appops.package_modes.items() if p == package and op in (-1, o))
        if not uid_ops and not pkg_ops:
            inv.out("No operations.\n" + (f"Default mode: {mode_name(default_mode(op))}\n" if op >= 0 else ""))
            return 0
        text = "Uid mode: " if uid_ops else ""
        text += "".join(f"{OP_NAMES[o]}: {mode_name(m)}\n" for o, m in uid_ops + pkg_ops)
        inv.out(text)
        return 0

    def _query(self, inv: Invocation, a: ShellArgs) -> int:
        op_str = mode_str = None
        while (arg := a.next_arg()) is not None:
            if arg == "--user":
                parse_user(a.next_arg_required())
            elif op_str is None:
                op_str = arg
            elif mode_str is None:
                mode_str = arg
        if op_str is None:
            inv.err("Error: Operation not specified.\n")
            return -1
        op = op_code(op_str)
        if op < 0:
            inv.err(f"Error: Unknown operation string: {op_str}\n")
            return -1
        mode = self._mode(mode_str) if mode_str is not None else MODE_IGNORED
        matches = sorted(p for (p, o), m in self.appops.package_modes.items() if o == op and m == mode)
        inv.out("".join(f"{p}\n" for p in matches) if matches else "No operations.\n")
        return 0

    def _reset(self, inv: Invocation, a: ShellArgs) -> int:
        package, user = None, USER_CURRENT
        while (arg := a.next_arg()) is not None:
            if arg == "--user":
                user = parse_user(a.next_arg_required())
            elif package is None:
                package = arg
            else:
                inv.err(f"Error: Unsupported argument: {arg}\n")
                return -1
        user = 0 if user == USER_CURRENT else user
        self.appops.reset(package)
        who = "all users" if user == -1 else f"user {user}"
        inv.out(f"Reset all modes for: {who}, " + ("all packages\n" if package is None else f"package {package}\n"))
        return 0
