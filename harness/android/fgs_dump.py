"""Foreground services and their notifications, parsed from ``dumpsys activity services <pkg>`` and
``dumpsys notification``. Pure: text in, frozen dataclasses out.

Formats (android.md §5; AOSP sources read through the code index, no device capture of these dumps):

- ``ActiveServices.ServiceDumper``: ``ACTIVITY MANAGER SERVICES (dumpsys activity services)``, then
  ``  User 0 active services:`` and one ``  * ServiceRecord{<hash> u0 <component>}`` per service with
  its ``ServiceRecord.dump`` below it (``  (nothing)`` when none matches). The argument after
  ``services`` is matched against component names, so other packages' services can appear.
- ``ServiceRecord.dump`` prints, only for a service that is (or was) in the foreground,
  ``isForeground=true foregroundId=<id> types=<%08X> foregroundNoti=<Notification.toString()>``.
  Android 14's AOSP tree prints the types bare (``types=00000008``); an Android 15 ColorOS build prints
  ``types=0x00000008``, and a later build adds `` fgsHasTimeLimitedType=<bool>`` before
  ``foregroundNoti``: all three are read. ``isForeground=false`` with a non-zero id is a service that
  left the foreground (``stopForeground``) and is not returned.
- ``Notification.toString()``: ``Notification(channel=<id> shortcut=<id> contentView=… vibrate=…
  sound=… defaults=0x0 flags=0x62 color=0x00000000 category=service vis=PRIVATE)`` (Android 8's
  form has `` pri=<n>`` where 10+ has `` shortcut=``).
- ``dumpsys notification``: under ``  Notification List:`` each posted notification starts with
  ``NotificationRecord.toString()``: ``NotificationRecord(0x%08x: pkg=%s user=%s id=%d tag=%s
  importance=%d key=%s: %s)``, the user as ``UserHandle{0}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.logs.dumpsys import fgs_type_names, parse_activity_services

__all__ = [
    "FLAG_FOREGROUND_SERVICE",
    "ForegroundService",
    "NotificationInfo",
    "PostedNotification",
    "parse_foreground_services",
    "parse_notification",
    "parse_notification_list",
]

FLAG_FOREGROUND_SERVICE = 0x40  # Notification.FLAG_FOREGROUND_SERVICE


@dataclass(frozen=True, slots=True)
class NotificationInfo:
    """What ``Notification.toString()`` tells: the channel, the flags and the category."""

    channel: str | None
    flags: int = 0
    category: str | None = None

    @property
    def foreground_service(self) -> bool:
        return bool(self.flags & FLAG_FOREGROUND_SERVICE)


@dataclass(frozen=True, slots=True)
class ForegroundService:
    """One service in the foreground: the record ``dumpsys activity services`` prints."""

    component: str  # com.pkg/.Svc, or com.pkg/other.pkg.Svc
    package: str
    user: int | None
    pid: int | None  # the hosting process (app=ProcessRecord{…}), None while not running
    foreground_id: int  # the id of its notification
    types: int  # ServiceInfo.FOREGROUND_SERVICE_TYPE_* bits
    notification: NotificationInfo | None  # foregroundNoti
    line: int = 0  # 1-based line of the ``* ServiceRecord{…}`` header

    @property
    def type_names(self) -> tuple[str, ...]:
        return fgs_type_names(self.types)

    def has_type(self, name: str) -> bool:
        return name in self.type_names


@dataclass(frozen=True, slots=True)
class PostedNotification:
    """One entry of ``dumpsys notification``'s Notification List."""

    package: str
    user: int | None
    notification_id: int
    tag: str | None
    importance: int
    key: str
    notification: NotificationInfo | None

    @property
    def foreground_service(self) -> bool:
        return self.notification is not None and self.notification.foreground_service


_NOTIFICATION = re.compile(r"Notification\(channel=(?P<channel>.*?) (?:shortcut|pri)=")
_FLAGS = re.compile(r" flags=(?:0x)?(?P<flags>[0-9a-fA-F]+)\b")
_CATEGORY = re.compile(r" category=(?P<category>\S+)")
_FG_LINE = re.compile(r"\bisForeground=true foregroundId=-?\d+ .*?foregroundNoti=(?P<noti>.*)$")
_RECORD = re.compile(
    r"^\s*NotificationRecord\(0x[0-9a-fA-F]+: pkg=(?P<pkg>\S+) user=(?:UserHandle\{(?P<user>-?\d+)\}|\S+) "
    r"id=(?P<id>-?\d+) tag=(?P<tag>.*?) importance=(?P<importance>-?\d+) key=(?P<key>\S+): (?P<noti>.*)\)$")
_SECTION = re.compile(r"^  \S.*:\s*$")


def parse_notification(text: str) -> NotificationInfo | None:
    """``Notification.toString()`` anywhere in ``text``; None if there is none (``foregroundNoti=null``)."""
    found = _NOTIFICATION.search(text)
    if found is None:
        return None
    rest = text[found.end():]
    flags = _FLAGS.search(rest)
    category = _CATEGORY.search(rest)
    return NotificationInfo(
        channel=None if found.group("channel") == "null" else found.group("channel"),
        flags=int(flags.group("flags"), 16) if flags else 0,
        category=category.group("category").rstrip(")") if category else None)


def parse_foreground_services(text: str) -> tuple[ForegroundService, ...]:
    """The services of ``dumpsys activity services`` that are in the foreground, in dump order."""
    lines = text.splitlines()
    records = parse_activity_services(text)
    found: list[ForegroundService] = []
    for index, rec in enumerate(records):
        if not rec.is_foreground:
            continue
        end = records[index + 1].line - 1 if index + 1 < len(records) else len(lines)
        notification = None
        for line in lines[rec.line:end]:
            if (m := _FG_LINE.search(line)) is not None:
                notification = parse_notification(m.group("noti"))
                break
        found.append(ForegroundService(rec.component, rec.package, rec.user, rec.pid, rec.foreground_id or 0,
                                       rec.types, notification, rec.line))
    return tuple(found)


def parse_notification_list(text: str) -> tuple[PostedNotification, ...]:
    """The posted notifications of ``dumpsys notification`` (its ``Notification List:`` section)."""
    posted: list[PostedNotification] = []
    in_list = False
    for line in text.splitlines():
        if _SECTION.match(line):
            in_list = line.strip() == "Notification List:"
            continue
        if not in_list or (m := _RECORD.match(line)) is None:
            continue
        tag = m.group("tag")
        posted.append(PostedNotification(
            package=m.group("pkg"), user=int(m.group("user")) if m.group("user") is not None else None,
            notification_id=int(m.group("id")), tag=None if tag == "null" else tag,
            importance=int(m.group("importance")), key=m.group("key"),
            notification=parse_notification(m.group("noti"))))
    return tuple(posted)
