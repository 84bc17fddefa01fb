"""``cmd device_config`` (``/system/bin/device_config`` is ``cmd device_config "$@"``): DeviceConfigService.

Texts, streams and results follow ``DeviceConfigService.MyShellCommand`` of the Android 14/15 era
(frameworks/base packages/SettingsProvider/src/com/android/providers/settings/DeviceConfigService.java). The
verbs behind the ``supportOverrides`` aconfig flag (``override``, ``clear_override``, ``list_local_overrides``) are
left out, as on a build with the flag off: they answer ``Invalid command``. Help and every error return -1, which
the shell sees as 255. ``reset`` goes through ``getResetModeEnforcingPermission``, which only lets the shell reset
on a debuggable build; on a user build (the lab's ``ro.debuggable=0``) it throws a SecurityException that
``BasicShellCommandHandler.exec`` prints. See docs/lab-device-config.md for what was checked and what was not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.lab.android.os.devconfig.store import MODE_NAMES, RESET_MODES, DeviceConfigStore
from harness.lab.android.os.power._shell import JavaException, ShellCommand
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["HELP", "DeviceConfigService"]

HELP = """Device Config (device_config) commands:
  help
      Print this help text.
  get NAMESPACE KEY
      Retrieve the current value of KEY from the given NAMESPACE.
  put NAMESPACE KEY VALUE [default]
      Change the contents of KEY to VALUE for the given NAMESPACE.
      {default} to set as the default value.
  delete NAMESPACE KEY
      Delete the entry for KEY for the given NAMESPACE.
  list_namespaces [--public]
      Prints the name of all (or just the public) namespaces.
  list [NAMESPACE]
      Print all keys and values defined, optionally for the given NAMESPACE.
  reset RESET_MODE [NAMESPACE]
      Reset all flag values, optionally for a NAMESPACE, according to RESET_MODE.
      RESET_MODE is one of {untrusted_defaults, untrusted_clear, trusted_defaults}
      NAMESPACE limits which flags are reset if provided, otherwise all flags are reset
  set_sync_disabled_for_tests SYNC_DISABLED_MODE
      Modifies bulk property setting behavior for tests. When in one of the disabled modes this ensures that \
config isn't overwritten.
      SYNC_DISABLED_MODE is one of:
        none: Sync is not disabled. A reboot may be required to restart syncing.
        persistent: Sync is disabled, this state will survive a reboot.
        until_reboot: Sync is disabled until the next reboot.
  get_sync_disabled_for_tests
      Prints one of the SYNC_DISABLED_MODE values, see set_sync_disabled_for_tests
