"""How DeviceIdleController.Constants reads its tunables, applied to DozeConstants.

Android 15 (API 35+), source: muhomorr/platform_frameworks_base-15 ``apex/jobscheduler/service/java/com/android/
server/DeviceIdleController.java`` @0898a28d5bbf, ``Constants``. Each value comes from a
``UserSettingDeviceConfigMediator.SettingsOverridesIndividualMediator``: a key in the global setting
``device_idle_constants`` (``k=v,k=v``, KeyValueListParser) wins, else the DeviceConfig flag of namespace
``device_idle``, else the default. A value that does not parse falls back to the default.

Two consequences scripts meet, both modelled here:

- ``onPropertiesChanged`` hands the mediator the callback's Properties, and DeviceConfig's callback carries only
  the keys that changed (``DeviceConfig.handleChange``, mainline ConfigInfrastructure module).
  ``updateConstantsLocked`` then recomputes every constant, so a flag put earlier falls back to its default when
  another key of the namespace changes: after
  ``put device_idle inactive_to 5000`` then ``put device_idle sensing_to 5000``, only ``sensing_to`` is live
  (``device_config get`` still prints both). A reboot reads the whole namespace (``Constants()`` calls
  ``DeviceConfig.getProperties(NAMESPACE_DEVICE_IDLE)``), and keys in ``device_idle_constants`` are read whole.
- Android 14 (API 34) is taken to read the flags as the 13-era ``Constants.onPropertiesChanged`` does: each
  changed key is set from its own value (puts accumulate) and ``device_idle_constants`` is not read. That is
  inferred from the 13 source and a user report that the setting does nothing on 14 (reference android.md §1.6);
  the 14 source was not read.
- Nothing is rescheduled when a constant changes: each is read when the state machine next uses it. The deep
  inactive timeout is even copied into ``mInactiveTimeout`` when the device last became active
  (``becomeActiveLocked``), so a new ``inactive_to`` takes effect only after the phone next leaves and re-enters
  ACTIVE (a screen-on, a plug-in) or reboots.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from harness.lab.android.os.devconfig.store import store_of
from harness.lab.android.os.power._shell import JavaException, parse_long
from harness.lab.android.os.power.constants import DozeConstants
from harness.lab.android.os.settings import SettingsService

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["NAMESPACE", "SETTING", "DozeConfig", "parse_key_value_list"]

NAMESPACE = "device_idle"  # DeviceConfig.NAMESPACE_DEVICE_IDLE
SETTING = "device_idle_constants"  # Settings.Global.DEVICE_IDLE_CONSTANTS
_JAVA_FLOAT = re.compile(r"\s*[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)\s*")


def parse_key_value_list(text: str | None) -> dict[str, str]:
    """``KeyValueListParser(',').setString``: one pair without ``=`` empties the whole map (and is logged)."""
    values: dict[str, str] = {}
    for pair in (text.split(",") if text else []):
        key, sep, value = pair.partition("=")
        if not sep:
            return {}
        values[key.strip()] = value.strip()
    return values


def _java_value(text: str, default: object) -> object:
    """``getLong``/``getFloat``/``getBoolean`` of Properties and KeyValueListParser: the default when unparsable."""
    if isinstance(default, bool):
        return text.lower() == "true"  # Boolean.parseBoolean
    if isinstance(default, int):
        try:
            return parse_long(text)
        except JavaException:
            return default
    if _JAVA_FLOAT.fullmatch(text) is None:
        return default
    return float(text.strip().rstrip("fFdD"))


class DozeConfig:
    """Keeps ``consts`` (the object DeviceIdleController and the allowlist read) in step with the flags."""

    def __init__(self, dev: AndroidDevice, consts: DozeConstants) -> None:
        self.dev = dev
        self.c = consts
        self._defaults = DozeConstants()
        self._props: dict[str, str | None] = {}
        self._settings: dict[str, str] = {}
        self._mediated = dev.sdk >= 35  # UserSettingDeviceConfigMediator: Android 15's Constants

    def attach(self) -> None:
        """Subscribe as ``Constants()`` does and load everything once; call :meth:`load` again at each boot."""
        store = store_of(self.dev)
        if store is not None:
            store.on_change(NAMESPACE, self.on_properties_changed)
        settings = self.dev.services.get("settings")
        if isinstance(settings, SettingsService):
            settings.on_change(self._on_setting)
        self.load()

    def load(self) -> None:
        """``Constants()``: the setting string and the whole namespace."""
        store = store_of(self.dev)
        self._settings = self._setting_now()
        self._props = dict(store.properties(NAMESPACE)) if store is not None else {}
        self._update()

    def on_properties_changed(self, changed: dict[str, str | None]) -> None:
        if self._mediated:
            self._props = dict(changed)  # the mediator keeps only this callback's keys
        else:
            self._props.update(changed)  # 13/14: each changed key on its own (a deleted one: its default)
        self._update()

    def _setting_now(self) -> dict[str, str]:
        return parse_key_value_list(self.dev.settings["global"].get(SETTING)) if self._mediated else {}

    def _on_setting(self, namespace: str, key: str, value: str | None) -> None:
        if namespace == "global" and key == SETTING and self._mediated:  # the ContentObserver's onChange
            self._settings = parse_key_value_list(value)
            self._update()

    def _update(self) -> None:
        """``updateConstantsLocked``."""
        for field in dataclasses.fields(DozeConstants):
            default = getattr(self._defaults, field.name)
            value = default
            prop = self._props.get(field.name)
            if prop is not None:
                value = _java_value(prop, default)
            if field.name in self._settings:
                value = _java_value(self._settings[field.name], value)
            setattr(self.c, field.name, value)
        self.c.light_idle_factor = max(1.0, self.c.light_idle_factor)
