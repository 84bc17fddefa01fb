"""The ``config`` table of SettingsProvider: DeviceConfig flags, their listeners and the sync-disabled mode.

Flags are ``namespace/key`` rows that live in ``/data/system/users/0/settings_config.xml`` on a phone, so they
survive a reboot; the store is created once per virtual phone and kept across its reboots for the same reason.

The sync-disabled mode is SettingsProvider's (``setSyncDisabledModeConfigLocked``/``getSyncDisabledModeConfigLocked``):
``persistent`` is the global setting ``device_config_sync_disabled`` ("1"; ``none`` writes "0"), ``until_reboot`` an
in-memory flag that a reboot clears. It gates only the bulk write a server sync uses (``setAllConfigSettings``
→ ``SET_ALL_RESULT_DISABLED``); single puts from the shell are always applied. The lab has no server, so nothing
bulk-writes unless a test calls :meth:`DeviceConfigStore.set_properties` in its place.

Listeners get what ``DeviceConfig.handleChange`` builds: the namespace's *changed* keys only, each with its value
after the change (``None`` once deleted). ``DeviceIdleController`` relies on that detail (see power/config.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["NONE", "PERSISTENT", "SHELL_PACKAGE", "UNTIL_REBOOT", "DeviceConfigStore", "Listener", "store_of"]

# Settings.Config.SYNC_DISABLED_MODE_* and the names the shell command prints for them.
NONE, PERSISTENT, UNTIL_REBOOT = 0, 1, 2
MODE_NAMES = {NONE: "none", PERSISTENT: "persistent", UNTIL_REBOOT: "until_reboot"}
SYNC_DISABLED_SETTING = "device_config_sync_disabled"  # Settings.Global.DEVICE_CONFIG_SYNC_DISABLED
SHELL_PACKAGE = "com.android.shell"  # what SettingsProvider records as the writer of a shell put
# RESET_MODE_* of android.provider.Settings, by the names DeviceConfigService parses.
RESET_MODES = {"untrusted_defaults": 2, "untrusted_clear": 3, "trusted_defaults": 4}

Listener = Callable[[dict[str, str | None]], None]


@dataclass(slots=True)
class _Flag:
    value: str | None
    default: str | None = None
    package: str = SHELL_PACKAGE


class DeviceConfigStore:
    def __init__(self, dev: AndroidDevice) -> None:
        self.dev = dev
        self._flags: dict[str, dict[str, _Flag]] = {}
        self._until_reboot = False
        self._listeners: dict[str, list[Listener]] = {}

    # -- reads ---------------------------------------------------------------------------------
    def get(self, namespace: str, key: str) -> str | None:
        flag = self._flags.get(namespace, {}).get(key)
        return None if flag is None else flag.value

    def properties(self, namespace: str) -> dict[str, str]:
        """``DeviceConfig.getProperties(namespace)``: every key of the namespace with a value."""
        return {k: f.value for k, f in self._flags.get(namespace, {}).items() if f.value is not None}

    def all_flags(self) -> dict[str, str | None]:
        """``namespace/key`` → value over every namespace (``CALL_METHOD_LIST_CONFIG``)."""
        return {f"{ns}/{k}": f.value for ns, flags in self._flags.items() for k, f in flags.items()}

    # -- writes --------------------------------------------------------------------------------
    def put(self, namespace: str, key: str, value: str, *, make_default: bool = False,
            package: str = SHELL_PACKAGE) -> None:
        """``DeviceConfig.setProperty``; ``make_default`` also makes the value the flag's default."""
        flags = self._flags.setdefault(namespace, {})
        old = flags.get(key)
        default = value if make_default else (old.default if old is not None else None)
        flags[key] = _Flag(value, default, package)
        if old is None or old.value != value:
            self._notify(namespace, {key: value})

    def delete(self, namespace: str, key: str) -> bool:
        """``CALL_METHOD_DELETE_CONFIG``: True when a row was deleted."""
        flags = self._flags.get(namespace, {})
        if key not in flags:
            return False
        del flags[key]
        self._notify(namespace, {key: None})
        return True

    def set_properties(self, namespace: str, values: dict[str, str]) -> bool:
        """The bulk write of a server sync (``DeviceConfig.setProperties``): refused while sync is disabled.

        Keys of the namespace missing from ``values`` are deleted, as ``setConfigSettingsLocked`` does."""
        if self.sync_disabled_mode() != NONE:
            return False
        flags = self._flags.setdefault(namespace, {})
        changed: dict[str, str | None] = {k: None for k in flags if k not in values}
        changed.update({k: v for k, v in values.items() if k not in flags or flags[k].value != v})
        for key in list(flags):
            if key not in values:
                del flags[key]
        for key, value in values.items():
            flags[key] = _Flag(value, flags[key].default if key in flags else None, "android")
        if changed:
            self._notify(namespace, changed)
        return True

    def reset(self, mode: int, namespace: str | None) -> None:
        """``resetSettingsLocked`` on the config table, for a debuggable build (a user build refuses first).

        Not verified against the source: every flag a shell put wrote counts as untrusted, a flag with a default
        goes back to it and one without is deleted, whatever the mode."""
        for ns in [namespace] if namespace is not None else list(self._flags):
            changed: dict[str, str | None] = {}
            flags = self._flags.get(ns, {})
            for key, flag in list(flags.items()):
                if mode != RESET_MODES["trusted_defaults"] and flag.package == "android":
                    continue
                if flag.default is None:
                    del flags[key]
                    changed[key] = None
                elif flag.value != flag.default:
                    flag.value = flag.default
                    changed[key] = flag.default
            if changed:
                self._notify(ns, changed)

    # -- the sync-disabled mode -------------------------------------------------------------------
    def sync_disabled_mode(self) -> int:
        if self._until_reboot:
            return UNTIL_REBOOT
        setting = self.dev.settings["global"].get(SYNC_DISABLED_SETTING)
        return NONE if setting is None or setting == "0" else PERSISTENT

    def set_sync_disabled_mode(self, mode: int) -> None:
        self._until_reboot = mode == UNTIL_REBOOT
        self.dev.settings["global"][SYNC_DISABLED_SETTING] = "1" if mode == PERSISTENT else "0"

    def boot(self) -> None:
        """A reboot keeps the flags and the persistent mode; ``until_reboot`` ends here."""
        self._until_reboot = False

    # -- listeners -------------------------------------------------------------------------------
    def on_change(self, namespace: str, listener: Listener) -> None:
        """``DeviceConfig.addOnPropertiesChangedListener``: called after each change with the changed keys."""
        self._listeners.setdefault(namespace, []).append(listener)

    def _notify(self, namespace: str, changed: dict[str, str | None]) -> None:
        for listener in list(self._listeners.get(namespace, [])):
            listener(dict(changed))


def store_of(dev: AndroidDevice) -> DeviceConfigStore | None:
    """The phone's flag store (held by its ``device_config`` service), or None on a phone built without it."""
    store = getattr(dev.services.get("device_config"), "store", None)
    return store if isinstance(store, DeviceConfigStore) else None
