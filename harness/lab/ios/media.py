"""``com.apple.afc``: the phone's media directory (``/var/mobile/Media``) over AFC, which every iPhone offers.

Unlike house_arrest (``house_arrest.py``), the client sends no command first: the connection speaks AFC
from its first byte (``pmd3:services/afc.py:AfcService.SERVICE_NAME``; ``limd@1.3.0:src/afc.c:
afc_client_start_service``), rooted at the media directory, and may write to it: pymobiledevice3's
device suite creates, renames and removes files and directories at the root
(``tests/services/test_afc.py``), as ``pymobiledevice3 afc push`` and Finder's photo import do.

The tree is one per phone (``VirtualIPhone.media``), kept in memory for the phone's life, so what one
connection writes the next one reads. It starts with what a used phone's media directory holds: the
camera roll under ``DCIM/100APPLE``, the Photos library under ``PhotoData``, the iTunes/Music library under
``iTunes_Control``, Books, Downloads (the iTunes Store's download queue), Recordings, Purchases,
``PublicStaging`` absent until an app is installed over the cable. Files carry the first bytes of their
real format (an ISO-BMFF ``ftyp`` box for HEIC/MOV, the SQLite header for the databases); the rest is
zeros, enough for a listing, a stat or a pull, not an image viewer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.ios.afc import AfcDecoder, AfcError, AfcNode, AfcProtocolError, AfcSession
from harness.lab.ios.link import Link

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["AFC_SERVICE", "MediaFileSystem", "run_afc", "serve_afc"]

log = logging.getLogger("harness.lab.ios.media")

AFC_SERVICE = "com.apple.afc"
_DAY_S = 86_400.0
_SQLITE = b"SQLite format 3\0" + bytes(4080)  # one 4 KiB page: the header and nothing in it
_HEIC = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(1_900_000 - 24)  # a 12 MP photo's size
_MOV = b"\0\0\0\x14ftypqt  \0\0\0\0qt  " + bytes(4_600_000 - 20)  # a few seconds of HEVC video
_PLIST = b"bplist00\xd0\x08\0\0\0\0\0\0\x01\x01\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x09"
# (path, contents, age in days); a path ending in "/" is an empty directory.
_STOCK: tuple[tuple[str, bytes, float], ...] = (
    ("AirFair/sync/", b"", 200.0),
    ("Books/Purchases/", b"", 200.0),
    ("Books/Sync/", b"", 200.0),
    ("DCIM/100APPLE/IMG_0001.HEIC", _HEIC, 41.2),
    ("DCIM/100APPLE/IMG_0002.HEIC", _HEIC, 12.6),
    ("DCIM/100APPLE/IMG_0003.MOV", _MOV, 12.5),
    ("DCIM/100APPLE/IMG_0004.HEIC", _HEIC, 1.3),
    ("Downloads/downloads.28.sqlitedb", _SQLITE, 3.0),
    ("MediaAnalysis/mediaanalysis.db", _SQLITE, 1.2),
    ("PhotoData/Photos.sqlite", _SQLITE, 1.3),
    ("PhotoData/Thumbnails/V2/DCIM/100APPLE/", b"", 1.3),
    ("PhotoData/CPLAssets/", b"", 41.0),
    ("Photos/", b"", 200.0),
    ("Purchases/", b"", 200.0),
    ("Recordings/", b"", 200.0),
    ("iTunes_Control/Artwork/", b"", 200.0),
    ("iTunes_Control/iTunes/MediaLibrary.sqlitedb", _SQLITE, 3.0),
    ("iTunes_Control/iTunes/iTunesPrefs", _PLIST, 3.0),
    ("iTunes_Control/Music/", b"", 200.0),
    ("iTunes_Control/Ringtones/", b"", 200.0),
    ("com.apple.itunes.lock_sync", b"", 3.0),
    ("general_storage/", b"", 200.0),
)


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


class MediaFileSystem:
    """The media directory: an ``AfcFileSystem`` and ``AfcWriter``. Paths are normalised, "" is the root.
    Times are the phone's clock, so a file written now stats as written now (pymobiledevice3 compares
    ``st_mtime`` with lockdown's ``TimeIntervalSince1970``)."""

    def __init__(self, device: VirtualIPhone) -> None:
        self.device = device
        self.dirs: dict[str, float] = {"": device.clock.now() - 200 * _DAY_S}
        self.files: dict[str, tuple[bytes, float]] = {}
        now = device.clock.now()
        for path, data, age_days in _STOCK:
            mtime = now - age_days * _DAY_S
            if path.endswith("/"):
                self._add_dirs(path.rstrip("/"), mtime)
            else:
                self._add_dirs(_parent(path), mtime)
                self.files[path] = (data, mtime)

    def _add_dirs(self, path: str, mtime: float) -> None:
        while path and path not in self.dirs:
            self.dirs[path] = mtime
            path = _parent(path)

    def _touch(self, path: str) -> None:
        self.dirs[path] = self.device.clock.now()

    # -- AfcFileSystem ------------------------------------------------------------------------------
    def lookup(self, path: str) -> AfcNode | None:
        if path in self.dirs:
            return AfcNode(True, 0, int(self.dirs[path] * 1e9), len(self.listdir(path)))
        if path in self.files:
            data, mtime = self.files[path]
            return AfcNode(False, len(data), int(mtime * 1e9))
        return None

    def listdir(self, path: str) -> list[str]:
        return sorted({p.rsplit("/", 1)[-1] for p in (*self.dirs, *self.files) if p and _parent(p) == path})

    def read(self, path: str) -> bytes:
        return self.files[path][0] if path in self.files else b""

    def allowed(self, path: str) -> bool:
        return True

    def device_info(self) -> dict[str, str]:
        return device_info(self.device)

    # -- AfcWriter ------------------------------------------------------------------------------------
    def store(self, path: str, data: bytes) -> AfcError:
        if path in self.dirs:
            return AfcError.OBJECT_IS_DIR
        if _parent(path) not in self.dirs:
            return AfcError.OBJECT_NOT_FOUND  # open(2) with O_CREAT under a missing directory: ENOENT
        self.files[path] = (data, self.device.clock.now())
        self._touch(_parent(path))
        return AfcError.SUCCESS

    def make_dirs(self, path: str) -> AfcError:
        """``mkdir -p``: OBJECT_EXISTS when a file is in the way (pmd3 ``test_makedirs_file``)."""
        parts = path.split("/") if path else []
        for depth in range(1, len(parts) + 1):
            if "/".join(parts[:depth]) in self.files:
                return AfcError.OBJECT_EXISTS
        for depth in range(1, len(parts) + 1):
            here = "/".join(parts[:depth])
            if here not in self.dirs:
                self.dirs[here] = self.device.clock.now()
                self._touch(_parent(here))
        return AfcError.SUCCESS

    def remove(self, path: str) -> AfcError:
        if path in self.files:
            del self.files[path]
        elif path in self.dirs:
            if self.listdir(path):
                return AfcError.DIR_NOT_EMPTY
            del self.dirs[path]
        else:
            return AfcError.OBJECT_NOT_FOUND
        self._touch(_parent(path))
        return AfcError.SUCCESS

    def rename(self, source: str, target: str) -> AfcError:
        """rename(2): the target's directory must exist; a file replaces a file; a directory moves with
        everything under it and cannot move into itself."""
        if source not in self.files and source not in self.dirs:
            return AfcError.OBJECT_NOT_FOUND
        if source == target:
            return AfcError.SUCCESS
        if _parent(target) not in self.dirs:
            return AfcError.OBJECT_NOT_FOUND
        if source in self.files:
            if target in self.dirs:
                return AfcError.OBJECT_IS_DIR
            self.files[target] = self.files.pop(source)
        else:
            if target.startswith(f"{source}/") or target in self.files or self.listdir(target):
                return AfcError.INVALID_ARG if target.startswith(f"{source}/") else AfcError.OBJECT_EXISTS
            self._move_tree(source, target)
        self._touch(_parent(source))
        self._touch(_parent(target))
        return AfcError.SUCCESS

    def _move_tree(self, source: str, target: str) -> None:
        def moved(path: str) -> str:
            return target + path[len(source):]

        under = f"{source}/"
        self.dirs = {moved(p) if p == source or p.startswith(under) else p: t for p, t in self.dirs.items()}
        self.files = {moved(p) if p.startswith(under) else p: v for p, v in self.files.items()}


