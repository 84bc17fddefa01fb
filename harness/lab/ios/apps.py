"""Installed apps and ``com.apple.mobile.installation_proxy``'s Browse/Lookup, as pure functions.

Wire shapes, checked against both clients:

- ``Lookup`` → one reply ``{"LookupResult": {bundle_id: attrs}, "Status": "Complete"}``.
  pymobiledevice3 reads ``LookupResult`` only (``pmd3:services/installation_proxy.py:lookup``;
  ``apps list`` = ``get_apps`` = Lookup with ``ApplicationType``). libimobiledevice keeps reading replies
  until ``Status == "Complete"`` and treats a reply without ``Status`` as the end
  (``limd:src/installation_proxy.c:instproxy_receive_status_loop``), so Status must be there.
- ``Browse`` → pages ``{"Status": "BrowsingApplications", "Total", "CurrentIndex", "CurrentAmount",
  "CurrentList"}`` then ``{"Status": "Complete"}``. pymobiledevice3 accumulates ``CurrentList`` until
  ``Status == "Complete"`` (``browse``); libimobiledevice reads ``CurrentAmount``/``CurrentList``
  (``instproxy_status_get_current_list``).
- Errors are ``{"Error": name, "ErrorDescription": text}``; names from ``instproxy_strtoerr``
  (``UnknownCommand``, ``MissingCommand``).

``ClientOptions`` honoured: ``ApplicationType`` (Any/User/System/Hidden), ``BundleIDs`` and
``ReturnAttributes``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["InstallationProxy", "InstalledApp", "system_apps", "user_app"]

BROWSE_PAGE = 20  # apps per Browse page


@dataclass(frozen=True, slots=True)
class InstalledApp:
    bundle_id: str
    name: str
    executable: str
    short_version: str = "1.0"
    version: str = "1"
    app_type: str = "User"  # User | System | Hidden
    extra: dict[str, Any] = field(default_factory=dict)
    static_size: int = 48_000_000  # bytes of the bundle (StaticDiskUsage)
    dynamic_size: int = 6_000_000  # bytes of the data container (DynamicDiskUsage)

    def attributes(self) -> dict[str, Any]:
        """The attribute dict a real device returns for this app (a representative subset)."""
        container_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"container.{self.bundle_id}")).upper()
        bundle_dir = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"bundle.{self.bundle_id}")).upper()
        if self.app_type == "User":
            path = f"/private/var/containers/Bundle/Application/{bundle_dir}/{self.executable}.app"
        else:
            path = f"/Applications/{self.executable}.app"
        attrs: dict[str, Any] = {
            "ApplicationType": self.app_type,
            "CFBundleDisplayName": self.name,
            "CFBundleExecutable": self.executable,
            "CFBundleIdentifier": self.bundle_id,
            "CFBundleName": self.name,
            "CFBundlePackageType": "APPL",
            "CFBundleShortVersionString": self.short_version,
            "CFBundleVersion": self.version,
            "DTPlatformName": "iphoneos",
            "MinimumOSVersion": "15.1",
            "Path": path,
            "UIDeviceFamily": [1, 2],
        }
        if self.app_type == "User":
            attrs["Container"] = f"/private/var/mobile/Containers/Data/Application/{container_id}"
            attrs["SignerIdentity"] = "Apple Development: Lab Signer (LAB0000000)"
        attrs.update(self.extra)
        return attrs


def user_app(bundle_id: str, name: str, *, short_version: str = "1.0.0", version: str = "1",
             background_modes: Iterable[str] = ("fetch", "processing", "location", "remote-notification"),
             task_identifiers: Iterable[str] = ("com.expo.modules.backgroundtask.processing",)) -> InstalledApp:
    """The app under test as an Expo build ships it: UIBackgroundModes from its config plugins and the
    BGTask identifier expo-background-task registers (``BackgroundTaskConstants.swift``)."""
    executable = "".join(ch for ch in name if ch.isalnum()) or "App"
    extra: dict[str, Any] = {"UIBackgroundModes": list(background_modes)}
    identifiers = list(task_identifiers)
    if identifiers:
        extra["BGTaskSchedulerPermittedIdentifiers"] = identifiers
    return InstalledApp(bundle_id, name, executable, short_version, version, "User", extra)


def system_apps() -> list[InstalledApp]:
    """A few of the apps every iPhone has, enough for listings that are not just the app under test."""
    return [
        InstalledApp("com.apple.mobilesafari", "Safari", "MobileSafari", "18.1", "8620.1.16.10.9", "System"),
        InstalledApp("com.apple.Preferences", "Settings", "Preferences", "1.0", "1", "System"),
        InstalledApp("com.apple.mobileslideshow", "Photos", "MobileSlideShow", "1.0", "830.0.110", "System"),
        InstalledApp("com.apple.MobileSMS", "Messages", "MobileSMS", "18.1", "1406.200.51.2.1", "System"),
        InstalledApp("com.apple.mobiletimer", "Clock", "MobileTimer", "1.0", "1", "System"),
    ]


class InstallationProxy:
    """Answers installation_proxy commands from the device's app table. One instance per connection."""

    def __init__(self, apps: dict[str, InstalledApp], page_size: int = BROWSE_PAGE) -> None:
        self.apps = apps
        self.page_size = max(1, page_size)

    def handle(self, command: Any) -> list[dict[str, Any]]:
        """All replies to one command, in order."""
        if not isinstance(command, dict) or not isinstance(command.get("Command"), str):
            return [_error("MissingCommand", "The request is missing the Command key")]
        options = command.get("ClientOptions") or {}
        if not isinstance(options, dict):
            options = {}
        name = command["Command"]
        if name == "Browse":
            return self._browse(options)
        if name == "Lookup":
            return [{"LookupResult": dict(self._select(options)), "Status": "Complete"}]
        return [_error("UnknownCommand", f"Unknown command: {name}")]

    def _select(self, options: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """(bundle id, attributes) of the apps the options select, attributes cut to ReturnAttributes."""
        wanted_type = options.get("ApplicationType", "Any")
        bundle_ids = options.get("BundleIDs")
        attrs = options.get("ReturnAttributes")
        out: list[tuple[str, dict[str, Any]]] = []
        for app in self.apps.values():
            if wanted_type not in ("Any", app.app_type):
                continue
            if isinstance(bundle_ids, list) and app.bundle_id not in bundle_ids:
                continue
            full = app.attributes()
            if isinstance(attrs, list) and attrs:
                # Sizes cost a real device a disk walk, so it reports them only when asked
                # (pmd3 ``apps list --calculate-sizes``: GET_APPS_ADDITIONAL_INFO).
                full.update(StaticDiskUsage=app.static_size, DynamicDiskUsage=app.dynamic_size)
                full = {key: value for key, value in full.items() if key in attrs}
            out.append((app.bundle_id, full))
        return out

    def _browse(self, options: dict[str, Any]) -> list[dict[str, Any]]:
        selected = [attrs for _bundle_id, attrs in self._select(options)]
        replies: list[dict[str, Any]] = []
        for start in range(0, len(selected), self.page_size):
            chunk = selected[start : start + self.page_size]
            replies.append({"CurrentAmount": len(chunk), "CurrentIndex": start, "CurrentList": chunk,
                            "Status": "BrowsingApplications", "Total": len(selected)})
        replies.append({"Status": "Complete"})
        return replies


def _error(name: str, description: str) -> dict[str, Any]:
    return {"Error": name, "ErrorDescription": description, "Status": "Complete"}