"""

VERBS = ("get", "put", "delete", "list", "list_namespaces", "reset", "set_sync_disabled_for_tests",
         "get_sync_disabled_for_tests")
# The NAMESPACE_* constants of android.provider.DeviceConfig that the lab's OS model reads; `list_namespaces`
# prints the whole set of constants on a phone (by reflection, in no documented order), so this is a subset.
KNOWN_NAMESPACES = ("activity_manager", "alarm_manager", "app_standby", "device_idle", "jobscheduler")
PRIVATE_NAMESPACES = ("device_config_overrides", "staged", "token_staged")
_RESET_DENIED = {2: "reset to untrusted defaults", 3: "reset untrusted changes", 4: "reset to trusted defaults"}


class BadArguments(Exception):
    """A parse error; ``str()`` is the stderr line (``Bad arguments``, ``Too many arguments``, …)."""


@dataclass
class _Parsed:
    verb: str
    namespace: str | None = None
    key: str | None = None
    value: str | None = None
    make_default: bool = False
    mode: int = -1  # the reset or sync-disabled mode


def _parse(verb: str, args: list[str]) -> _Parsed:
    """``onCommand``'s argument loop: each verb's arity, with the same first error it reports."""
    p = _Parsed(verb)
    if verb == "get_sync_disabled_for_tests":
        if args:
            raise BadArguments("Bad arguments")
        return p
    if verb == "reset":
        return _parse_reset(p, args)
    if verb == "set_sync_disabled_for_tests":
        modes = {name: mode for mode, name in MODE_NAMES.items()}
        if not args:
            raise BadArguments("Bad arguments")
        if args[0].lower() not in modes:
            raise BadArguments(f"Invalid sync disabled mode: {args[0]}")
        if len(args) > 1:
            raise BadArguments("Bad arguments")  # later arguments are skipped, and the command is invalid
        p.mode = modes[args[0].lower()]
        return p
    if verb == "list_namespaces":
        if args and "--public" not in args:
            raise BadArguments("Bad arguments")
        p.make_default = bool(args)  # --public
        return p
    return _parse_flag_args(p, args)


def _parse_reset(p: _Parsed, args: list[str]) -> _Parsed:
    if not args:
        raise BadArguments("Bad arguments")
    if args[0].lower() not in RESET_MODES:
        raise BadArguments(f"Invalid reset mode: {args[0]}")
    if len(args) > 2:
        raise BadArguments("Too many arguments")
    p.mode = RESET_MODES[args[0].lower()]
    p.namespace = args[1] if len(args) == 2 else None
    return p


def _parse_flag_args(p: _Parsed, args: list[str]) -> _Parsed:
    """GET/DELETE: NAMESPACE KEY; PUT: NAMESPACE KEY VALUE [default]; LIST: [NAMESPACE]."""
    wanted = {"get": 2, "delete": 2, "list": 1, "put": 3}[p.verb]
    if p.verb == "list" and not args:
        return p
    if len(args) > wanted and p.verb != "put":
        raise BadArguments("Too many arguments")
    if p.verb == "put" and len(args) > 3:
        p.make_default = _default_word(args[3:])
    if len(args) < wanted:
        raise BadArguments("Bad arguments")
    p.namespace = args[0]
    p.key = args[1] if wanted >= 2 else None
    p.value = args[2] if wanted == 3 else None
    return p


def _default_word(extra: list[str]) -> bool:
    """PUT after its VALUE: words other than ``default`` are skipped; ``default`` must be the last word."""
    for i, word in enumerate(extra):
        if word.lower() == "default":
            if i != len(extra) - 1:
                raise BadArguments("Too many arguments")
            return True
    raise BadArguments("Bad arguments")


class DeviceConfigService:
    def __init__(self, dev: AndroidDevice, store: DeviceConfigStore) -> None:
        self.dev = dev
        self.store = store

    # -- SystemService ---------------------------------------------------------------------------
    def dump(self, inv: Invocation, args: list[str]) -> int:
        """``dump()``'s first part; the aconfig part that follows it on a phone is not modelled."""
        inv.out("DeviceConfig flags:\n" + "".join(line + "\n" for line in self._all_lines()))
        return 0

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        return ShellCommand.of(inv, args, via_dump=False).run(self._on_command)

    # -- onCommand -------------------------------------------------------------------------------
    def _on_command(self, shell: ShellCommand, cmd: str | None) -> int:
        if cmd is None or cmd in ("help", "-h"):
            shell.out(HELP)
            return -1
        verb = cmd.lower()  # every verb is matched with equalsIgnoreCase
        if verb not in VERBS:
            shell.err(f"Invalid command: {cmd}\n")
            return -1
        try:
            parsed = _parse(verb, shell.args[shell.pos:])
        except BadArguments as exc:
            shell.err(f"{exc}\n")
            return -1
        return self._run(shell, parsed)

    def _run(self, shell: ShellCommand, p: _Parsed) -> int:
        store = self.store
        if p.verb == "get":
            value = store.get(p.namespace or "", p.key or "")
            shell.println("null" if value is None else value)
        elif p.verb == "put":
            store.put(p.namespace or "", p.key or "", p.value or "", make_default=p.make_default)
        elif p.verb == "delete":
            done = store.delete(p.namespace or "", p.key or "")
            shell.println(f"{'Successfully deleted' if done else 'Failed to delete'} {p.key} from {p.namespace}")
        elif p.verb == "list":
            self._list(shell, p.namespace)
        elif p.verb == "list_namespaces":
            for name in KNOWN_NAMESPACES:
                shell.println(name)
        elif p.verb == "reset":
            self._reset(p)
        elif p.verb == "set_sync_disabled_for_tests":
            store.set_sync_disabled_mode(p.mode)
        else:
            shell.println(MODE_NAMES[store.sync_disabled_mode()])
        return 0

    def _list(self, shell: ShellCommand, namespace: str | None) -> None:
        if namespace is not None:
            props = self.store.properties(namespace)
            for key in sorted(props):
                shell.println(f"{key}={props[key]}")
            return
        for line in self._all_lines():
            if not line.startswith(PRIVATE_NAMESPACES):
                shell.println(line)

    def _all_lines(self) -> list[str]:
        # listAll sorts whole "ns/key=value" lines (Collections.sort on Strings: UTF-16 order, ASCII here).
        return sorted(f"{name}={'null' if value is None else value}" for name, value in self.store.all_flags().items())

    def _reset(self, p: _Parsed) -> None:
        if self.dev.props.get("ro.debuggable") != "1":
            raise JavaException(f"java.lang.SecurityException: Only system, shell/root on a debuggable build can "
                                f"{_RESET_DENIED[p.mode]}")
        self.store.reset(p.mode, p.namespace)
