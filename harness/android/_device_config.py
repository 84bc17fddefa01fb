"""DeviceConfig flags: the OS's own test knobs (Doze, JobScheduler quota, alarm and standby constants).

Shell syntax and output are DeviceConfigService.MyShellCommand's (frameworks/base
packages/SettingsProvider/src/com/android/providers/settings/DeviceConfigService.java, Android 10+):

- ``device_config get NS KEY`` prints the value, or ``null`` when the key is unset;
- ``device_config put NS KEY VALUE`` prints nothing (an aconfig flag it refuses prints ``Error: …`` and still
  exits 0);
- ``device_config delete NS KEY`` prints ``Successfully deleted KEY from NS`` or ``Failed to delete KEY from NS``;
- ``device_config set_sync_disabled_for_tests none|persistent|until_reboot`` and
  ``get_sync_disabled_for_tests`` (prints the mode): while sync is disabled, the phone's server-pushed
  configuration does not overwrite what a test put;
- bad arguments print ``Bad arguments`` (``Too many arguments``, ``Invalid command: …``) and exit 255.

A put or a delete journals the old value first (``put NS KEY OLD``, or ``delete NS KEY`` when it was unset),
and the first one also journals the sync mode the phone had, so a killed run leaves no flag behind.
"""

from __future__ import annotations

import re
import shlex

from harness.android._base import DriverBase
from harness.errors import CommandFailed
from harness.journal import Undo

__all__ = ["SYNC_MODES", "DeviceConfigVerbs"]

SYNC_MODES = ("none", "persistent", "until_reboot")  # DeviceConfigService.formatSyncDisabledMode
_NAME = re.compile(r"[A-Za-z0-9_.\-/]+")  # namespaces and keys (device_idle/inactive_to, a.b.flag)


class DeviceConfigVerbs(DriverBase):
    def device_config_get(self, namespace: str, key: str) -> str | None:
        """The flag's value, or None when it is not set (the shell prints ``null``)."""
        command = f"device_config get {self._flag(namespace, key)}"
        out = self._check("device_config_get", command).strip()
        return None if out == "null" else out

    def device_config_put(self, namespace: str, key: str, value: str | int | float) -> None:
        """Set a flag, with sync disabled so the phone does not overwrite it; undone at teardown."""
        flag = self._flag(namespace, key)
        self._hold_sync()
        self._remember_flag(namespace, key)
        command = f"device_config put {flag} {shlex.quote(str(value))}"
        out = self._check("device_config_put", command).strip()
        if out.startswith("Error:"):  # a refused aconfig flag still exits 0
            raise CommandFailed(self.name, command, out, "aconfig flags need root and must not be read-only")

    def device_config_delete(self, namespace: str, key: str) -> None:
        """Unset a flag (the component falls back to its built-in default); undone at teardown."""
        flag = self._flag(namespace, key)
        if self.device_config_get(namespace, key) is None:
            return  # not set: nothing changes
        self._hold_sync()
        self._remember_flag(namespace, key)
        command = f"device_config delete {flag}"
        out = self._check("device_config_delete", command).strip()
        if not out.startswith("Successfully deleted"):
            raise CommandFailed(self.name, command, out or "no answer", "is the key spelled as `device_config list` "
                                "prints it?")

    def device_config_sync_mode(self) -> str:
        """``none``, ``persistent`` or ``until_reboot``."""
        out = self._check("device_config_sync_mode", "device_config get_sync_disabled_for_tests").strip()
        if out not in SYNC_MODES:
            raise CommandFailed(self.name, "device_config get_sync_disabled_for_tests", f"unexpected answer {out!r}",
                                f"expected one of {', '.join(SYNC_MODES)}")
        return out

    def _hold_sync(self) -> None:
        mode = self.device_config_sync_mode()
        if mode == "persistent":
            return
        self.remember("device_config sync", Undo.shell(f"device_config set_sync_disabled_for_tests {mode}"))
        self._check("device_config_sync", "device_config set_sync_disabled_for_tests persistent")

    def _remember_flag(self, namespace: str, key: str) -> None:
        old = self.device_config_get(namespace, key)
        flag = self._flag(namespace, key)
        undo = f"device_config delete {flag}" if old is None else f"device_config put {flag} {shlex.quote(old)}"
        self.remember(f"device_config {namespace} {key}", Undo.shell(undo))

    def _flag(self, namespace: str, key: str) -> str:
        for what, name in (("namespace", namespace), ("key", key)):
            if not _NAME.fullmatch(name):
                raise CommandFailed(self.name, f"device_config {namespace} {key}", f"{what} {name!r} is not a "
                                    "DeviceConfig name", "use letters, digits, _ . - / as `device_config list` "
                                    "prints them (e.g. device_idle inactive_to)")
        return f"{namespace} {key}"
