"""``adb uninstall`` / ``pm uninstall`` / ``cmd package uninstall`` on a lab phone, through Google's adb CLI and
server and pure-python-adb.

Sources of the expected texts:
- the client: client/adb_install.cpp ``uninstall_app_streamed`` sends ``cmd package 'uninstall' 'PKG'`` (Debian's
  adb 29.0.6 opens ``shell,v2,TERM=xterm:cmd package 'uninstall' 'com.example.courier'``, measured against the
  lab) and refuses ``-k`` itself with its four-line advice, exit 1;
- the phone: PackageManagerShellCommand.runUninstall (AOSP 14): ``Success`` / ``Failure [...]`` on stdout, exit 0 / 1;
  ``Error: Unknown option: X`` and ``Error: package name not specified`` exit 1; ``Failure [not installed for 0]``
  with ``--user``; without it DeletePackageHelper answers DELETE_FAILED_INTERNAL_ERROR for a package it does not
  know and for a system app with no update;
- the log: DeletePackageHelper.deletePackageX freezes the package (PackageFreezer → AMS.killApplication, reason
  ``deletePackageX``, user -1), AMS force-stops it again on PACKAGE_REMOVED (``pkg removed``) — the order a
  GrapheneOS Android 17 capture of ``cmd package 'uninstall'`` shows; the kill reason is ``stop PKG due to R``
  (AMS.forceStopPackageLocked, Android 13+).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.android.test_adbd_services import apk
from tests.labkit import RunningLab, one_phone_lab

NAME = "pixel-8"
APP = "com.example.courier"
ABSENT = "org.example.absent"
CLIENT_REFUSES_K = (  # adb_install.cpp uninstall_app_streamed, verbatim
    "The -k option uninstalls the application while retaining the data/cache.\n"
    "At the moment, there is no way to remove the remaining data.\n"
    "You will have to reinstall the application with the same signature, and fully uninstall it.\n"
    "If you truly wish to continue, execute 'adb shell cmd package uninstall -k'.\n")


@pytest.fixture(scope="module")
def lab() -> Iterator[RunningLab]:
    with one_phone_lab(NAME, clock="virtual") as running:
        yield running


# -- refusals: nothing changes on the phone ----------------------------------------------------------------------

REFUSALS = [  # (adb arguments, stdout, exit status)
    (("uninstall", ABSENT), "Failure [DELETE_FAILED_INTERNAL_ERROR]\n", 1),
    (("uninstall", "-k", APP), CLIENT_REFUSES_K, 1),  # the client's own refusal: nothing reaches the phone
    (("shell", f"pm uninstall {ABSENT}"), "Failure [DELETE_FAILED_INTERNAL_ERROR]\n", 1),
    (("shell", f"cmd package uninstall --user 0 {ABSENT}"), "Failure [not installed for 0]\n", 1),
    (("shell", f"pm uninstall --user 10 {APP}"), "Failure [not installed for 10]\n", 1),  # the lab has user 0 only
    (("shell", "pm uninstall com.android.chrome"), "Failure [DELETE_FAILED_INTERNAL_ERROR]\n", 1),  # system app
    (("shell", "pm uninstall"), "Error: package name not specified\n", 1),
    (("shell", f"pm uninstall -x {APP}"), "Error: Unknown option: -x\n", 1),
    (("abb", "package", "uninstall", ABSENT), "Failure [DELETE_FAILED_INTERNAL_ERROR]\n", 1),
]


@pytest.mark.parametrize(("args", "stdout", "code"), REFUSALS, ids=[" ".join(r[0]) for r in REFUSALS])
def test_a_refused_uninstall_prints_androids_answer_and_keeps_the_package(
        lab: RunningLab, args: tuple[str, ...], stdout: str, code: int) -> None:
    result = lab.adb(NAME, *args)
    assert (result.stdout, result.code) == (stdout, code), result
    assert lab.shell(NAME, f"pm path {APP}").code == 0


def test_a_missing_option_value_is_the_shell_commands_exception(lab: RunningLab) -> None:
    result = lab.shell(NAME, "pm uninstall --user")  # getNextArgRequired throws; BasicShellCommandHandler prints it
    assert (result.stdout, result.code) == ("", 255)
    assert result.stderr == ("\nException occurred while executing 'uninstall':\n"
                             "java.lang.IllegalArgumentException: Argument expected after \"--user\"\n")


def test_an_unknown_package_is_logged_as_deletepackagex_says(lab: RunningLab) -> None:
    lab.adb(NAME, "uninstall", "org.example.logged")
    logged = lab.adb(NAME, "logcat", "-d", "-b", "system", "-s", "PackageManager").stdout
    assert "W PackageManager: Not removing non-existent package org.example.logged\n" in logged


def test_a_system_app_without_user_is_killed_by_the_freeze_and_then_refused(lab: RunningLab) -> None:
    lab.shell(NAME, "pm uninstall com.android.phone")
    logged = lab.adb(NAME, "logcat", "-d", "-b", "system", "-s", "ActivityManager", "PackageManager").stdout
    lines = [line.split(": ", 1)[1] for line in logged.splitlines() if "com.android.phone" in line]
    assert lines[-2:] == ["Force stopping com.android.phone appid=1001 user=-1: deletePackageX",
                          "Attempt to delete unknown system package com.android.phone"], lines


def test_pure_python_adb_reads_the_failure(lab: RunningLab) -> None:
    assert lab.ppadb(NAME).uninstall(ABSENT) is False  # ppadb runs `pm uninstall` and looks for Success


# -- a system app for user 0 --------------------------------------------------------------------------------------

def test_a_system_app_goes_for_user_0_only_and_install_existing_brings_it_back(lab: RunningLab) -> None:
    chrome = "com.android.chrome"
    removed = lab.shell(NAME, f"pm uninstall --user 0 {chrome}")
    assert (removed.stdout, removed.code) == ("Success\n", 0)
    assert lab.shell(NAME, f"pm list packages {chrome}").stdout == ""
    assert lab.shell(NAME, f"pm list packages -u {chrome}").stdout == f"package:{chrome}\n"  # its setting stays
    back = lab.shell(NAME, f"pm install-existing {chrome}")
    assert (back.stdout, back.code) == (f"Package {chrome} installed for user: 0\n", 0)
    assert lab.shell(NAME, f"pm list packages -U {chrome}").stdout == f"package:{chrome} uid:10150\n"
    unknown = lab.shell(NAME, f"pm install-existing {ABSENT}")
    assert (unknown.stdout, unknown.code) == (
        f"android.content.pm.PackageManager$NameNotFoundException: Package {ABSENT} doesn't exist\n", 1)


# -- the app under test: uninstall, reinstall ---------------------------------------------------------------------

def _uid(lab: RunningLab, package: str) -> int:
    listed = re.fullmatch(rf"package:{re.escape(package)} uid:(\d+)\n", lab.shell(NAME, f"pm list packages -U "
                                                                                   f"{package}").stdout)
    assert listed is not None
    return int(listed.group(1))


def _install(lab: RunningLab, tmp_path: Path, package: str, version: int) -> str:
    path = tmp_path / "app.apk"
    path.write_bytes(apk({"package": package, "versionCode": version, "versionName": f"{version}.0"}))
    result = lab.adb(NAME, "install", str(path))
    assert result.code == 0, result
    return result.stdout


def test_uninstall_kills_the_app_cancels_its_work_and_a_reinstall_is_a_new_app(lab: RunningLab,
                                                                               tmp_path: Path) -> None:
    dev = lab.device(NAME)
    launched = lab.shell(NAME, f"monkey -p {APP} -c android.intent.category.LAUNCHER 1")
    assert launched.code == 0
    pid = lab.shell(NAME, f"pidof {APP}").stdout.strip()
    assert pid.isdigit()
    uid = _uid(lab, APP)
    assert dev.jobs.job_ids(APP), "the launched app schedules its WorkManager jobs"

    result = lab.adb(NAME, "uninstall", APP)
    assert (result.stdout, result.stderr, result.code) == ("Success\n", "", 0)

    assert lab.shell(NAME, f"pidof {APP}").code == 1
    assert lab.shell(NAME, f"pm path {APP}").code == 1
    assert lab.shell(NAME, f"pm list packages {APP}").stdout == ""
    assert lab.shell(NAME, f"dumpsys package {APP}").stdout == ""
    assert dev.jobs.job_ids(APP) == [] and dev.alarms.pending(APP) == []
    assert dev.fs.get(f"/data/user/0/{APP}") is None  # its data went with it (no -k)
    logged = lab.adb(NAME, "logcat", "-d", "-b", "system", "-s", "ActivityManager").stdout
    lines = [line.split(": ", 1)[1] for line in logged.splitlines() if APP in line and ": " in line]
    assert lines[-3:] == [
        f"Force stopping {APP} appid={uid} user=-1: deletePackageX",
        f"Killing {pid}:{APP}/u0a{uid - 10_000} (adj 0): stop {APP} due to deletePackageX",
        f"Force stopping {APP} appid={uid} user=0: pkg removed",
    ], logged[-2000:]
    again = lab.adb(NAME, "uninstall", APP)
    assert (again.stdout, again.code) == ("Failure [DELETE_FAILED_INTERNAL_ERROR]\n", 1)

    assert _install(lab, tmp_path, APP, 7) == "Performing Streamed Install\nSuccess\n"
    assert lab.shell(NAME, f"pm path {APP}").code == 0
    new_uid = _uid(lab, APP)
    assert new_uid != uid  # a full uninstall forgets the app id: the reinstall is a new app
    assert "stopped=true" in lab.shell(NAME, f"dumpsys package {APP}").stdout
    assert lab.shell(NAME, f"pidof {APP}").code == 1 and dev.jobs.job_ids(APP) == []  # nothing runs before a launch
    assert lab.shell(NAME, f"monkey -p {APP} -c android.intent.category.LAUNCHER 1").code == 0
    assert lab.shell(NAME, f"pidof {APP}").stdout.strip().isdigit()
    assert dev.jobs.job_ids(APP), "the reinstalled app schedules its work again on its first launch"
    assert lab.shell(NAME, f"run-as {APP} ls files").code == 0  # a fresh data directory, owned by the new uid


def test_minus_k_keeps_the_data_and_the_app_id_for_a_reinstall(lab: RunningLab, tmp_path: Path) -> None:
    package = "org.example.kept"
    _install(lab, tmp_path, package, 1)
    uid = _uid(lab, package)
    dev = lab.device(NAME)
    dev.fs.mkdirs(f"/data/user/0/{package}/files", uid=uid)  # what installd makes and the app writes into
    removed = lab.ppadb(NAME).shell(f"cmd package uninstall -k {package}")
    assert removed == "Success\n"
    assert lab.shell(NAME, f"pm list packages {package}").stdout == ""
    assert lab.shell(NAME, f"pm list packages -u {package}").stdout == f"package:{package}\n"
    assert dev.fs.get(f"/data/user/0/{package}/files") is not None
    _install(lab, tmp_path, package, 2)
    assert _uid(lab, package) == uid
