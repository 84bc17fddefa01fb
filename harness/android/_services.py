"""Foreground services and notifications (android.md §5): what a developer reads on a real phone.

``dumpsys activity services <pkg>`` lists the app's service records; a foreground service carries
``isForeground=true foregroundId=<notification id> types=<FGS type bits> foregroundNoti=…``.
``dumpsys notification`` lists what is posted in the shade. Both are read-only.
"""

from __future__ import annotations

from harness.android._base import DriverBase
from harness.android.fgs_dump import (
    ForegroundService,
    PostedNotification,
    parse_foreground_services,
    parse_notification_list,
)

__all__ = ["ServiceVerbs"]


class ServiceVerbs(DriverBase):
    def foreground_services(self, package: str | None = None) -> list[ForegroundService]:
        """The app's services running in the foreground, with their type bits and notification."""
        pkg = self._pkg(package)
        out = self._check("foreground_services", f"dumpsys activity services {pkg}")
        # The argument is matched against component names: keep the package's own services only.
        return [svc for svc in parse_foreground_services(out) if svc.package == pkg]

    def foreground_service(self, type_name: str, package: str | None = None) -> ForegroundService | None:
        """The app's foreground service of one type (``location``, ``dataSync``, …), or None."""
        return next((svc for svc in self.foreground_services(package) if svc.has_type(type_name)), None)

    def notifications(self, package: str | None = None) -> list[PostedNotification]:
        """The app's notifications posted in the shade now (``dumpsys notification``)."""
        pkg = self._pkg(package)
        out = self._check("notifications", "dumpsys notification")
        return [n for n in parse_notification_list(out) if n.package == pkg]
