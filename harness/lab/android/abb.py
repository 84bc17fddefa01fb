"""``abb:`` / ``abb_exec:``: Android Binder Bridge, and the streamed ``package install`` it carries.

adbd hands ``abb:ARGS`` and ``abb_exec:ARGS`` to the ``abb`` daemon (packages/modules/adb/daemon/abb.cpp):
ARGS are separated by ``\\0``, the first names the binder service, and the rest go to its shell command
exactly as ``cmd SERVICE ARGS…`` would (``cmdMain`` in library mode). ``abb:`` speaks the shell protocol
(stdout, stderr, exit status); ``abb_exec:`` is raw, for binary-safe stdin and stdout.

Google's adb client (client/adb_install.cpp ``install_app_streamed``) installs with
``abb_exec:package\\0install\\0[opts…]\\0-S\\0SIZE`` when the phone offers ``abb_exec`` (else
``exec:cmd package install … -S SIZE``), writes SIZE bytes and reads one status line. The installer
(PackageManagerShellCommand ``runInstall``) stages the bytes as ``/data/app/vmdl<session>.tmp/base.apk``,
validates them at commit, and prints ``Success`` or ``Failure [<INSTALL_* code>: <message>]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.apk import ApkInfo, ApkParseError, parse_apk
from harness.lab.android.device import AndroidDevice
from harness.lab.android.shell.runtime import Invocation, run_argv

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["abb_command", "install", "install_path"]

# PackageInstallerService.allocateSessionIdLocked: a random id in [1, Integer.MAX_VALUE - 1]
_MAX_SESSION_ID = 2**31 - 2


async def abb_command(inv: Invocation, args: list[str]) -> int:
    """One abb request: ``args[0]`` is the service (``package``, ``activity``, …)."""
    if args[:2] == ["package", "install"]:
        return await install(inv, args[2:])
    return await run_argv(inv.sub(["cmd", *args]))


def _device(inv: Invocation) -> AndroidDevice:
    assert isinstance(inv.host, AndroidDevice)
    return inv.host


def _options(opts: list[str]) -> tuple[int | None, bool, list[str]]:
    """``-S SIZE``, ``-d`` (allow a downgrade) and the remaining positional arguments; other flags
    (``-r`` is the default since Android 5, ``-t``, ``-g``, ``--user N`` …) change nothing the lab models."""
    size: int | None = None
    downgrade = False
    rest: list[str] = []
    items = iter(opts)
    for opt in items:
        if opt == "-S":
            size = int(next(items, "-1"))
        elif opt in ("--user", "-i", "--install-reason", "-p", "--abi", "--originating-uri", "--referrer"):
            next(items, None)
        elif opt == "-d":
            downgrade = True
        elif not opt.startswith("-"):
            rest.append(opt)
    return size, downgrade, rest


async def install(inv: Invocation, opts: list[str]) -> int:
    """``cmd package install``: the APK from stdin (``-S SIZE``) or from a path on the phone."""
    size, downgrade, paths = _options(opts)
    if paths and paths[0] != "-":
        return install_path(inv, opts)
    if size is None:
        inv.out("Error: must either specify a package size or an APK file\n")
        return 1
    return _commit_bytes(_device(inv), inv, await _read_stdin(inv, size), downgrade)


def install_path(inv: Invocation, opts: list[str]) -> int:
    """``pm install FILE`` (synchronous, for the shell's ``pm``/``cmd package`` door): the APK at a phone path."""
    _size, downgrade, paths = _options(opts)
    dev = _device(inv)
    data = dev.fs.read_for_shell(paths[0], inv.cwd) if paths else None
    if data is None:  # ShellCommand.openFileForSystem, then setParamsSize's IllegalArgumentException [recalled]
        path = paths[0] if paths else ""
        inv.err(f"Error: Unable to open file: {path}\n"
                + ("" if path.startswith("/data/local/tmp/") else "Consider using a file under /data/local/tmp/\n")
                + f"Error: Can't open file: {path}\nException occurred while executing 'install':\n"
                f"java.lang.IllegalArgumentException: Error: Can't open file: {path}\n")
        return 255
    return _commit_bytes(dev, inv, data, downgrade)


def _commit_bytes(dev: AndroidDevice, inv: Invocation, data: bytes, downgrade: bool) -> int:
    """Stage ``data`` as a session's base.apk, validate it, install it: ``Success`` or ``Failure [...]``."""
    session = dev.rng.randint(1, _MAX_SESSION_ID)
    staged = f"/data/app/vmdl{session}.tmp/base.apk"
    try:
        info = parse_apk(data, staged)
        _check_version(dev, info, downgrade)
    except ApkParseError as exc:
        dev.syslog("E", "PackageInstaller", f"Commit of session {session} failed: {exc.message}")
        inv.out(f"Failure [{exc}]\n")
        return 1
    _commit(dev, info)
    inv.out("Success\n")
    return 0


async def _read_stdin(inv: Invocation, size: int) -> bytes:
    """Exactly ``size`` bytes (the client sends the APK and then waits for the status line, stdin open)."""
    data = bytearray()
    while len(data) < size:
        chunk = await inv.stdin.read()
        if not chunk:
            break
        data += chunk
    return bytes(data[:size])


def _check_version(dev: AndroidDevice, info: ApkInfo, downgrade: bool) -> None:
    """InstallPackageHelper's downgrade check (``-d`` lifts it)."""
    old = dev.packages.get(info.package)
    if old is not None and not downgrade and info.version_code < old.version_code:
        raise ApkParseError("INSTALL_FAILED_VERSION_DOWNGRADE",
                            f"Downgrade detected: Update version code {info.version_code} is older than current "
                            f"{old.version_code}")


def _commit(dev: AndroidDevice, info: ApkInfo) -> None:
    """A new package is installed in the stopped state; an update keeps its uid and data."""
    pkg = dev.packages.get(info.package)
    if pkg is None:
        dev.packages.install(info.package, version_code=info.version_code, version_name=info.version_name,
                             stopped=True)
        return
    pkg.version_code = info.version_code
    pkg.version_name = info.version_name or pkg.version_name
