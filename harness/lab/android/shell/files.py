"""The file commands: toybox ``cat``, ``ls``, ``mkdir``, ``rm``, ``touch`` and mksh's ``cd``, run with the
caller's credentials (the shell, or an app under ``run-as``) against the phone's permissions (vfs.py).

Error texts are toybox's: ``perror_msg_raw(name)`` → ``ls: /data: Permission denied`` (toys/posix/ls.c,
listfiles; cat through loopfiles; rm's lstat in lib/dirtree.c and its unlinkat), ``perror_msg("'%s'")`` →
``touch: '/system/x': Read-only file system`` and ``mkdir: '/system/x': Read-only file system``
(toys/posix/touch.c, mkdir.c); each failure makes the exit status 1. mksh's ``cd`` prints
``/system/bin/sh: cd: DIR: strerror`` and returns 2 (funcs.c c_cd).
"""

from __future__ import annotations

import posixpath
import stat as st
import time

from harness.lab.android.os.ids import cred_for, group_name
from harness.lab.android.shell.runtime import SH, Invocation
from harness.lab.android.vfs import ENOENT, FsError, Node

__all__ = ["cat", "cd", "ls", "mkdir", "read_files", "rm", "touch"]


def _operands(inv: Invocation) -> list[str]:
    return [a for a in inv.argv[1:] if not (a.startswith("-") and len(a) > 1)]


def _flags(inv: Invocation) -> str:
    return "".join(a[1:] for a in inv.argv[1:] if a.startswith("-") and len(a) > 1)


def cd(inv: Invocation) -> int:
    target = inv.host.fs.resolve(inv.argv[1] if len(inv.argv) > 1 else "/", inv.cwd)
    try:
        inv.host.fs.chdir_as(target, cred_for(inv.uid))
    except FsError as exc:
        inv.err(f"{SH}: cd: {target}: {exc.reason}\n")
        return 2
    inv.cwd = target
    return 0


def read_files(inv: Invocation, paths: list[str]) -> tuple[bytes, int]:
    """The files' bytes in order, a ``NAME: PATH: strerror`` line for each that cannot be read, and the
    status (1 if any could not)."""
    out, status = bytearray(), 0
    fs, cred = inv.host.fs, cred_for(inv.uid)
    for path in paths:
        try:
            out += fs.read_as(fs.resolve(path, inv.cwd), cred)
        except FsError as exc:
            inv.err(f"{posixpath.basename(inv.argv[0])}: {path}: {exc.reason}\n")
            status = 1
    return bytes(out), status


async def cat(inv: Invocation) -> int:
    if len(inv.argv) == 1:
        inv.stdout.write(await inv.stdin.read_all())
        return 0
    status = 0
    for path in inv.argv[1:]:  # one at a time, so an error lands between the files it separates
        data, failed = read_files(inv, [path])
        inv.stdout.write(data)
        status |= failed
    return status


def _long_line(name: str, node: Node) -> str:
    kind = "d" if node.is_dir else "-"
    stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(node.mtime))
    return (f"{kind}{st.filemode(node.mode)[1:]} 1 {group_name(node.uid)} {group_name(node.gid)} "
            f"{len(node.data):>8} {stamp} {name}\n")


def ls(inv: Invocation) -> int:
    long = "l" in _flags(inv)
    fs, cred = inv.host.fs, cred_for(inv.uid)
    status = 0
    for path in _operands(inv) or ["."]:
        full = fs.resolve(path, inv.cwd)
        try:
            node = fs.lookup(full, cred)
            entries = fs.list_as(full, cred) if node.is_dir else [(path, node)]
        except FsError as exc:
            inv.err(f"ls: {path}: {exc.reason}\n")
            status = 1
            continue
        for name, child in entries:
            inv.out(_long_line(name, child) if long else name + "\n")
    return status


def mkdir(inv: Invocation) -> int:
    parents = "p" in _flags(inv)
    fs, cred = inv.host.fs, cred_for(inv.uid)
    status = 0
    for path in _operands(inv):
        full = fs.resolve(path, inv.cwd)
        try:
            for step in _mkdir_steps(full) if parents else [full]:
                if not (parents and _is_dir(inv, step)):
                    fs.mkdir_as(step, cred)
        except FsError as exc:
            inv.err(f"mkdir: '{path}': {exc.reason}\n")
            status = 1
    return status


def _mkdir_steps(full: str) -> list[str]:
    parts = [p for p in full.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def _is_dir(inv: Invocation, path: str) -> bool:
    try:
        return inv.host.fs.lookup(path, cred_for(inv.uid)).is_dir
    except FsError:
        return False


def rm(inv: Invocation) -> int:
    flags = _flags(inv)
    force, recursive = "f" in flags, "r" in flags or "R" in flags
    fs, cred = inv.host.fs, cred_for(inv.uid)
    status = 0
    for path in _operands(inv):
        try:
            fs.unlink_as(fs.resolve(path, inv.cwd), cred, recursive)
        except FsError as exc:
            if force and exc.reason == ENOENT:
                continue
            inv.err(f"rm: {path}: {exc.reason}\n")
            status = 1
    return status


def touch(inv: Invocation) -> int:
    fs, cred = inv.host.fs, cred_for(inv.uid)
    status = 0
    for path in _operands(inv):
        try:
            fs.touch_as(fs.resolve(path, inv.cwd), cred)
        except FsError as exc:
            inv.err(f"touch: '{path}': {exc.reason}\n")
            status = 1
    return status

