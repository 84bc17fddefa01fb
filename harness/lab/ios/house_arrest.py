"""``com.apple.mobile.house_arrest``: an app's data container over AFC.

The client sends one plist command, ``{"Command": "VendContainer"|"VendDocuments", "Identifier": bundle}``
(``pmd3:services/house_arrest.py:send_command``; ``limd@1.3.0:src/house_arrest.c``). What
``mobile_house_arrest`` answers (decompiled daemon, ``sub_100001F88`` and its request handler):

- not a dictionary / no string ``Command`` → ``MissingCommand``; no string ``Identifier`` →
  ``MissingIdentifier``; another command → ``UnknownCommand``;
- no app or app extension with that bundle id → ``ApplicationLookupFailed`` (pmd3: AppNotInstalledError);
- not a ``User`` app (a system app) → ``InstallationLookupFailed``; ``VendDocuments`` of an app without
  ``UIFileSharingEnabled`` → ``InstallationLookupFailed``; ``VendContainer`` of an app not signed with a
  development profile (an App Store build) → ``InstallationLookupFailed`` (go-ios falls back to
  ``VendDocuments`` for exactly that case);
- a container the phone cannot find → ``MissingContainer``.

Every error is ``{"Error": name}`` and the daemon then closes the connection. On success the reply is
``{"Status": "Complete"}`` and the same socket speaks AFC, rooted at the data container; with
``VendDocuments`` only ``Documents/`` may be touched (anything else is PERM_DENIED, as go-ios users see
for ``List("/")``). The files are the OS model's (``IOSSystem.container``), re-read for each batch of
requests so a file the app writes shows up in the next listing. The model offers no writes, so AFC
writes answer OP_NOT_SUPPORTED (``afc.py``).
"""

from __future__ import annotations

import logging
import plistlib
import struct
from typing import TYPE_CHECKING, Any

from harness.lab.ios.afc import AfcNode, AfcProtocolError, AfcSession
from harness.lab.ios.codec import encode_plist_frame
from harness.lab.ios.contracts import ContainerFile
from harness.lab.ios.link import Link
from harness.lab.ios.media import device_info, run_afc

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["ContainerFileSystem", "Vended", "serve_house_arrest", "vend"]

log = logging.getLogger("harness.lab.ios.house_arrest")

VEND_CONTAINER, VEND_DOCUMENTS = "VendContainer", "VendDocuments"
_DEV_SIGNERS = ("Apple Development", "iPhone Developer")  # certificates of development-signed builds
_MAX_REQUEST = 1024 * 1024
_FRAME_LEN = struct.Struct(">I")


class Vended:
    """A successful vend: which app and whether only its Documents are reachable."""

    def __init__(self, bundle_id: str, documents_only: bool) -> None:
        self.bundle_id = bundle_id
        self.documents_only = documents_only


def vend(device: VirtualIPhone, request: Any) -> tuple[dict[str, Any], Vended | None]:
    """The reply to a house_arrest command and, on success, what was vended."""
    command = request.get("Command") if isinstance(request, dict) else None
    if not isinstance(command, str):
        return {"Error": "MissingCommand"}, None
    bundle_id = request.get("Identifier")
    if not isinstance(bundle_id, str):
        return {"Error": "MissingIdentifier"}, None
    if command not in (VEND_CONTAINER, VEND_DOCUMENTS):
        return {"Error": "UnknownCommand"}, None
    error = _refusal(device, bundle_id, documents_only=command == VEND_DOCUMENTS)
    if error is not None:
        return {"Error": error}, None
    return {"Status": "Complete"}, Vended(bundle_id, command == VEND_DOCUMENTS)


def _refusal(device: VirtualIPhone, bundle_id: str, *, documents_only: bool) -> str | None:
    app = device.apps.get(bundle_id)
    if app is None:
        return "ApplicationLookupFailed"
    attrs = app.attributes()
    if app.app_type != "User":
        return "InstallationLookupFailed"  # "invalid application type for %@: System"
    if documents_only and not attrs.get("UIFileSharingEnabled"):
        return "InstallationLookupFailed"  # "file sharing is not enabled for %@"
    if not documents_only and not str(attrs.get("SignerIdentity", "")).startswith(_DEV_SIGNERS):
        return "InstallationLookupFailed"  # "unsupported code signature for %@ (validated profile: false…)"
    if device.system is None or device.system.container(bundle_id) is None:
        return "MissingContainer"  # "failed to retrieve data container for %@"
    return None