def device_info(device: VirtualIPhone) -> dict[str, str]:
    """GET_DEVINFO: the phone's model and its data partition (``pmd3 afc.get_device_info``)."""
    return {"Model": device.ident.product_type, "FSTotalBytes": str(device.disk_total),
            "FSFreeBytes": str(device.disk_free), "FSBlockSize": "4096"}


async def run_afc(session: AfcSession, link: Link, pending: bytes = b"",
                  before_batch: Callable[[], None] | None = None) -> None:
    """Answer AFC requests on ``link`` until the client hangs up; ``before_batch`` runs before each batch
    of requests (house_arrest re-reads the app's container there). Bad framing raises AfcProtocolError."""
    decoder = AfcDecoder()
    data = pending
    while True:
        packets = decoder.feed(data)
        if packets and before_batch is not None:
            before_batch()
        for packet in packets:
            link.write(session.handle(packet))
        await link.drain()
        data = await link.read()
        if not data:
            return


async def serve_afc(device: VirtualIPhone, link: Link) -> None:
    """``com.apple.afc``: AFC over the phone's media directory until the client hangs up."""
    fs = device.media
    try:
        await run_afc(AfcSession(fs, fs), link)
    except AfcProtocolError as exc:
        log.warning("[%s] afc: dropping connection: %s", device.name, exc)
    finally:
        link.close()
