"""The foreground-service and notification parsers, table-driven.

No device capture of ``dumpsys activity services`` / ``dumpsys notification`` exists in
shared/reference/captures: the texts below are laid out line for line as the AOSP sources print them
(ServiceRecord.dump and ActiveServices.ServiceDumper of the Android 14 tree; the Android 15 ColorOS and
later builds' variants of the foreground line; Notification.toString; NotificationRecord.toString),
with values of the kind real dumps carry.
"""

from __future__ import annotations

import pytest

from harness.android.fgs_dump import (
    FLAG_FOREGROUND_SERVICE,
    NotificationInfo,
    parse_foreground_services,
    parse_notification,
    parse_notification_list,
)

PKG = "com.example.courier"


def noti(channel: str, flags: str, tail: str = "vis=PRIVATE", head: str = "shortcut=null") -> str:
    """``Notification.toString()`` (Android 10+; ``head="pri=0"`` for Android 8's form)."""
    return (f"Notification(channel={channel} {head} contentView=null vibrate=null sound=null defaults=0x0 "
            f"flags={flags} {tail})")


NOTI = noti("@courier/app:courier-location", "0x62", "color=0x00000000 category=service vis=PRIVATE")

# Android 14 (AOSP ServiceRecord.dump): the location FGS expo-location starts, then a plain started service.
ANDROID_14 = f"""ACTIVITY MANAGER SERVICES (dumpsys activity services)
  User 0 active services:
  * ServiceRecord{{9b5d6f1 u0 {PKG}/expo.modules.location.services.LocationTaskService}}
    intent={{cmp={PKG}/expo.modules.location.services.LocationTaskService (has extras)}}
    packageName={PKG}
    processName={PKG}
    baseDir=/data/app/~~Qx3b2kLx0fA==/{PKG}-7hV2qD9mPZ0==/base.apk
    dataDir=/data/user/0/{PKG}
    app=ProcessRecord{{4c1e2a8 12873:{PKG}/u0a243}}
    mAllowWhileInUsePermissionInFgsReason=PROC_STATE_TOP
    allowUiJobScheduling=false
    recentCallingPackage={PKG}
    recentCallingUid=10243
    allowStartForeground=PROC_STATE_TOP
    startForegroundCount=1
    infoAllowStartForeground=null
    isForeground=true foregroundId=481756 types=00000008 foregroundNoti={NOTI}
    createTime=-4m12s80ms startingBgTimeout=--
    lastActivity=-4m12s80ms restartTime=-4m12s80ms createdFromFg=true
    startRequested=true delayedStop=false stopIfKilled=false callStart=true lastStartId=1
 startCommandResult=3
    Bindings:
    * IntentBindRecord{{3b8c0d7 CREATE}}:
      intent={{cmp={PKG}/expo.modules.location.services.LocationTaskService (has extras)}}

  * ServiceRecord{{c3f5bd7 u0 {PKG}/.UploadService}}
    intent={{cmp={PKG}/.UploadService}}
    packageName={PKG}
    processName={PKG}
    app=ProcessRecord{{4c1e2a8 12873:{PKG}/u0a243}}
    createTime=-10s2ms startingBgTimeout=--
    lastActivity=-10s2ms restartTime=-10s2ms createdFromFg=false
"""

# Android 15 builds: ColorOS prints the type bits with 0x; a later build adds fgsHasTimeLimitedType; a
# dataSync|location service (0x9) of another app matched by the component filter.
TRACK = noti("track", "0x6a", "color=0xff2196f3 vis=PUBLIC")
ANDROID_15 = f"""ACTIVITY MANAGER SERVICES (dumpsys activity services)
  User 0 active services:
  * ServiceRecord{{1e2d3c4 u0 {PKG}/expo.modules.location.services.LocationTaskService}}
    packageName={PKG}
    app=ProcessRecord{{77aa001 20411:{PKG}/u0a311}}
    isForeground=true foregroundId=481756 types=0x00000008 foregroundNoti={NOTI}

  * ServiceRecord{{5f6e7d8 u0 {PKG}.tracker/.TrackService}}
    packageName={PKG}.tracker
    app=ProcessRecord{{88bb002 20500:{PKG}.tracker/u0a312}}
    isForeground=true foregroundId=7 types=00000009 fgsHasTimeLimitedType=true foregroundNoti={TRACK}
"""

# A service that left the foreground but kept its id (stopForeground(STOP_FOREGROUND_DETACH)), and one
# killed with its process (no app=): Android 8's Notification.toString has pri= where 10+ has shortcut=.
LEFT_FOREGROUND = f"""ACTIVITY MANAGER SERVICES (dumpsys activity services)
  User 0 active services:
  * ServiceRecord{{aa11bb2 u0 {PKG}/.Old}}
    app=ProcessRecord{{4c1e2a8 12873:{PKG}/u0a243}}
    isForeground=false foregroundId=12 types=00000001 foregroundNoti={noti("sync", "0x42", head="pri=0")}

  * ServiceRecord{{cc33dd4 u10 {PKG}/.Legacy}}
    isForeground=true foregroundId=3 foregroundNoti={noti("null", "0x62", head="pri=0")}
"""

