"""``com.apple.mobile.mobile_image_mounter``: is the developer disk image mounted?

Developer services (DVT instruments) exist only while the DeveloperDiskImage is mounted; on iOS 17+ the
image is the personalized one (``pmd3:services/mobile_image_mounter.py:image_type_for_device``). Clients
ask with length-prefixed plist commands (``limd@1.3.0:src/mobile_image_mounter.c``):

- ``LookupImage {ImageType}``. iOS 14+ answers ``{"ImageSignature": [<128-byte signature>]}`` for a
  mounted image (a real reply, jkcoxson/idevice#54) and an empty list when none is mounted; iOS 17+ adds
  ``Status: Complete`` (pymobiledevice3#1815). Before iOS 14 the reply carries ``ImagePresent`` and a
  bare signature, the legacy form ``lookup_image`` still accepts.
- ``CopyDevices`` (iOS 14+): ``{"EntryList": [{DiskImageType, IsMounted, ImageSignature, MountPath}],
  "Status": "Complete"}`` (``pmd3 list_images``; idb ``FBDeviceDeveloperDiskImageCommands`` reads
  ``MountPath``/``ImageSignature``). Older proxies answer ``UnknownCommand`` and hang up (pmd3's
  ``is_image_mounted``, observed on iOS 12.5.7).
- ``UnmountImage {MountPath}`` (iOS 14+), ``QueryDeveloperModeStatus`` (iOS 16+), ``Hangup``
  (``ideviceimagemounter`` sends it last and reads one reply).

``VirtualIPhone.developer_image_mounted`` is the state; ``UnmountImage`` clears it. Mounting is not
modelled: a phone verifies the uploaded image against its signature, which the lab cannot do honestly.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

from harness.lab.ios.codec import PlistFrameDecoder, ProtocolError, encode_plist_frame
from harness.lab.ios.link import Link

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["ImageMounter", "image_signature", "ios_version", "serve_image_mounter"]

log = logging.getLogger("harness.lab.ios.image_mounter")

Reply = dict[str, Any]


def ios_version(device: VirtualIPhone) -> tuple[int, int]:
    """(major, minor) of the phone's ProductVersion."""
    parts = [int(p) if p.isdigit() else 0 for p in device.ident.os_version.split(".")[:2]]
    major, minor = [*parts, 0, 0][:2]
    return major, minor


def image_signature(device: VirtualIPhone) -> bytes:
    """The signature of the image for this iOS version: a stable 128-byte stand-in, the size of a real
    DeveloperDiskImage.dmg.signature."""
    major, minor = ios_version(device)
    seed = f"DeveloperDiskImage {major}.{minor}".encode()
    return hashlib.sha512(seed).digest() + hashlib.sha512(seed + b"/2").digest()


class ImageMounter:
    """The replies of one mobile_image_mounter connection. No I/O; ``closed`` after a hang-up."""

    def __init__(self, device: VirtualIPhone) -> None:
        self.device = device
        self.major = ios_version(device)[0]
        self.image_type = "Personalized" if self.major >= 17 else "Developer"
        self.mount_path = "/System/Developer" if self.major >= 17 else "/Developer"
        self.closed = False

    def handle(self, request: Any) -> Reply:
        command = request.get("Command") if isinstance(request, dict) else None
        if not isinstance(command, str):
            return {"Error": "MissingCommand"}
        if command == "LookupImage":
            return self._lookup(request.get("ImageType"))
        if command == "CopyDevices" and self.major >= 14:
            return {"EntryList": [self._entry()] if self.device.developer_image_mounted else [],
                    "Status": "Complete"}
        if command == "UnmountImage" and self.major >= 14:
            return self._unmount(request.get("MountPath"))
        if command == "QueryDeveloperModeStatus" and self.major >= 16:
            return {"DeveloperModeStatus": True}
        if command == "Hangup":
            self.closed = True
            return {"Status": "Complete"}
        self.closed = self.major < 14  # the legacy proxy hangs up after an unknown command
        return {"Error": "UnknownCommand"}

    def _mounted(self, image_type: str) -> bool:
        return self.device.developer_image_mounted and image_type == self.image_type

    def _lookup(self, image_type: Any) -> Reply:
        if not isinstance(image_type, str):
            return {"Error": "MissingImageType"}
        mounted = self._mounted(image_type)
        if self.major < 14:
            legacy: Reply = {"ImagePresent": mounted, "Status": "Complete"}
            return {**legacy, "ImageSignature": image_signature(self.device)} if mounted else legacy
        reply: Reply = {"ImageSignature": [image_signature(self.device)] if mounted else []}
        return {**reply, "Status": "Complete"} if self.major >= 17 else reply

    def _entry(self) -> Reply:
        return {"DiskImageType": self.image_type, "ImageSignature": image_signature(self.device),
                "IsMounted": True, "MountPath": self.mount_path}

    def _unmount(self, mount_path: Any) -> Reply:
        # pmd3 unmount_image maps "There is no matching entry" in DetailedError to NotMountedError.
        if not self.device.developer_image_mounted or mount_path != self.mount_path:
            return {"Error": "InternalError",
                    "DetailedError": f"There is no matching entry in the device map for {mount_path}."}
        self.device.developer_image_mounted = False
        log.info("[%s] developer disk image unmounted from %s", self.device.name, mount_path)
        return {"Status": "Complete"}


async def serve_image_mounter(device: VirtualIPhone, link: Link) -> None:
    mounter, decoder = ImageMounter(device), PlistFrameDecoder()
    while not mounter.closed and (data := await link.read()):
        try:
            requests = decoder.feed(data)
        except ProtocolError as exc:
            log.warning("[%s] mobile_image_mounter: dropping connection: %s", device.name, exc)
            break
        for request in requests:
            link.write(encode_plist_frame(mounter.handle(request)))
            if mounter.closed:
                break
        await link.drain()
    link.close()
