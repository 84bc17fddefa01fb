"""``settings get|put|delete|list`` (``cmd settings``), SettingsProvider's shell command."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["SettingsService"]

_USAGE = """Settings provider (settings) commands:
  help
      Print this help text.
  get [--user <USER_ID> | current] NAMESPACE KEY
      Retrieve the current value of KEY.
  put [--user <USER_ID> | current] NAMESPACE KEY VALUE [TAG] [default]
      Change the contents of KEY to VALUE.
  delete [--user <USER_ID> | current] NAMESPACE KEY
      Delete the entry for KEY.
  list [--user <USER_ID> | current] NAMESPACE
      Print all defined keys.
      NAMESPACE is one of {system, secure, global}, case-insensitive
"""

Listener = Callable[[str, str, str | None], None]


class SettingsService:
    def __init__(self, dev: AndroidDevice) -> None:
        self.dev = dev
        self._listeners: list[Listener] = []

    def on_change(self, listener: Listener) -> None:
        """Called with (namespace, key, new value or None) after every put/delete."""
        self._listeners.append(listener)

    def get(self, namespace: str, key: str) -> str | None:
        return self.dev.settings[namespace].get(key)

    def put(self, namespace: str, key: str, value: str | None) -> None:
        table = self.dev.settings[namespace]
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
        for listener in list(self._listeners):
            listener(namespace, key, value)

    def dump(self, inv: Invocation, args: list[str]) -> int:
        for namespace in ("global", "secure", "system"):
            inv.out(f"{namespace.upper()} SETTINGS (user 0)\n")
            for key, value in sorted(self.dev.settings[namespace].items()):
                inv.out(f"  _id:0 name:{key} pkg:com.android.shell value:{value}\n")
        return 0

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        if len(args) >= 2 and args[0] in ("get", "put", "delete", "list") and args[1] == "--user":
            args = [args[0], *args[3:]]
        if not args or args[0] in ("help", "-h"):
            inv.out(_USAGE)
            return 0
        verb = args[0]
        if verb not in ("get", "put", "delete", "list") or len(args) < 2:
            inv.err(f"Invalid command: {verb}\n" if verb not in ("get", "put", "delete", "list") else "")
            inv.out(_USAGE)
            return 255
        namespace = args[1].lower()
        if namespace not in self.dev.settings:
            inv.err(f"Invalid namespace: {args[1]}\n")
            inv.out(_USAGE)
            return 255
        return self._run(inv, verb, namespace, args[2:])

    def _run(self, inv: Invocation, verb: str, namespace: str, rest: list[str]) -> int:
        if verb == "list":
            for key, value in sorted(self.dev.settings[namespace].items()):
                inv.out(f"{key}={value}\n")
            return 0
        if not rest or (verb == "put" and len(rest) < 2):
            inv.out(_USAGE)
            return 255
        key = rest[0]
        if verb == "get":
            current = self.get(namespace, key)
            inv.out(("null" if current is None else current) + "\n")
        elif verb == "put":
            self.put(namespace, key, rest[1])
        else:
            existed = self.get(namespace, key) is not None
            self.put(namespace, key, None)
            inv.out(f"Deleted {1 if existed else 0} rows\n")
        return 0