NOTHING = "ACTIVITY MANAGER SERVICES (dumpsys activity services)\n  (nothing)\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ANDROID_14, [(f"{PKG}/expo.modules.location.services.LocationTaskService", PKG, 0, 12873, 481756, 0x8,
                       ("location",), NotificationInfo("@courier/app:courier-location", 0x62, "service"), 3)]),
        (ANDROID_15, [(f"{PKG}/expo.modules.location.services.LocationTaskService", PKG, 0, 20411, 481756, 0x8,
                       ("location",), NotificationInfo("@courier/app:courier-location", 0x62, "service"), 3),
                      (f"{PKG}.tracker/.TrackService", f"{PKG}.tracker", 0, 20500, 7, 0x9, ("dataSync", "location"),
                       NotificationInfo("track", 0x6a, None), 8)]),
        (LEFT_FOREGROUND, [(f"{PKG}/.Legacy", PKG, 10, None, 3, 0, (), NotificationInfo(None, 0x62, None), 7)]),
        (NOTHING, []),
        ("", []),
    ],
    ids=["android-14", "android-15-variants", "left-foreground-and-legacy", "nothing", "empty"],
)
def test_foreground_services(text: str, expected: list[tuple[object, ...]]) -> None:
    got = [(s.component, s.package, s.user, s.pid, s.foreground_id, s.types, s.type_names, s.notification, s.line)
           for s in parse_foreground_services(text)]
    assert got == expected


def test_a_location_service_is_found_by_type_name() -> None:
    (svc,) = parse_foreground_services(ANDROID_14)
    assert svc.has_type("location") and not svc.has_type("dataSync")
    assert svc.notification is not None and svc.notification.foreground_service


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (NOTI, NotificationInfo("@courier/app:courier-location", 0x62, "service")),
        ("Notification(channel=miscellaneous shortcut=null contentView=null vibrate=default sound=default tick "
         "defaults=0x3 flags=0x10 color=0x00000000 actions=2 vis=PRIVATE)", NotificationInfo("miscellaneous", 0x10)),
        ("Notification(channel=with space shortcut=null contentView=null vibrate=null sound=null defaults=0x0 "
         "flags=0x40 color=0x00000000 category=transport vis=PUBLIC publicVersion=Notification(channel=x "
         "shortcut=null contentView=null vibrate=null sound=null defaults=0x0 flags=0x0 color=0x00000000 "
         "vis=PUBLIC))", NotificationInfo("with space", 0x40, "transport")),
        ("null", None),
    ],
    ids=["expo-location", "no-category", "channel-with-space-and-public-version", "null"],
)
def test_notification_to_string(text: str, expected: NotificationInfo | None) -> None:
    assert parse_notification(text) == expected


def record(pkg: str, user: int, nid: int, tag: str, importance: int, uid: int, notification: str) -> str:
    """``NotificationRecord.toString()``, as the first line of each entry."""
    key = f"{user}|{pkg}|{nid}|{tag}|{uid}"
    return (f"    NotificationRecord(0x0b8a2a4c: pkg={pkg} user=UserHandle{{{user}}} id={nid} tag={tag} "
            f"importance={importance} key={key}: {notification})\n")


NOTIFICATION_DUMP = (
    "Current Notification Manager state:\n  Notification List:\n"
    + record(PKG, 0, 481756, "null", 2, 10243, NOTI)
    + f"      uid=10243 userId=0\n      opPkg={PKG}\n      flags=0x62\n      pri=0\n"
    f"      key=0|{PKG}|481756|null|10243\n"
    + record("com.android.systemui", -1, 2147483647, "ranker_group", 2, 10147,
             noti("ALR", "0x300", "color=0x00000000 groupKey=ranker_group vis=PRIVATE"))
    + "      uid=10147 userId=-1\n"
    + record(PKG, 0, 17, "order:42", 3, 10243, noti("orders", "0x10", "color=0x00000000 vis=PRIVATE"))
    + "\n  Snoozed notifications:\n"
    + record(PKG, 0, 99, "null", 3, 10243, noti("orders", "0x0", "color=0x00000000 vis=PRIVATE"))
)


def test_notification_list_keeps_posted_records_only() -> None:
    got = [(n.package, n.user, n.notification_id, n.tag, n.importance, n.key, n.foreground_service)
           for n in parse_notification_list(NOTIFICATION_DUMP)]
    assert got == [
        (PKG, 0, 481756, None, 2, f"0|{PKG}|481756|null|10243", True),
        ("com.android.systemui", -1, 2147483647, "ranker_group", 2,
         "-1|com.android.systemui|2147483647|ranker_group|10147", False),
        (PKG, 0, 17, "order:42", 3, f"0|{PKG}|17|order:42|10243", False),
    ]
    assert parse_notification_list(NOTIFICATION_DUMP)[0].notification == NotificationInfo(
        "@courier/app:courier-location", FLAG_FOREGROUND_SERVICE | 0x22, "service")
    assert parse_notification_list("Current Notification Manager state:\n  Notification List:\n") == ()
