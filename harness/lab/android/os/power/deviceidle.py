"""``dumpsys deviceidle`` / ``cmd deviceidle``: DeviceIdleController.onShellCommand and dump() routing (DIC-new).

Every text below is the source's, including its quirks: ``Light idle mode enable`` (no "d"), ``Unknown idle
mode`` and ``Unknown get option`` answered with status 0, ``force-idle`` succeeding while charging with the screen
on (the forced flag skips those checks), and ``unforce`` printing the two mode-manager lines after the state.
``cmd`` returns the verb's result (-1 → 255); ``dumpsys`` routes a non-option argument to the same handler and
always exits 0, with the handler's stderr folded into stdout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.os.power._shell import ShellCommand, java_bool, parse_int, parse_long
from harness.lab.android.os.power.allowlist import Allowlist
from harness.lab.android.os.power.deviceidle_dump import dump_lines, state_line
from harness.lab.android.os.power.doze import Deep, DeviceIdleController, Light
from harness.lab.android.os.power.notifier import Notifier
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["DeviceIdleService"]

HELP = """Device idle controller (deviceidle) commands:
  help
    Print this help text.
  step [light|deep]
    Immediately step to next state, without waiting for alarm.
  force-idle [light|deep]
    Force directly into idle mode, regardless of other device state.
  force-inactive
    Force to be inactive, ready to freely step idle states.
  unforce
    Resume normal functioning after force-idle or force-inactive or force-modemanager-quickdoze.
  get [light|deep|force|screen|charging|network|offbody|forceoffbody]
    Retrieve the current given state.
  disable [light|deep|all]
    Completely disable device idle mode.
  enable [light|deep|all]
    Re-enable device idle mode after it had previously been disabled.
  enabled [light|deep|all]
    Print 1 if device idle mode is currently enabled, else 0.
  whitelist
    Print currently whitelisted apps.
  whitelist [package ...]
    Add (prefix with +) or remove (prefix with -) packages.
  sys-whitelist [package ...|reset]
    Prefix the package with '-' to remove it from the system whitelist or '+' to put it back in the system whitelist.
    Note that only packages that were earlier removed from the system whitelist can be added back.
    reset will reset the whitelist to the original state
    Prints the system whitelist if no arguments are specified
  except-idle-whitelist [package ...|reset]
    Prefix the package with '+' to add it to whitelist or '=' to check if it is already whitelisted
    [reset] will reset the whitelist to it's original state
    Note that unlike <whitelist> cmd, changes made using this won't be persisted across boots
  tempwhitelist
    Print packages that are temporarily whitelisted.
  tempwhitelist [-u USER] [-d DURATION] [-r] [package]
    Temporarily place package in whitelist for DURATION milliseconds.
    If no DURATION is specified, 10 seconds is used
    If [-r] option is used, then the package is removed from temp whitelist and any [-d] is ignored
  motion
    Simulate a motion event to bring the device out of deep doze
  force-modemanager-quickdoze [true|false]
    Simulate mode manager request to enable (true) or disable (false) quick doze. Mode manager changes will be \
ignored until unforce is called.
  force-modemanager-offbody [true|false]
    Force mode manager offbody state, this can be used to simulate device being off-body (true) or on-body \
