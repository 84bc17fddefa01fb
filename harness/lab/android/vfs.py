"""The virtual phone's file system: enough for ``adb push/pull/ls``, ``cat`` and app data dirs, with the
permissions a real phone applies to the shell user.

The OS model writes through ``write``/``mkdirs`` unchecked (it is the system). Shell commands go through the
``*_as`` methods, which check what the kernel checks, in its order, and raise ``FsError`` with strerror's text:

- every directory on the way needs search (x) for the caller, else ``Permission denied`` (path walk);
- a change on a read-only mount is ``Read-only file system`` before any mode bit is looked at
  (``mnt_want_write`` comes first in open/mkdir/unlink/utimensat); the system partition is mounted read-only
  at ``/`` (system-as-root), so everything outside the writable mounts below is read-only;
- then the owner/group/other bits (DAC) of the file, or of the parent directory for a create or unlink.

Modes and owners of the stock directories are a Pixel's on Android 14 (``ls -ld``): ``/data`` and
``/data/data`` ``drwxrwx--x system system`` (the shell may pass through but not list), ``/data/local/tmp``
``drwxrwx--x shell shell``, ``/storage/emulated`` ``drwx--x--x root sdcard_rw``, app data dirs ``drwx------``
(installd ``create_app_data``: 0700 for targetSdk >= 28). SELinux is not modelled; where it alone refuses the
shell, the DAC modes above give the same answer for the paths the lab has.
"""

from __future__ import annotations

import posixpath
import stat as st
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from harness.lab.android.os.ids import ROOT, SHELL_UID, Cred, cred_for

__all__ = ["EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOTDIR", "EROFS", "FileSystem", "FsError", "Node"]

# strerror texts (bionic), as toybox and mksh print them.
EACCES = "Permission denied"
EEXIST = "File exists"
EISDIR = "Is a directory"
ENOENT = "No such file or directory"
ENOTDIR = "Not a directory"
EROFS = "Read-only file system"
_R, _W, _X = 4, 2, 1
# The adb shell's umask: init's first stage sets umask(0) and neither init nor adbd changes it for the shell,
# so ``touch`` makes -rw-rw-rw- files and ``mkdir`` drwxrwxrwx dirs in /data/local/tmp.
_UMASK = 0o000


