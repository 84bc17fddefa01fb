"""OEM policy profiles: what a skin adds on top of AOSP to stop background work.

Chosen by ``dev.ident.profile`` (devices.toml ``oem`` or ``oem_profile``): ``google`` (stock only),
``xiaomi`` (MIUI/HyperOS recents clean-up and screen-off clean-up), ``oppo`` (ColorOS hans freezer and
athena killer), ``samsung`` (Sleeping apps, MARs, FreecessController), ``huawei`` (PowerGenie's screen-off
clean-up). Initial settings come from the device's devices.toml ``settings`` table; every switch is a
``settings put`` key (docs/oem-profiles.md). Randomness (kill delays) comes from ``dev.rng``, seeded by devices.toml.

Public API: ``profile_of(dev)`` (the installed ``OemProfile``), ``connect_parts(dev)`` (re-subscribe
to parts installed later, e.g. ``dev.power``). Recents swipes go through
``harness.lab.android.os.activity.clear_recents(dev, package)``, which asks the profile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.os.activity import manager
from harness.lab.android.os.oem._base import OemProfile, apply_initial_settings
from harness.lab.android.os.oem._huawei import HuaweiProfile
from harness.lab.android.os.oem._oppo import OppoProfile
from harness.lab.android.os.oem._samsung import SamsungProfile
from harness.lab.android.os.oem._xiaomi import XiaomiProfile

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["PROFILES", "HuaweiProfile", "OemProfile", "OppoProfile", "SamsungProfile", "XiaomiProfile", "connect_parts",
           "install", "profile_of"]

PROFILES: dict[str, type[OemProfile]] = {
    "google": OemProfile, "xiaomi": XiaomiProfile, "oppo": OppoProfile, "samsung": SamsungProfile,
    "huawei": HuaweiProfile,
}


def install(dev: AndroidDevice) -> None:
    apply_initial_settings(dev)
    if getattr(dev, "activity", None) is None:
        return
    PROFILES.get(dev.ident.profile, OemProfile)(dev).install()


def profile_of(dev: AndroidDevice) -> OemProfile:
    policy = manager(dev).policy
    if not isinstance(policy, OemProfile):
        raise KeyError(f"{dev.name}: no OEM profile installed")
    return policy


def connect_parts(dev: AndroidDevice) -> None:
    profile_of(dev).connect_parts()