class ContainerFileSystem:
    """An app container as AFC sees it: the model's file list, with every parent directory implied."""

    def __init__(self, device: VirtualIPhone, vended: Vended) -> None:
        self.device = device
        self.vended = vended
        self.files: dict[str, ContainerFile] = {}
        self.dirs: dict[str, float] = {"": 0.0}
        self.entries: dict[str, set[str]] = {"": set()}

    def refresh(self) -> None:
        system = self.device.system
        listing = (system.container(self.vended.bundle_id) if system is not None else None) or []
        self.files, self.dirs, self.entries = {}, {"": 0.0}, {"": set()}
        for item in listing:
            path = item.path.strip("/")
            if not path:
                continue
            if item.path.endswith("/"):
                self._add_dir(path, item.mtime_s)
            else:
                self.files[path] = item
                self._add_dir(_parent(path), item.mtime_s)
                self.entries[_parent(path)].add(path.rsplit("/", 1)[-1])

    def _add_dir(self, path: str, mtime_s: float) -> None:
        while True:
            self.dirs[path] = max(self.dirs.get(path, 0.0), mtime_s)
            self.entries.setdefault(path, set())
            if not path:
                return
            parent = _parent(path)
            self.entries.setdefault(parent, set()).add(path.rsplit("/", 1)[-1])
            path = parent

    # -- AfcFileSystem ----------------------------------------------------------------------------
    def lookup(self, path: str) -> AfcNode | None:
        if path in self.dirs:
            return AfcNode(True, 0, int(self.dirs[path] * 1e9), len(self.entries.get(path, ())))
        item = self.files.get(path)
        return AfcNode(False, len(item.data), int(item.mtime_s * 1e9)) if item is not None else None

    def listdir(self, path: str) -> list[str]:
        return sorted(self.entries.get(path, ()))

    def read(self, path: str) -> bytes:
        item = self.files.get(path)
        return item.data if item is not None else b""

    def allowed(self, path: str) -> bool:
        return not self.vended.documents_only or path == "Documents" or path.startswith("Documents/")

    def device_info(self) -> dict[str, str]:
        return device_info(self.device)


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def take_frame(buf: bytearray) -> Any | None:
    """Pop one length-prefixed plist off ``buf``; None until it is complete. Raises ``ValueError``."""
    if len(buf) < _FRAME_LEN.size:
        return None
    (length,) = _FRAME_LEN.unpack_from(buf)
    if length > _MAX_REQUEST:
        raise ValueError(f"house_arrest request of {length} bytes")
    if len(buf) < _FRAME_LEN.size + length:
        return None
    raw = bytes(buf[_FRAME_LEN.size : _FRAME_LEN.size + length])
    del buf[: _FRAME_LEN.size + length]
    try:
        return plistlib.loads(raw)
    except Exception as exc:  # plistlib raises InvalidFileException, ExpatError, ValueError, …
        raise ValueError(f"house_arrest request is not a plist: {exc}") from exc


async def serve_house_arrest(device: VirtualIPhone, link: Link) -> None:
    """One command, then AFC on the same socket until the client hangs up."""
    buf = bytearray()
    try:
        request = None
        while request is None:
            data = await link.read()
            if not data:
                return
            buf += data
            request = take_frame(buf)
        reply, vended = vend(device, request)
        link.write(encode_plist_frame(reply))
        await link.drain()
        if vended is not None:
            fs = ContainerFileSystem(device, vended)
            await run_afc(AfcSession(fs), link, bytes(buf), fs.refresh)
    except (ValueError, AfcProtocolError) as exc:
        log.warning("[%s] house_arrest: dropping connection: %s", device.name, exc)
    finally:
        link.close()
