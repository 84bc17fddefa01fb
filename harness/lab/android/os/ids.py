"""Who a shell command runs as: the adb shell user, or an app's uid under ``run-as``.

- ``adb shell`` runs as uid/gid 2000 (shell) with the supplementary groups adbd gives its children
  (packages/modules/adb ``daemon/main.cpp``, ``drop_privileges``: adb, log, input, inet, net_bt, net_bt_admin,
  sdcard_r, sdcard_rw, net_bw_stats, readproc, uhid, ext_data_rw, ext_obb_rw, readtracefs), SELinux domain
  ``u:r:shell:s0``. The kernel keeps supplementary groups sorted (``groups_sort``), which is the order toybox
  ``id`` prints them in, after the primary gid (toys/posix/id.c).
- ``run-as PKG`` (system/core ``run-as/run-as.cpp``) switches uid and gid to the app's, keeps the caller's
  supplementary groups and adds the app's shared gid (``all_aN``, 50000 + N), and labels itself by
  seapp_contexts' ``fromRunAs=true`` line: ``runas_app`` with ``levelFrom=all`` (system/sepolicy
  ``private/seapp_contexts``), the MLS categories libselinux derives from the app id and the user.
- Names are bionic's (``getpwuid``/``getgrgid``: android_filesystem_config.h, ``u0_aN``, ``all_aN``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ROOT", "SHELL", "SHELL_UID", "Cred", "cred_for", "group_name", "id_line"]

ROOT = 0
SHELL_UID = 2000
APP_START = 10_000
SHARED_GID_START = 50_000
USER_OFFSET = 100_000

_NAMES = {0: "root", 1000: "system", 1001: "radio", 1004: "input", 1007: "log", 1011: "adb", 1013: "media",
          1015: "sdcard_rw", 1023: "media_rw", 1028: "sdcard_r", 1036: "logd", 1078: "ext_data_rw",
          1079: "ext_obb_rw", 2000: "shell", 2001: "cache", 3001: "net_bt_admin", 3002: "net_bt", 3003: "inet",
          3006: "net_bw_stats", 3009: "readproc", 3011: "uhid", 3012: "readtracefs"}
# adbd's supplementary groups for the shell, sorted as getgroups() returns them.
_SHELL_GROUPS = (1004, 1007, 1011, 1015, 1028, 1078, 1079, 3001, 3002, 3003, 3006, 3009, 3011, 3012)


@dataclass(frozen=True, slots=True)
class Cred:
    uid: int
    gid: int
    groups: tuple[int, ...]  # supplementary, sorted
    context: str

    def member(self, gid: int) -> bool:
        return gid == self.gid or gid in self.groups


SHELL = Cred(SHELL_UID, SHELL_UID, _SHELL_GROUPS, "u:r:shell:s0")


def _run_as(uid: int) -> Cred:
    """The credentials ``run-as`` gives an app's uid when the shell calls it."""
    user, app_id = divmod(uid, USER_OFFSET)
    n = app_id - APP_START
    shared = SHARED_GID_START + n
    categories = f"c{n & 0xFF},c{256 + ((n >> 8) & 0xFF)},c{512 + (user & 0xFF)},c{768 + ((user >> 8) & 0xFF)}"
    return Cred(uid, uid, tuple(sorted((*_SHELL_GROUPS, shared))), f"u:r:runas_app:s0:{categories}")


def cred_for(uid: int) -> Cred:
    """A shell command's credentials from its uid: the shell's, root's, or an app's under run-as."""
    if uid == SHELL_UID:
        return SHELL
    if uid == ROOT:
        return Cred(ROOT, ROOT, (), "u:r:su:s0")
    return _run_as(uid)


def group_name(gid: int) -> str:
    """bionic's name for a uid or gid: ``shell``, ``u0_a200``, ``all_a200``, or the number."""
    if gid in _NAMES:
        return _NAMES[gid]
    user, app_id = divmod(gid, USER_OFFSET)
    if SHARED_GID_START <= app_id < SHARED_GID_START + 10_000:
        return f"all_a{app_id - SHARED_GID_START}"
    if app_id >= APP_START:
        return f"u{user}_a{app_id - APP_START}"
    return str(gid)


def id_line(cred: Cred) -> str:
    """toybox ``id``: uid, gid, the gid again then the other supplementary groups, the SELinux context."""
    groups = ",".join(f"{g}({group_name(g)})" for g in (cred.gid, *(g for g in cred.groups if g != cred.gid)))
    return (f"uid={cred.uid}({group_name(cred.uid)}) gid={cred.gid}({group_name(cred.gid)}) groups={groups} "
            f"context={cred.context}\n")
