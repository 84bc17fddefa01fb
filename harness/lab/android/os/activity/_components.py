"""Broadcast receivers, foreground services and their notifications.

Broadcast rules: the system adds FLAG_EXCLUDE_STOPPED_PACKAGES to every broadcast, so an app in
the stopped state receives nothing unless the intent carries FLAG_INCLUDE_STOPPED_PACKAGES (Android
3.1 behaviour, still in force). BOOT_COMPLETED goes to apps that hold RECEIVE_BOOT_COMPLETED and are
not stopped. The FGS start event's fields follow EventLogTags 30100 (user, component,
allowWhileInUse, startReasonCode, targetSdk, callerTargetSdk, notificationWasDeferred,
notificationShown, durationMs, startForegroundCount, stopReason, fgsType).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.lab.android.os.activity._intent import FLAG_INCLUDE_STOPPED_PACKAGES, Intent, short_class
from harness.lab.android.os.activity._records import NotificationRecord, ServiceRecord

if TYPE_CHECKING:
    from harness.lab.android.os.activity._manager import ActivityManager

__all__ = ["BOOT_COMPLETED", "Receiver", "deliver_boot", "register_receiver", "send_broadcast",
           "start_foreground_service", "stop_service"]

BOOT_COMPLETED = "android.intent.action.BOOT_COMPLETED"


@dataclass(frozen=True)
class Receiver:
    action: str
    component: str  # fully qualified receiver class
    handler: Callable[[Intent], None]
    exported: bool = True


def register_receiver(am: ActivityManager, package: str, action: str, component: str,
                      handler: Callable[[Intent], None], *, exported: bool = True) -> None:
    """A manifest receiver of ``package`` (it starts the process when a matching broadcast arrives)."""
    am.receivers.setdefault(package, []).append(Receiver(action, component, handler, exported))


def send_broadcast(am: ActivityManager, intent: Intent, *, from_shell: bool = True) -> int:
    """Deliver ``intent`` to matching manifest receivers; returns how many got it."""
    delivered = 0
    for package, receivers in list(am.receivers.items()):
        target = intent.target_package
        if target is not None and target != package:
            continue
        pkg = am.dev.packages.get(package)
        if pkg is None or (pkg.stopped and not intent.flags & FLAG_INCLUDE_STOPPED_PACKAGES):
            continue
        for receiver in receivers:
            if receiver.action != intent.action or (from_shell and not receiver.exported):
                continue
            if intent.component is not None and intent.component[1] != receiver.component:
                continue
            _deliver(am, package, receiver, intent)
            delivered += 1
    return delivered


def _deliver(am: ActivityManager, package: str, receiver: Receiver, intent: Intent) -> None:
    am.ensure_process(package, "broadcast", f"{package}/{receiver.component}")
    am.post(package, lambda: receiver.handler(intent))


def deliver_boot(am: ActivityManager) -> None:
    """``BOOT_COMPLETED`` to every app that asked for it and is not in the stopped state."""
    for pkg in am.dev.packages.all():
        if pkg.receives_boot_completed and not pkg.stopped and pkg.name in am.receivers:
            send_broadcast(am, Intent(action=BOOT_COMPLETED, package=pkg.name), from_shell=False)


def start_foreground_service(am: ActivityManager, package: str, cls: str, notif_id: int, types: int,
                             channel: str) -> ServiceRecord:
    """``startForegroundService`` + ``startForeground(id, notification, types)`` from the app's process."""
    rec = am.apps[package]
    now = am.dev.clock.now()
    for old in [s for s in rec.services if s.cls == cls]:
        stop_service(am, package, old.cls)
    notif = NotificationRecord(package, rec.uid, notif_id, channel, am.ids.getrandbits(31), now)
    svc = ServiceRecord(package, cls, am.ids.getrandbits(28), now, notif_id, types, notif)
    rec.services.append(svc)
    am.notifications.append(notif)
    am.dev.event("am_foreground_service_start", 0, f"{package}/{short_class(package, cls)}", 1, "PROC_STATE_TOP",
                 am.dev.sdk, am.dev.sdk, 0, 1, 0, 1, "", types)
    am.refresh()
    return svc


def stop_service(am: ActivityManager, package: str, cls: str) -> bool:
    rec = am.apps.get(package)
    if rec is None:
        return False
    svc = next((s for s in rec.services if s.cls == cls), None)
    if svc is None:
        return False
    rec.services.remove(svc)
    if svc.notification is not None:
        am.notifications = [n for n in am.notifications if n is not svc.notification]
    am.dev.event("am_foreground_service_stop", 0, svc.short_component, 1, "PROC_STATE_TOP", am.dev.sdk,
                 am.dev.sdk, 0, 1, round((am.dev.clock.now() - svc.created) * 1000), 1, "STOP_FOREGROUND",
                 svc.foreground_types)
    am.refresh()
    return True