(false). Mode manager changes will be ignored until unforce is called.
"""


class DeviceIdleService:
    """The ``deviceidle`` binder service (a ``SystemService``)."""

    def __init__(self, dev: AndroidDevice, doze: DeviceIdleController, allow: Allowlist, notifier: Notifier,
                 jobs_active: Callable[[], bool]) -> None:
        self.dev = dev
        self.doze = doze
        self.allow = allow
        self._notifier = notifier
        self._jobs_active = jobs_active
        self.force_mm_quick = self.mm_quick = self.force_mm_offbody = self.off_body = False
        self._verbs: dict[str, Callable[[ShellCommand], int]] = {
            "step": self._step, "force-active": self._force_active, "force-idle": self._force_idle,
            "force-inactive": self._force_inactive, "unforce": self._unforce, "get": self._get,
            "disable": self._disable, "enable": self._enable, "enabled": self._enabled,
            "whitelist": self._whitelist, "tempwhitelist": self._tempwhitelist,
            "except-idle-whitelist": self._except_idle_whitelist, "sys-whitelist": self._sys_whitelist,
            "motion": self._motion, "force-modemanager-quickdoze": self._force_mm_quick,
            "force-modemanager-offbody": self._force_mm_offbody,
        }

    # -- SystemService ---------------------------------------------------------------------------------
    def dump(self, inv: Invocation, args: list[str]) -> int:
        self._dump(inv.out, args)
        return 0  # dumpsys does not pass a shell command's result on

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        return self._exec(ShellCommand.of(inv, args, via_dump=False))

    def _dump(self, out: Callable[[str], None], args: list[str]) -> None:
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "-h":
                out(HELP)
                return
            if arg == "-u":
                i += 2
                continue
            if arg.startswith("-") and arg != "-a":
                out(f"Unknown option: {arg}\n")
                return
            if not arg.startswith("-"):
                self._exec(ShellCommand(args[i:], out, out))  # no error fd: stderr folds into stdout
                return
            i += 1
        lines = dump_lines(self.doze, self.allow, sdk=self.dev.sdk, jobs_active=self._jobs_active())
        out("".join(line + "\n" for line in lines))

    def _exec(self, shell: ShellCommand) -> int:
        with self._notifier.batch():
            return shell.run(self._on_command)

    def _on_command(self, shell: ShellCommand, cmd: str | None) -> int:
        verb = self._verbs.get(cmd or "")
        if verb is not None:
            return verb(shell)
        if cmd == "dump":  # ShellCommand.handleDefaultCommands: the rest of the line goes to dump()
            self._dump(shell.out, shell.args[1:])
            return 0
        return shell.default(cmd, HELP)

    # -- stepping and forcing ------------------------------------------------------------------------
    def _step(self, shell: ShellCommand) -> int:
        arg = shell.next_arg()
        if arg is None or arg == "deep":
            self.doze.step_deep("s:shell")
            shell.println(f"Stepped to deep: {self.doze.state.name}")
        elif arg == "light":
            self.doze.step_light("s:shell")
            shell.println(f"Stepped to light: {self.doze.light_state.name}")
        else:
            shell.println(f"Unknown idle mode: {arg}")
        return 0

    def _force_idle(self, shell: ShellCommand) -> int:
        arg = shell.next_arg()
        if arg is None or arg == "deep":
            if not self.doze.deep_enabled:
                shell.println("Unable to go deep idle; not enabled")
                return -1
            return self._force_until(shell, "deep")
        if arg == "light":
            return self._force_until(shell, "light")
        shell.println(f"Unknown idle mode: {arg}")
        return 0

    def _force_until(self, shell: ShellCommand, mode: str) -> int:
        """The ``force-idle`` loop: step until IDLE; a step that changes nothing fails at that state."""
        doze = self.doze
        doze.force_idle = True
        doze.become_inactive_if_appropriate()
        deep = mode == "deep"
        step = doze.step_deep if deep else doze.step_light

        def current() -> Deep | Light:
            return doze.state if deep else doze.light_state

        target = Deep.IDLE if deep else Light.IDLE
        while (cur := current()) != target:
            step("s:shell")
            if current() == cur:
                shell.println(f"Unable to go {mode} idle; stopped at {cur.name}")
                doze.exit_force_idle()
                return -1
        shell.println(f"Now forced in to {mode} idle mode")
        return 0

    def _force_inactive(self, shell: ShellCommand) -> int:
        self.doze.force_idle = True
        self.doze.become_inactive_if_appropriate()
        shell.println(state_line(self.doze))
        return 0

    def _force_active(self, shell: ShellCommand) -> int:
        self.doze.force_idle = True
        self.doze.become_active("force-active")
        shell.println(state_line(self.doze))
        return 0

    def _unforce(self, shell: ShellCommand) -> int:
        self.doze.exit_force_idle()
        shell.println(state_line(self.doze))
        self.force_mm_quick = self.force_mm_offbody = False
        shell.println("mForceModeManagerQuickDozeRequest: false")
        shell.println("mForceModeManagerOffBodyState: false")
        return 0

    def _motion(self, shell: ShellCommand) -> int:
        self.doze.motion()
        shell.println(state_line(self.doze))
        return 0

    # -- state queries and switches -------------------------------------------------------------------
    def _get(self, shell: ShellCommand) -> int:
        arg = shell.next_arg()
        if arg is None:
            shell.println("Argument required")
            return 0
        doze = self.doze
        values: dict[str, str] = {
            "light": doze.light_state.name, "deep": doze.state.name, "force": java_bool(doze.force_idle),
            "quick": "false", "screen": java_bool(doze.screen_on), "charging": java_bool(doze.charging),
            "network": java_bool(doze.network_connected), "modemanagerquick": java_bool(self.mm_quick),
            "forcemodemanagerquick": java_bool(self.force_mm_quick), "offbody": java_bool(self.off_body),
            "forceoffbody": java_bool(self.force_mm_offbody),
        }
        shell.println(values.get(arg, f"Unknown get option: {arg}"))
        return 0

    def _disable(self, shell: ShellCommand) -> int:
        arg = shell.next_arg()
        deep, light = arg in (None, "deep", "all"), arg in (None, "light", "all")
        changed = False
        if deep and self.doze.deep_enabled:
            self.doze.deep_enabled, changed = False, True
            shell.println("Deep idle mode disabled")
        if light and self.doze.light_enabled:
            self.doze.light_enabled, changed = False, True
            shell.println("Light idle mode disabled")
        if changed:
            self.doze.become_active(f"{arg or 'all'}-disabled")
        if not (deep or light):
            shell.println(f"Unknown idle mode: {arg}")
        return 0

    def _enable(self, shell: ShellCommand) -> int:
        arg = shell.next_arg()
        deep, light = arg in (None, "deep", "all"), arg in (None, "light", "all")
        changed = False
        if deep and not self.doze.deep_enabled:
            self.doze.deep_enabled, changed = True, True
            shell.println("Deep idle mode enabled")
        if light and not self.doze.light_enabled:
            self.doze.light_enabled, changed = True, True
            shell.println("Light idle mode enable")  # sic: DeviceIdleController prints it without the "d"
        if changed:
            self.doze.become_inactive_if_appropriate()
        if not (deep or light):
            shell.println(f"Unknown idle mode: {arg}")
        return 0

    def _enabled(self, shell: ShellCommand) -> int:
        arg = shell.next_arg()
        if arg in (None, "all"):
            value = self.doze.deep_enabled and self.doze.light_enabled
        elif arg in ("deep", "light"):
            value = self.doze.deep_enabled if arg == "deep" else self.doze.light_enabled
        else:
            shell.println(f"Unknown idle mode: {arg}")
            return 0
        shell.println("1" if value else "0")
        return 0

    # -- mode manager (Wear OS on-body signals; only the forcing and its texts matter on a phone) ---------
    def _force_mm_quick(self, shell: ShellCommand) -> int:
        return self._force_mm(shell, "force-modemanager-quickdoze", quick=True)

    def _force_mm_offbody(self, shell: ShellCommand) -> int:
        return self._force_mm(shell, "force-modemanager-offbody", quick=False)

    def _force_mm(self, shell: ShellCommand, verb: str, *, quick: bool) -> int:
        arg = shell.next_arg()
        if arg is None or arg.lower() not in ("true", "false"):
            shell.println(f"Provide true or false argument after {verb}")
            return -1
        value = arg.lower() == "true"
        if quick:
            self.force_mm_quick, self.mm_quick = True, value
            shell.println("mForceModeManagerQuickDozeRequest: true")
            shell.println(f"mModeManagerRequestedQuickDoze: {java_bool(value)}")
        else:
            self.force_mm_offbody, self.off_body = True, value
            shell.println("mForceModeManagerOffBodyState: true")
            shell.println(f"mIsOffBody: {java_bool(value)}")
        # maybeBecomeActiveOnModeManagerEventsLocked; quick doze itself stays off (use_mode_manager=false).
        if not self.off_body and not self.doze.force_idle:
            self.doze.become_active("on_body")
        return 0

    # -- allowlists ------------------------------------------------------------------------------------
    def _whitelist(self, shell: ShellCommand) -> int:
        arg = shell.next_arg()
        if arg is None:
            for line in self.allow.listing():
                shell.println(line)
            return 0
        while arg is not None:
            if not arg or arg[0] not in "+-=":
                shell.println(f"Package must be prefixed with +, -, or =: {arg}")
                return -1
            op, pkg = arg[0], arg[1:]
            if op == "+":
                shell.println(f"Added: {pkg}" if self.allow.add_user(pkg) else f"Unknown package: {pkg}")
            elif op == "-":
                if self.allow.remove_user(pkg):
                    shell.println(f"Removed: {pkg}")
            else:
                shell.println(java_bool(self.allow.is_user(pkg)))
            arg = shell.next_arg()
        return 0

    def _tempwhitelist(self, shell: ShellCommand) -> int:
        duration, remove = 10_000, False
        while (opt := shell.next_option()) is not None:
            if opt in ("-u", "-d"):
                value = shell.next_arg()
                if value is None:
                    shell.println("-u requires a user number" if opt == "-u" else "-d requires a duration")
                    return -1
                if opt == "-u":
                    parse_int(value)  # only user 0 exists in the lab; the number must still parse
                else:
                    duration = parse_long(value)
            elif opt == "-r":
                remove = True
        pkg = shell.next_arg()
        if pkg is not None:
            if remove:
                self.allow.remove_temp(pkg)
            else:
                self.allow.add_temp(pkg, duration, "shell")
        elif remove:
            shell.println("[-r] requires a package name")
            return -1
        else:
            for line in self.allow.temp_schedule():
                shell.println(line)
        return 0

    def _except_idle_whitelist(self, shell: ShellCommand) -> int:
        arg = shell.next_arg()
        if arg is None:
            shell.println("No arguments given")
            return -1
        if arg == "reset":
            self.allow.reset_except_idle()
            return 0
        while arg is not None:
            if not arg or arg[0] not in "+-=":
                shell.println(f"Package must be prefixed with +, -, or =: {arg}")
                return -1
            op, pkg = arg[0], arg[1:]
            if op == "+":
                shell.println(f"Added: {pkg}" if self.allow.add_except_idle(pkg) else f"Unknown package: {pkg}")
            elif op == "=":
                shell.println(java_bool(pkg in self.allow.except_idle))
            else:
                shell.println(f"Unknown argument: {arg}")
                return -1
            arg = shell.next_arg()
        return 0

    def _sys_whitelist(self, shell: ShellCommand) -> int:
        arg = shell.next_arg()
        if arg is None:
            for line in self.allow.system_listing():
                shell.println(line)
            return 0
        if arg == "reset":
            self.allow.reset_system()
            return 0
        while arg is not None:
            if not arg or arg[0] not in "+-":
                shell.println(f"Package must be prefixed with + or - {arg}")
                return -1
            pkg = arg[1:]
            if arg[0] == "+" and self.allow.restore_system(pkg):
                shell.println(f"Restored {pkg}")
            elif arg[0] == "-" and self.allow.remove_system(pkg):
                shell.println(f"Removed {pkg}")
            arg = shell.next_arg()
        return 0
