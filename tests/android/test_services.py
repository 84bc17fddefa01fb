"""``foreground_services`` / ``notifications`` against the lab's four phones, through the real adb server."""

from __future__ import annotations

import pytest

from harness.android import AndroidDriver
from tests.labkit import RunningLab

ANDROID = ("pixel-8", "xiaomi-13", "oppo-find-x6", "samsung-s23")
PKG = "com.example.courier"
GRANTS = (f"pm grant {PKG} android.permission.ACCESS_FINE_LOCATION; "
          f"pm grant {PKG} android.permission.ACCESS_BACKGROUND_LOCATION")
REVOKES = GRANTS.replace("pm grant", "pm revoke")
LOCATION_SERVICE = f"{PKG}/expo.modules.location.services.LocationTaskService"


def driver(lab: RunningLab, name: str) -> AndroidDriver:
    return AndroidDriver.for_device(lab.cfg, lab.cfg.device(name), timeout_s=20)


@pytest.mark.parametrize("name", ANDROID)
def test_location_service_and_its_notification_until_force_stop(lab: RunningLab, name: str) -> None:
    drv = driver(lab, name)
    drv.force_stop()
    assert lab.shell(name, GRANTS).code == 0
    try:
        drv.launch()  # expo-location starts its service from the resumed activity
        drv.home()
        svc = drv.foreground_service("location")
        assert svc is not None, lab.shell(name, f"dumpsys activity services {PKG}").stdout
        assert (svc.component, svc.foreground_id, svc.types, svc.type_names) == (
            LOCATION_SERVICE, 481756, 0x08, ("location",))
        assert svc.pid is not None and svc.pid == drv.process().pid
        assert svc.notification is not None and svc.notification.foreground_service
        assert (svc.notification.channel or "").endswith(":courier-location")
        assert svc.notification.category == "service"
        posted = [n for n in drv.notifications() if n.notification_id == svc.foreground_id]
        assert len(posted) == 1 and posted[0].foreground_service and posted[0].importance == 2
        assert posted[0].key == f"0|{PKG}|481756|null|{lab.device(name).packages.get(PKG).uid}"

        drv.force_stop()
        assert drv.foreground_services() == [] and drv.notifications() == []
        drv.launch()
        drv.home()
        again = drv.foreground_service("location")
        assert again is not None and again.pid != svc.pid
    finally:
        lab.shell(name, REVOKES)
        drv.force_stop()
        drv.launch()
        drv.home()
    assert drv.foreground_services() == []  # without the grants the next start runs no service


def test_services_dump_has_the_android_14_record_layout(lab: RunningLab) -> None:
    """What the parser leans on, as ServiceRecord.dump prints it: no ``permission=`` for a service without
    one, the bare ``%08X`` type bits, ``startCommandResult`` on its own line; a package filter that
    matches nothing prints ``(nothing)``."""
    name = "samsung-s23"
    drv = driver(lab, name)
    lab.shell(name, GRANTS)
    try:
        drv.launch()
        drv.home()
        text = lab.shell(name, f"dumpsys activity services {PKG}").stdout
        assert text.startswith("ACTIVITY MANAGER SERVICES (dumpsys activity services)\n  User 0 active services:\n"
                               "  * ServiceRecord{")
        assert "    baseDir=/data/app/" in text and f"    dataDir=/data/user/0/{PKG}\n" in text
        assert "permission=" not in text
        assert " types=00000008 foregroundNoti=Notification(channel=" in text
        assert "lastStartId=1\n startCommandResult=3\n" in text
    finally:
        lab.shell(name, REVOKES)
        drv.force_stop()
        drv.launch()
        drv.home()
    assert lab.shell(name, "dumpsys activity services com.android.chrome").stdout.endswith("  (nothing)\n")