class FsError(Exception):
    """A refused file operation; ``reason`` is strerror's text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Node:
    mode: int  # full st_mode, type bits included
    mtime: int
    data: bytearray = field(default_factory=bytearray)
    uid: int = 0
    gid: int = 0

    @property
    def is_dir(self) -> bool:
        return st.S_ISDIR(self.mode)


# (path, mode, uid, gid) of a booted phone's directories.
_DEFAULT_DIRS = (
    ("/data", 0o771, 1000, 1000), ("/data/local", 0o751, 0, 0), ("/data/local/tmp", 0o771, 2000, 2000),
    ("/data/data", 0o771, 1000, 1000), ("/data/user", 0o711, 1000, 1000),
    ("/data/app", 0o771, 1000, 1000), ("/data/system", 0o775, 1000, 1000),
    ("/storage", 0o755, 0, 1028), ("/storage/emulated", 0o711, 0, 1015),
    ("/storage/emulated/0", 0o2770, 0, 1015), ("/storage/emulated/0/Download", 0o2770, 0, 1015),
    ("/system", 0o755, 0, 0), ("/system/bin", 0o751, 0, 2000), ("/vendor", 0o755, 0, 2000),
    ("/proc", 0o555, 0, 0), ("/dev", 0o755, 0, 0), ("/cache", 0o770, 1000, 2001),
)
# Mounts that are not the read-only system image (/proc and /dev are pseudo file systems: writable mounts
# whose modes refuse the shell).
_WRITABLE_MOUNTS = ("/data", "/storage", "/cache", "/dev", "/proc", "/mnt", "/metadata")
# installd creates an app's data dir 0700 (the lab's package install makes it through ``mkdirs``).
_APP_DATA_PARENTS = ("/data/data",)
# /sdcard is a symlink to /storage/self/primary → /storage/emulated/0; /data/user/0 is the owner's /data/data.
_ALIASES = (("/sdcard", "/storage/emulated/0"), ("/data/user/0", "/data/data"))


def _permits(node: Node, cred: Cred, want: int) -> bool:
    if cred.uid == ROOT:
        return True
    if cred.uid == node.uid:
        bits = node.mode >> 6
    elif cred.member(node.gid):
        bits = node.mode >> 3
    else:
        bits = node.mode
    return bits & want == want


def _read_only(path: str) -> bool:
    return not any(path == m or path.startswith(m + "/") for m in _WRITABLE_MOUNTS)


class FileSystem:
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._nodes: dict[str, Node] = {"/": Node(st.S_IFDIR | 0o755, int(now()))}
        for path, mode, uid, gid in _DEFAULT_DIRS:
            self._nodes[path] = Node(st.S_IFDIR | mode, int(now()), uid=uid, gid=gid)
        self.write("/dev/null", b"", mode=0o666, uid=0)

    @staticmethod
    def resolve(path: str, cwd: str = "/") -> str:
        # /data/user/0 and /data/data are the same directory, the owner's app data.
        full = posixpath.normpath(posixpath.join(cwd, path))
        full = "/" + full.lstrip("/") if full != "/" else "/"
        for alias, target in _ALIASES:
            if full == alias or full.startswith(alias + "/"):
                return target + full[len(alias) :]
        return full

    def get(self, path: str) -> Node | None:
        return self._nodes.get(self.resolve(path))

    def mkdirs(self, path: str, mode: int = 0o771, uid: int = 1000) -> None:
        path = self.resolve(path)
        parts = [p for p in path.split("/") if p]
        cur = ""
        for part in parts:
            parent, cur = cur or "/", cur + "/" + part
            if cur not in self._nodes:
                bits = 0o700 if parent in _APP_DATA_PARENTS else mode
                self._nodes[cur] = Node(st.S_IFDIR | bits, int(self._now()), uid=uid, gid=uid)

    def write(self, path: str, data: bytes, mode: int = 0o644, mtime: int | None = None, uid: int = 2000,
              append: bool = False, gid: int | None = None) -> Node:
        path = self.resolve(path)
        parent = posixpath.dirname(path)
        if parent not in self._nodes or not self._nodes[parent].is_dir:
            raise FileNotFoundError(parent)
        node = self._nodes.get(path)
        if node is not None and node.is_dir:
            raise IsADirectoryError(path)
        if node is None or not append:
            node = Node(st.S_IFREG | (mode & 0o7777), int(self._now()), uid=uid, gid=uid if gid is None else gid)
            self._nodes[path] = node
        node.data += data
        node.mtime = int(self._now()) if mtime is None else mtime
        return node

    def read(self, path: str) -> bytes:
        node = self._nodes.get(self.resolve(path))
        if node is None:
            raise FileNotFoundError(path)
        if node.is_dir:
            raise IsADirectoryError(path)
        return bytes(node.data)

    def remove(self, path: str) -> None:
        path = self.resolve(path)
        for key in [k for k in self._nodes if k == path or k.startswith(path + "/")]:
            del self._nodes[key]

    def listdir(self, path: str) -> Iterator[tuple[str, Node]]:
        path = self.resolve(path)
        prefix = path.rstrip("/") + "/"
        for key, node in sorted(self._nodes.items()):
            if key.startswith(prefix) and "/" not in key[len(prefix) :] and key != path:
                yield key[len(prefix) :], node

    def read_for_shell(self, path: str, cwd: str, uid: int = SHELL_UID) -> bytes | None:
        """A file's bytes as the shell (or ``uid``) may read them; None if it cannot (``read_as`` says why)."""
        try:
            return self.read_as(self.resolve(path, cwd), cred_for(uid))
        except FsError:
            return None

    # -- what a process may do: the shell, or an app under run-as ------------------------------------
    def lookup(self, path: str, cred: Cred) -> Node:
        """stat(2): the node at a resolved path, walking its directories with search permission."""
        node = self._walk(path, cred)
        if node is None:
            raise FsError(ENOENT)
        return node

    def read_as(self, path: str, cred: Cred) -> bytes:
        """open(O_RDONLY) and read a file."""
        node = self.lookup(path, cred)
        if not _permits(node, cred, _R):
            raise FsError(EACCES)
        if node.is_dir:
            raise FsError(EISDIR)
        return bytes(node.data)

    def list_as(self, path: str, cred: Cred) -> list[tuple[str, Node]]:
        """opendir + readdir: read and search permission on the directory."""
        node = self.lookup(path, cred)
        if not node.is_dir:
            raise FsError(ENOTDIR)
        if not _permits(node, cred, _R | _X):
            raise FsError(EACCES)
        return list(self.listdir(path))

    def chdir_as(self, path: str, cred: Cred) -> None:
        node = self.lookup(path, cred)
        if not node.is_dir:
            raise FsError(ENOTDIR)
        if not _permits(node, cred, _X):
            raise FsError(EACCES)

    def open_write(self, path: str, cred: Cred, append: bool) -> Callable[[bytes], None]:
        """open(O_WRONLY|O_CREAT, O_TRUNC unless appending): the sink for the bytes written."""
        if path == "/dev/null":
            return lambda _data: None
        node = self._walk(path, cred)
        if node is None:
            self._may_create(path, cred)
            self._create_file(path, cred)
        else:
            self._may_modify(path, node, cred)
            if not append:
                node.data.clear()
        target = self._nodes[path]

        def sink(data: bytes) -> None:
            target.data += data
            target.mtime = int(self._now())

        return sink

    def touch_as(self, path: str, cred: Cred) -> None:
        """toybox touch: utimensat on an existing file (owner or write permission), else create it."""
        node = self._walk(path, cred)
        if node is None:
            self._may_create(path, cred)
            self._create_file(path, cred)
            return
        if _read_only(path):
            raise FsError(EROFS)
        if cred.uid not in (ROOT, node.uid) and not _permits(node, cred, _W):
            raise FsError(EACCES)
        node.mtime = int(self._now())

    def mkdir_as(self, path: str, cred: Cred, mode: int = 0o777) -> None:
        """mkdir(2): EEXIST before the mount or the parent's bits are looked at."""
        if self._walk(path, cred) is not None:
            raise FsError(EEXIST)
        self._may_create(path, cred)
        parent = self._nodes[posixpath.dirname(path)]
        gid = parent.gid if parent.mode & st.S_ISGID else cred.gid
        bits = (mode & ~_UMASK & 0o7777) | (parent.mode & st.S_ISGID)
        self._nodes[path] = Node(st.S_IFDIR | bits, int(self._now()),
                                 uid=cred.uid, gid=gid)

    def unlink_as(self, path: str, cred: Cred, recursive: bool) -> None:
        """unlink(2), or rmdir(2) of a tree for ``rm -r``: write and search on every directory emptied."""
        node = self.lookup(path, cred)
        if _read_only(path):
            raise FsError(EROFS)
        self._may_write_dir(posixpath.dirname(path), cred)
        if node.is_dir:
            if not recursive:
                raise FsError(EISDIR)
            for key, child in list(self._nodes.items()):
                if key.startswith(path + "/") and child.is_dir and not _permits(child, cred, _R | _W | _X):
                    raise FsError(EACCES)
        self.remove(path)

    # -- checks ----------------------------------------------------------------------------------------
    def _walk(self, path: str, cred: Cred) -> Node | None:
        parts = [p for p in path.split("/") if p]
        cur = ""
        for part in parts[:-1]:
            cur += "/" + part
            node = self._nodes.get(cur)
            if node is None:
                raise FsError(ENOENT)
            if not node.is_dir:
                raise FsError(ENOTDIR)
            if not _permits(node, cred, _X):
                raise FsError(EACCES)
        return self._nodes.get(path)

    def _may_write_dir(self, directory: str, cred: Cred) -> None:
        if not _permits(self._nodes[directory], cred, _W | _X):
            raise FsError(EACCES)

    def _may_create(self, path: str, cred: Cred) -> None:
        if _read_only(path):
            raise FsError(EROFS)
        self._may_write_dir(posixpath.dirname(path), cred)

    def _may_modify(self, path: str, node: Node, cred: Cred) -> None:
        if node.is_dir:
            raise FsError(EISDIR)
        if _read_only(path):
            raise FsError(EROFS)
        if not _permits(node, cred, _W):
            raise FsError(EACCES)

    def _create_file(self, path: str, cred: Cred) -> None:
        parent = self._nodes[posixpath.dirname(path)]
        gid = parent.gid if parent.mode & st.S_ISGID else cred.gid
        self.write(path, b"", mode=0o666 & ~_UMASK, uid=cred.uid, gid=gid)
