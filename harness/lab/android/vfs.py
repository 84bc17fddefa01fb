"""The virtual phone's file system: enough for ``adb push/pull/ls``, ``cat`` and app data dirs."""

from __future__ import annotations

import posixpath
import stat as st
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["FileSystem", "Node"]


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


_DEFAULT_DIRS = (
    "/data", "/data/local", "/data/local/tmp", "/data/data", "/data/user", "/data/user/0", "/data/app",
    "/data/system", "/sdcard", "/storage", "/storage/emulated", "/storage/emulated/0",
    "/storage/emulated/0/Download", "/system", "/system/bin", "/vendor", "/proc", "/dev", "/cache",
)


class FileSystem:
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._nodes: dict[str, Node] = {"/": Node(st.S_IFDIR | 0o755, int(now()))}
        for path in _DEFAULT_DIRS:
            self.mkdirs(path)
        self.write("/dev/null", b"", mode=0o666)

    @staticmethod
    def resolve(path: str, cwd: str = "/") -> str:
        # /sdcard is a symlink to /storage/self/primary → /storage/emulated/0 on a real phone.
        full = posixpath.normpath(posixpath.join(cwd, path))
        if full == "/sdcard" or full.startswith("/sdcard/"):
            full = "/storage/emulated/0" + full[len("/sdcard") :]
        return "/" + full.lstrip("/") if full != "/" else "/"

    def get(self, path: str) -> Node | None:
        return self._nodes.get(self.resolve(path))

    def mkdirs(self, path: str, mode: int = 0o771, uid: int = 1000) -> None:
        path = self.resolve(path)
        parts = [p for p in path.split("/") if p]
        cur = ""
        for part in parts:
            cur += "/" + part
            if cur not in self._nodes:
                self._nodes[cur] = Node(st.S_IFDIR | mode, int(self._now()), uid=uid, gid=uid)

    def write(self, path: str, data: bytes, mode: int = 0o644, mtime: int | None = None, uid: int = 2000,
              append: bool = False) -> Node:
        path = self.resolve(path)
        parent = posixpath.dirname(path)
        if parent not in self._nodes or not self._nodes[parent].is_dir:
            raise FileNotFoundError(parent)
        node = self._nodes.get(path)
        if node is not None and node.is_dir:
            raise IsADirectoryError(path)
        if node is None or not append:
            node = Node(st.S_IFREG | (mode & 0o7777), int(self._now()), uid=uid, gid=uid)
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

    # -- shell helpers ----------------------------------------------------------------------
    def read_for_shell(self, path: str, cwd: str) -> bytes | None:
        try:
            return self.read(self.resolve(path, cwd))
        except (FileNotFoundError, IsADirectoryError):
            return None

    def writer_for_shell(self, path: str, cwd: str, append: bool) -> Callable[[bytes], None] | None:
        full = self.resolve(path, cwd)
        if full == "/dev/null":
            return lambda _data: None
        try:
            self.write(full, b"", append=append)
        except (FileNotFoundError, IsADirectoryError):
            return None

        def sink(data: bytes) -> None:
            self.write(full, data, append=True)

        return sink
