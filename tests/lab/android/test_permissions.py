"""The shell user's permissions on the lab's phones, through the real adb CLI: what a phone refuses, with its
exact text and exit status (harness/lab/android/vfs.py, shell/files.py, shell/runas.py, shell/props.py,
os/permissions.py, os/properties.py cite the sources)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.labkit import RunningLab

ANDROID_15 = "pixel-8"
ANDROID_14 = "xiaomi-13"
APP = "com.example.courier"
SH = "/system/bin/sh"
SETPROP_FAILED = "Failed to set property '{}' to '{}'.\nSee dmesg for error reason.\n"
SHELL_ID = ("uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),"
            "1028(sdcard_r),1078(ext_data_rw),1079(ext_obb_rw),3001(net_bt_admin),3002(net_bt),3003(inet),"
            "3006(net_bw_stats),3009(readproc),3011(uhid),3012(readtracefs) context=u:r:shell:s0\n")


def _pm_throw(verb: str, exception: str) -> str:
    return f"\nException occurred while executing '{verb}':\n{exception}\n"


# (command, stdout, stderr, exit status) as the shell user on Android 15.
SHELL_CASES = [
    ("ls /data", "", "ls: /data: Permission denied\n", 1),
    ("ls /data/data", "", "ls: /data/data: Permission denied\n", 1),
    ("ls /storage/emulated", "", "ls: /storage/emulated: Permission denied\n", 1),
    ("ls /data/nope", "", "ls: /data/nope: No such file or directory\n", 1),
    (f"ls /data/user/0/{APP}/files", "", f"ls: /data/user/0/{APP}/files: Permission denied\n", 1),
    (f"cat /data/data/{APP}/files/bgprobe.jsonl", "", f"cat: /data/data/{APP}/files/bgprobe.jsonl: "
     "Permission denied\n", 1),
    ("touch /system/x", "", "touch: '/system/x': Read-only file system\n", 1),
    ("touch /x", "", "touch: '/x': Read-only file system\n", 1),
    ("mkdir /system/x", "", "mkdir: '/system/x': Read-only file system\n", 1),
    ("mkdir -p /vendor/x/y", "", "mkdir: '/vendor/x/y': Read-only file system\n", 1),
    ("mkdir /system", "", "mkdir: '/system': File exists\n", 1),
    ("rm /system", "", "rm: /system: Read-only file system\n", 1),
    ("rm /data/local/tmp", "", "rm: /data/local/tmp: Permission denied\n", 1),
    ("rm /data/local/tmp/nope", "", "rm: /data/local/tmp/nope: No such file or directory\n", 1),
    ("rm -f /data/local/tmp/nope", "", "", 0),
    ("touch /data/x", "", "touch: '/data/x': Permission denied\n", 1),
    ("echo x > /system/x", "", f"{SH}: can't create /system/x: Read-only file system\n", 1),
    ("echo x > /data/x", "", f"{SH}: can't create /data/x: Permission denied\n", 1),
    ("echo x >> /data/data/x", "", f"{SH}: can't create /data/data/x: Permission denied\n", 1),
    ("cat < /data/data/x", "", f"{SH}: can't open /data/data/x: No such file or directory\n", 1),
    ("cd /data/data/" + APP, "", f"{SH}: cd: /data/data/{APP}: Permission denied\n", 2),
    ("echo a > /sdcard/bgh-perm && cat /sdcard/bgh-perm && rm /sdcard/bgh-perm", "a\n", "", 0),
    ("mkdir /data/local/tmp/bgh-perm && touch /data/local/tmp/bgh-perm/f && ls /data/local/tmp/bgh-perm"
     " && rm -r /data/local/tmp/bgh-perm", "f\n", "", 0),
    ("id", SHELL_ID, "", 0),
    ("whoami", "shell\n", "", 0),
    ("run-as", "", "run-as: usage: run-as <package-name> [--user <uid>] <command> [<args>]\n\n", 1),
    ("run-as com.example.nope id", "", "run-as: unknown package: com.example.nope\n", 1),
    ("run-as android id", "", "run-as: package not an application: android\n", 1),
    ("run-as com.android.chrome id", "", "run-as: package not debuggable: com.android.chrome\n", 1),
    (f"run-as {APP} --user 10 id", "", "run-as: couldn't stat /data/user/10: No such file or directory\n", 1),
    (f"run-as {APP} nope", "", "run-as: exec failed for nope: No such file or directory\n", 1),
    (f"run-as {APP} ls /data/data", "", "ls: /data/data: Permission denied\n", 1),
    (f"run-as {APP} touch /system/x", "", "touch: '/system/x': Read-only file system\n", 1),
    (f"run-as {APP} sh -c 'echo hi > files/bgh-perm && cat files/bgh-perm && rm files/bgh-perm'", "hi\n", "", 0),
    (f"run-as {APP} sh -c 'cd files && echo $HOME'", f"/data/user/0/{APP}\n", "", 0),
    ("setprop persist.sys.foo 1", "", SETPROP_FAILED.format("persist.sys.foo", "1"), 1),
    ("setprop sys.foo 1", "", SETPROP_FAILED.format("sys.foo", "1"), 1),
    ("setprop ro.debuggable 1", "", SETPROP_FAILED.format("ro.debuggable", "1"), 1),
    ("setprop debug.db.uid 0", "", SETPROP_FAILED.format("debug.db.uid", "0"), 1),
    ("setprop log.redirect-stdio true", "", SETPROP_FAILED.format("log.redirect-stdio", "true"), 1),
    ("setprop service.adb.tcp.port 5555", "", SETPROP_FAILED.format("service.adb.tcp.port", "5555"), 1),
    ("setprop bgh.anything 1", "", SETPROP_FAILED.format("bgh.anything", "1"), 1),
    ("setprop debug.bgh.perm 1 && getprop debug.bgh.perm", "1\n", "", 0),
    ("setprop log.tag.BghPerm VERBOSE && getprop log.tag.BghPerm", "VERBOSE\n", "", 0),
    ("setprop persist.log.tag.BghPerm D && getprop persist.log.tag.BghPerm", "D\n", "", 0),
    ("setprop", "usage: setprop NAME VALUE\n\nSets an Android system property.\n", "", 1),
    ("setprop .x 1", "", "Property names must not start or end with a '.'\n", 1),
    ("setprop debug..x 1", "", "'..' is not allowed in a property name\n", 1),
    ("setprop 'debug.a b' 1", "", "Invalid character ' ' in name 'debug.a b'\n", 1),
    (f"setprop debug.long {'x' * 92}", "", f"Value '{'x' * 92}' is too long, 92 bytes vs a max of 92\n", 1),
    (f"run-as {APP} setprop debug.bgh.app 1", "", SETPROP_FAILED.format("debug.bgh.app", "1"), 1),
]


@pytest.mark.parametrize(("command", "stdout", "stderr", "code"), SHELL_CASES, ids=[c[0] for c in SHELL_CASES])
def test_the_shell_user_gets_what_a_phone_gives_it(lab: RunningLab, command: str, stdout: str, stderr: str,
                                                   code: int) -> None:
    result = lab.shell(ANDROID_15, command)
    assert (result.stdout, result.stderr, result.code) == (stdout, stderr, code)


def test_run_as_runs_as_the_app_uid_the_package_manager_gives(lab: RunningLab) -> None:
    listed = lab.shell(ANDROID_15, f"pm list packages -U {APP}").stdout
    match = re.search(rf"package:{re.escape(APP)} uid:(\d+)", listed)
    assert match is not None, listed
    uid = int(match.group(1))
    n = uid - 10_000
    user = f"u0_a{n}"
    groups = SHELL_ID.partition("groups=2000(shell),")[2].partition(" context=")[0]
    expected = (f"uid={uid}({user}) gid={uid}({user}) groups={uid}({user}),{groups},{50_000 + n}(all_a{n}) "
                f"context=u:r:runas_app:s0:c{n & 0xFF},c{256 + (n >> 8)},c512,c768\n")
    result = lab.shell(ANDROID_15, f"run-as {APP} id")
    assert (result.stdout, result.stderr, result.code) == (expected, "", 0)
    assert lab.shell(ANDROID_15, f"run-as {APP} whoami").stdout == f"{user}\n"


def test_run_as_reads_the_files_the_app_wrote_and_the_shell_cannot(lab: RunningLab) -> None:
    dev = lab.device(ANDROID_15)
    pkg = dev.packages.get(APP)
    lab.thread.call(lambda: dev.fs.write(f"/data/user/0/{APP}/files/bgh-private", b"secret\n", mode=0o600, uid=pkg.uid))
    try:
        assert lab.shell(ANDROID_15, f"run-as {APP} cat files/bgh-private").stdout == "secret\n"
        listing = lab.shell(ANDROID_15, f"run-as {APP} ls -l files/bgh-private").stdout
        assert listing.startswith(f"-rw------- 1 u0_a{pkg.uid - 10_000} u0_a{pkg.uid - 10_000} ")
        refused = lab.shell(ANDROID_15, f"cat /data/user/0/{APP}/files/bgh-private")
        assert (refused.stderr, refused.code) == (f"cat: /data/user/0/{APP}/files/bgh-private: Permission denied\n", 1)
    finally:
        lab.thread.call(lambda: dev.fs.remove(f"/data/user/0/{APP}/files/bgh-private"))


def _grant_cases(sdk15: bool) -> list[tuple[str, str, int]]:
    by = f"package {APP}" if sdk15 else APP
    unknown = "Unknown permission " if sdk15 else "Unknown permission: "
    internet = "android.permission.INTERNET"
    cases = [
        (f"pm grant {APP} {internet}", _pm_throw("grant", f"java.lang.SecurityException: Permission {internet} "
                                                 f"requested by {by} is not a changeable permission type"), 255),
        (f"pm revoke {APP} {internet}", _pm_throw("revoke", f"java.lang.SecurityException: Permission {internet} "
                                                  f"requested by {by} is not a changeable permission type"), 255),
        (f"pm grant {APP} android.permission.BGH_NOPE", _pm_throw(
            "grant", f"java.lang.IllegalArgumentException: {unknown}android.permission.BGH_NOPE"), 255),
        (f"pm grant {APP}", "Error: no permission specified\n", 1),
        ("pm grant", "Error: no package specified\n", 1),
        (f"pm grant {APP} android.permission.SYSTEM_ALERT_WINDOW", "", 0),  # development: grantable
    ]
    camera = "android.permission.CAMERA"  # runtime, but the app does not request it
    cases.append((f"pm grant {APP} {camera}", "", 0) if sdk15 else (f"pm grant {APP} {camera}", _pm_throw(
        "grant", f"java.lang.SecurityException: Package {APP} has not requested permission {camera}"), 255))
    return cases


GRANT_CASES = [(ANDROID_15, *case) for case in _grant_cases(True)] + [(ANDROID_14, *case)
                                                                      for case in _grant_cases(False)]


@pytest.mark.parametrize(("phone", "command", "stderr", "code"), GRANT_CASES,
                         ids=[f"{c[0]}: {c[1]}" for c in GRANT_CASES])
def test_pm_grant_changes_only_runtime_and_development_permissions(lab: RunningLab, phone: str, command: str,
                                                                   stderr: str, code: int) -> None:
    result = lab.shell(phone, command)
    assert (result.stdout, result.stderr, result.code) == ("", stderr, code)


def test_android_15_only_logs_a_runtime_permission_the_app_does_not_request(lab: RunningLab) -> None:
    lab.shell(ANDROID_15, "logcat -c")
    assert lab.shell(ANDROID_15, f"pm grant {APP} android.permission.READ_CONTACTS").code == 0
    log = lab.shell(ANDROID_15, "logcat -d -b system -s PermissionService").stdout
    assert f"E PermissionService: Permission android.permission.READ_CONTACTS isn't requested by package {APP}" in log


@pytest.fixture
def notifications_revoked(lab: RunningLab) -> Iterator[str]:
    yield "android.permission.POST_NOTIFICATIONS"
    lab.shell(ANDROID_14, f"pm revoke {APP} android.permission.POST_NOTIFICATIONS")


def test_a_requested_runtime_permission_is_granted_and_revoked(lab: RunningLab, notifications_revoked: str) -> None:
    perm = notifications_revoked
    granted = lab.device(ANDROID_14).services["package"].granted
    assert lab.shell(ANDROID_14, f"pm grant {APP} {perm}").code == 0
    assert perm in lab.thread.call(lambda: set(granted.get(APP, set())))
    assert lab.shell(ANDROID_14, f"pm revoke {APP} {perm}").code == 0
    assert perm not in lab.thread.call(lambda: set(granted.get(APP, set())))
