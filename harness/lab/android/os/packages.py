"""Installed packages: names, app ids, code paths, launcher activities, debuggable flags, the permissions
each requests in its manifest."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["OEM_PACKAGES", "Package", "PackageManager"]

FIRST_APP_ID = 10_000


@dataclass(slots=True)
class Package:
    name: str
    app_id: int
    version_code: int = 1
    version_name: str = "1.0"
    system: bool = False
    debuggable: bool = False
    launcher_activity: str | None = None  # ".MainActivity" style, relative to the package
    path: str = ""
    receives_boot_completed: bool = False
    stopped: bool = False  # the "stopped state" a force-stop leaves until the next explicit launch
    meta: dict[str, str] = field(default_factory=dict)
    requested: frozenset[str] = frozenset()  # <uses-permission> names of its merged manifest

    @property
    def uid(self) -> int:
        return self.app_id  # user 0


_COMMON = (
    ("android", 1000), ("com.android.systemui", 10_120), ("com.android.settings", 1000),
    ("com.android.phone", 1001), ("com.android.shell", 2000), ("com.android.providers.settings", 1000),
    ("com.android.vending", 10_130), ("com.google.android.gms", 10_140), ("com.android.chrome", 10_150),
)
OEM_PACKAGES: dict[str, tuple[tuple[str, int], ...]] = {
    "google": (("com.google.android.apps.nexuslauncher", 10_160),),
    "xiaomi": (("com.miui.home", 10_160), ("com.miui.powerkeeper", 1000), ("com.miui.securitycenter", 1000),
               ("com.miui.daemon", 1000)),
    "oppo": (("com.android.launcher", 10_160), ("com.oplus.athena", 1000), ("com.coloros.safecenter", 1000),
             ("com.oplus.battery", 1000)),
    "samsung": (("com.sec.android.app.launcher", 10_160), ("com.samsung.android.lool", 1000),
                ("com.samsung.android.sm.devicesecurity", 10_170), ("com.samsung.android.app.smartcapture", 10_171)),
}


def _code_path(name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return f"/data/app/~~{digest[:22]}==/{name}-{digest[22:44]}==/base.apk"


class PackageManager:
    def __init__(self, oem: str) -> None:
        self._packages: dict[str, Package] = {}
        # Uninstalled with ``-k`` (DELETE_KEEP_DATA) or, for a system app, for user 0 only: the package setting
        # stays (``pm list packages -u`` lists it; a reinstall gets its app id back), the package does not.
        self._kept: dict[str, Package] = {}
        self._on_added: list[Callable[[Package], None]] = []
        self._next_app_id = 10_200
        for name, app_id in _COMMON + OEM_PACKAGES.get(oem, ()):
            path = f"/system/priv-app/{name.rsplit('.', 1)[-1]}/{name.rsplit('.', 1)[-1]}.apk"
            self._packages[name] = Package(name, app_id, system=True, path=path)

    def install(self, name: str, **kwargs: object) -> Package:
        """A new package gets the next app id, one whose setting was kept (``-k``) its old one back."""
        kept = self._kept.pop(name, None)
        if kept is not None:
            pkg = Package(name, kept.app_id, path=_code_path(name), **kwargs)  # type: ignore[arg-type]
        else:
            pkg = Package(name, self._next_app_id, path=_code_path(name), **kwargs)  # type: ignore[arg-type]
            self._next_app_id += 1
        self._packages[name] = pkg
        for listener in list(self._on_added):
            listener(pkg)
        return pkg

    def on_added(self, listener: Callable[[Package], None]) -> None:
        """``listener(pkg)`` after each install of a package the phone did not have (not after an update)."""
        self._on_added.append(listener)

    def uninstall(self, name: str, *, keep_setting: bool) -> Package | None:
        """Take ``name`` off the phone; with ``keep_setting`` its setting (app id) stays for a reinstall."""
        pkg = self._packages.pop(name, None)
        if pkg is not None and keep_setting:
            self._kept[name] = pkg
        return pkg

    def restore(self, name: str) -> Package | None:
        """``pm install-existing``: a kept package (a system app uninstalled for user 0) comes back as it was."""
        pkg = self._kept.pop(name, None)
        if pkg is not None:
            self._packages[name] = pkg
        return pkg

    def kept(self) -> list[Package]:
        return sorted(self._kept.values(), key=lambda p: p.name)

    def get(self, name: str) -> Package | None:
        return self._packages.get(name)

    def all(self) -> list[Package]:
        return sorted(self._packages.values(), key=lambda p: p.name)

    def by_uid(self, uid: int) -> list[Package]:
        return [p for p in self._packages.values() if p.uid == uid]
