"""``pm`` / ``cmd package``: list packages, path, clear, dump, grant/revoke, uninstall, install-existing.

``adb uninstall PKG`` is ``cmd package 'uninstall' 'PKG'`` over ``shell,v2`` when the phone offers the ``cmd``
feature (client/adb_install.cpp ``uninstall_app_streamed``; measured from Debian's adb 29.0.6 against the lab),
else ``pm uninstall``; the client refuses ``-k`` itself. The phone's answer is PackageManagerShellCommand
``runUninstall``: ``Success`` / ``Failure [<DELETE_* or message>]`` on stdout, exit 0 / 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.os.activity import ActivityManager, _kills
from harness.lab.android.os.packages import Package
from harness.lab.android.os.permissions import refusal
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["PackageService"]


class PackageService:
    def __init__(self, dev: AndroidDevice) -> None:
        self.dev = dev
        self.granted: dict[str, set[str]] = {}

    def dump(self, inv: Invocation, args: list[str]) -> int:
        names = [a for a in args if not a.startswith("-")]
        for pkg in self.dev.packages.all():
            if names and pkg.name not in names:
                continue
            inv.out(f"  Package [{pkg.name}] ({id(pkg) & 0xFFFFFFF:x}):\n    appId={pkg.app_id}\n"
                    f"    codePath={pkg.path.rsplit('/', 1)[0]}\n    versionCode={pkg.version_code} "
                    f"minSdk=24 targetSdk={self.dev.sdk}\n    versionName={pkg.version_name}\n"
                    f"    flags=[ {'SYSTEM ' if pkg.system else ''}{'DEBUGGABLE ' if pkg.debuggable else ''}"
                    "HAS_CODE ALLOW_CLEAR_USER_DATA ]\n"
                    f"    stopped={'true' if pkg.stopped else 'false'}\n")
        return 0

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        if not args:
            inv.out("Package manager (package) commands:\n")
            return 0
        verb, rest = args[0], args[1:]
        if verb == "list" and rest and rest[0] in ("packages", "package"):
            return self._list(inv, rest[1:])
        if verb == "path":
            return self._path(inv, rest)
        if verb == "clear":
            return self._clear(inv, rest)
        if verb == "dump":
            return self.dump(inv, rest)
        if verb in ("grant", "revoke"):
            return self._grant(inv, verb, rest)
        if verb == "uninstall":
            return self._uninstall(inv, rest)
        if verb == "install-existing":
            return self._install_existing(inv, rest)
        if verb == "list":
            inv.err(f"Error: unknown list type '{rest[0] if rest else ''}'\n")
            return 255
        inv.out(f"Unknown command: {verb}\n")
        return 255

    def _list(self, inv: Invocation, opts: list[str]) -> int:
        flags = "".join(o[1:] for o in opts if o.startswith("-"))
        needle = next((o for o in opts if not o.startswith("-")), "")
        kept = self.dev.packages.kept() if "u" in flags else []  # -u: uninstalled ones whose setting stayed
        for pkg in sorted([*self.dev.packages.all(), *kept], key=lambda p: p.name):
            if ("3" in flags and pkg.system) or ("s" in flags and not pkg.system) or needle not in pkg.name:
                continue
            line = f"package:{pkg.path}={pkg.name}" if "f" in flags else f"package:{pkg.name}"
            if "U" in flags:
                line += f" uid:{pkg.uid}"
            inv.out(line + "\n")
        return 0

    def _path(self, inv: Invocation, rest: list[str]) -> int:
        names = [a for a in rest if not a.startswith("-")]
        pkg = self.dev.packages.get(names[0]) if names else None
        if pkg is None:
            return 1
        inv.out(f"package:{pkg.path}\n")
        return 0

    def _clear(self, inv: Invocation, rest: list[str]) -> int:
        names = [a for a in rest if not a.startswith("-")]
        pkg = self.dev.packages.get(names[0]) if names else None
        if pkg is None:
            inv.out("Failed\n")
            return 255
        self.dev.fs.remove(f"/data/user/0/{pkg.name}")
        self.dev.fs.mkdirs(f"/data/user/0/{pkg.name}/files", uid=pkg.uid)
        inv.out("Success\n")
        return 0

    def _grant(self, inv: Invocation, verb: str, rest: list[str]) -> int:
        """``pm grant|revoke PKG PERMISSION`` (PackageManagerShellCommand.runGrantRevokePermission): missing
        arguments exit 1; what the permission service throws prints after a blank line and exits 255."""
        if len(rest) < 2:
            inv.err("Error: no package specified\n" if not rest else "Error: no permission specified\n")
            return 1
        name, perm = rest[0], rest[1]
        pkg = self.dev.packages.get(name)
        if pkg is None:
            return self._throw(inv, verb, f"java.lang.IllegalArgumentException: Unknown package: {name}")
        refused = refusal(self.dev.sdk, name, pkg.requested, perm)
        if refused is not None and refused.exception is not None:
            return self._throw(inv, verb, refused.exception)
        if refused is not None and refused.log is not None:
            self.dev.syslog("E", "PermissionService", refused.log)
            return 0
        perms = self.granted.setdefault(name, set())
        if verb == "grant":
            perms.add(perm)
        elif perm in perms:
            perms.discard(perm)
            self._kill_for_revoke(name)
        return 0

    def _uninstall(self, inv: Invocation, rest: list[str]) -> int:
        """``pm uninstall [-k] [--user N|all|current] [--versionCode N] PKG`` as runUninstall answers it (AOSP
        14 PackageManagerShellCommand). Without ``--user`` (DELETE_ALL_USERS) a missing package is
        ``Failure [DELETE_FAILED_INTERNAL_ERROR]`` (DeletePackageHelper.deletePackageX logs ``Not removing
        non-existent package``), and so is a system app that has no update to roll back (mayDeletePackageLocked
        logs ``Attempt to delete unknown system package``, after the freeze has killed the app); with
        ``--user`` the shell command itself answers ``Failure [not installed for N]``, and a system app is only
        removed for that user (its setting kept)."""
        try:
            parsed = _uninstall_args(rest)
        except ValueError as exc:  # getNextArgRequired / parseUserArg throw; the handler prints it, exits 255
            return self._throw(inv, "uninstall", f"java.lang.IllegalArgumentException: {exc}")
        if isinstance(parsed, str):
            inv.out(parsed + "\n")
            return 1
        name, keep_data, user = parsed
        pkg = self.dev.packages.get(name)
        if user is not None and (pkg is None or user != 0):
            inv.out(f"Failure [not installed for {user}]\n")
            return 1
        if pkg is None:
            self.dev.syslog("W", "PackageManager", f"Not removing non-existent package {name}")
            inv.out("Failure [DELETE_FAILED_INTERNAL_ERROR]\n")
            return 1
        if user is None and pkg.system:  # mayDeletePackageLocked, asked after the freeze: the app still dies
            am = getattr(self.dev, "activity", None)
            if isinstance(am, ActivityManager):
                _kills.freeze_for_delete(am, name, pkg.app_id, all_users=True)
            self.dev.syslog("W", "PackageManager", f"Attempt to delete unknown system package {name}")
            inv.out("Failure [DELETE_FAILED_INTERNAL_ERROR]\n")
            return 1
        self._remove(pkg, keep_data=keep_data, all_users=user is None)
        inv.out("Success\n")
        return 0

    def _remove(self, pkg: Package, *, keep_data: bool, all_users: bool) -> None:
        """Kill, remove, clean up: the data directory and the runtime grants go unless ``-k`` kept them (a
        system app removed for user 0 keeps its setting, so ``install-existing`` can bring it back)."""
        dev, name = self.dev, pkg.name
        keep_setting = keep_data or pkg.system

        def remove() -> None:
            dev.packages.uninstall(name, keep_setting=keep_setting)
            if not keep_data:
                dev.fs.remove(f"/data/user/0/{name}")
                self.granted.pop(name, None)

        am = getattr(dev, "activity", None)
        if isinstance(am, ActivityManager):
            _kills.uninstall(am, name, pkg.app_id, all_users=all_users, remove=remove)
        else:
            remove()

    def _install_existing(self, inv: Invocation, rest: list[str]) -> int:
        """``pm install-existing PKG``: a system app removed for user 0 comes back (runInstallExisting prints
        ``Package X installed for user: 0``; INSTALL_FAILED_INVALID_URI, a package with no setting or no code
        left, as after ``-k``, becomes NameNotFoundException, printed with its toString on stdout, exit 1)."""
        names = [a for a in rest if not a.startswith("-")]
        name = names[0] if names else ""
        kept = next((p for p in self.dev.packages.kept() if p.name == name), None)
        if self.dev.packages.get(name) is None and (kept is None or not kept.system):
            inv.out(f"android.content.pm.PackageManager$NameNotFoundException: Package {name} doesn't exist\n")
            return 1
        self.dev.packages.restore(name)
        inv.out(f"Package {name} installed for user: 0\n")
        return 0

    @staticmethod
    def _throw(inv: Invocation, verb: str, exception: str) -> int:
        inv.err(f"\nException occurred while executing '{verb}':\n{exception}\n")
        return 255

    def _kill_for_revoke(self, package: str) -> None:
        """Revoking a granted runtime permission kills the app (PermissionManager
        ``KILL_APP_REASON_PERMISSIONS_REVOKED``; ApplicationExitInfo REASON_PERMISSION_CHANGE, 8)."""
        am = getattr(self.dev, "activity", None)
        if isinstance(am, ActivityManager):
            _kills.kill(am, package, "permissions revoked", exit_reason=8)


def _uninstall_args(rest: list[str]) -> tuple[str, bool, int | None] | str:
    """(package, keep data, user or None for all users), or the line runUninstall prints before exiting 1;
    ValueError with the IllegalArgumentException's message for a missing or bad option value. Options come
    first (ShellCommand.getNextOption stops at the first argument not starting with ``-``)."""
    keep_data, user = False, None
    items = iter(rest)
    for opt in items:
        if not opt.startswith("-") or opt == "-":
            return opt, keep_data, user
        if opt == "-k":
            keep_data = True
        elif opt in ("--user", "--versionCode"):
            value = next(items, None)
            if value is None:
                raise ValueError(f'Argument expected after "{opt}"')
            if opt == "--user":
                user = _user_arg(value)
        else:
            return f"Error: Unknown option: {opt}"
    return "Error: package name not specified"


def _user_arg(value: str) -> int | None:
    """UserHandle.parseUserArg: ``all`` (None here), ``current``/``cur`` (user 0 on a lab phone), a number."""
    if value == "all":
        return None
    if value in ("current", "cur"):
        return 0
    if not value.lstrip("-").isdigit():
        raise ValueError(f"Bad user number: {value}")
    return int(value)
