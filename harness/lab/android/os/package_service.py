"""``pm`` / ``cmd package``: list packages, path, clear, dump, grant/revoke."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.os.activity import ActivityManager, _kills
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
        if verb == "list":
            inv.err(f"Error: unknown list type '{rest[0] if rest else ''}'\n")
            return 255
        inv.out(f"Unknown command: {verb}\n")
        return 255

    def _list(self, inv: Invocation, opts: list[str]) -> int:
        flags = "".join(o[1:] for o in opts if o.startswith("-"))
        needle = next((o for o in opts if not o.startswith("-")), "")
        for pkg in self.dev.packages.all():
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
