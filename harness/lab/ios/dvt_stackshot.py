"""``com.apple.instruments.server.services.coreprofilesessiontap``: kperf's tap, of which the lab serves
the stackshot.

pymobiledevice3 (``pmd3:services/dvt/instruments/core_profile_session_tap.py``) sends ``setConfig:`` (the
kdebug triggers) and ``start`` without waiting for replies, takes the first message on the channel as an
acknowledgement, then reads until a DATA message that begins with ``KCDATA_BUFFER_BEGIN_STACKSHOT``: the
stackshot every tap sends once, before the kdebug trace. The lab sends the acknowledgement (a notice of
the kind pymobiledevice3's own tests feed it, ``{"k": 7, "sm": {}}``) and the stackshot, and no trace:
it keeps no kernel events.

The stackshot is a kcdata buffer (xnu ``osfmk/kern/kcdata.h``): items of ``type u32, size u32, flags
u64`` and a payload padded to 16 bytes; a task is a ``STACKSHOT_KCCONTAINER_TASK`` container whose flags
carry the task's unique id, holding its ``task_snapshot`` (``task_snapshot_v2``: seven u64, seven u32,
the pid, a 32-byte command name). ``kernel_task`` (pid 0) comes first, then every process the phone runs.
"""

from __future__ import annotations

import struct
import uuid
from typing import TYPE_CHECKING, Any

from harness.lab.ios import catalog
from harness.lab.ios.dvt_channels import DvtChannel, Reply

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["CORE_PROFILE_SESSION_TAP", "CoreProfileSessionTapService", "stackshot"]

CORE_PROFILE_SESSION_TAP = "com.apple.instruments.server.services.coreprofilesessiontap"
# xnu osfmk/kern/kcdata.h and kern/stackshot.h
KCDATA_BUFFER_BEGIN_STACKSHOT = 0x59A25807
KCDATA_TYPE_BUFFER_END = 0xF19158ED
KCDATA_TYPE_CONTAINER_BEGIN = 0x13
KCDATA_TYPE_CONTAINER_END = 0x14
KCDATA_TYPE_TIMEBASE = 0x32
KCDATA_TYPE_MACH_ABSOLUTE_TIME = 0x33
KCDATA_TYPE_USECS_SINCE_EPOCH = 0x35
STACKSHOT_KCCONTAINER_TASK = 0x903
STACKSHOT_KCTYPE_TASK_SNAPSHOT = 0x905
STACKSHOT_KCTYPE_SHAREDCACHE_LOADINFO = 0x908
STACKSHOT_KCTYPE_OSVERSION = 0x90F
STACKSHOT_KCTYPE_KERN_PAGE_SIZE = 0x910
_ITEM = struct.Struct("<IIQ")
_TASK_SNAPSHOT = struct.Struct("<7Q7Ii32s")
_SHARED_CACHE = struct.Struct("<Q16sQ")
_MACH_TICKS_PER_S = 24_000_000
# The kernel each iOS major ships (uname -v): Darwin 22 = iOS 16, 23 = iOS 17, 24 = iOS 18.
_DARWIN = {16: ("22.6.0", "xnu-8796.142.1~1"), 17: ("23.6.0", "xnu-10063.142.1~1"),
           18: ("24.1.0", "xnu-11215.42.10~1")}
_ACK = {"k": 7, "sm": {}}


def _item(kind: int, payload: bytes = b"", flags: int = 0) -> bytes:
    padded = payload + bytes(-len(payload) % 16)
    return _ITEM.pack(kind, len(padded), flags) + padded


def osversion(device: VirtualIPhone) -> str:
    major = int(device.ident.os_version.split(".")[0])
    darwin, xnu = _DARWIN.get(major, _DARWIN[18])
    soc = catalog.model_info(device.ident.product_type).platform
    return f"Darwin Kernel Version {darwin}; root:{xnu}/RELEASE_ARM64_{soc.upper()}"


def _task(unique_id: int, pid: int, name: str, start_s: int) -> bytes:
    snapshot = _TASK_SNAPSHOT.pack(unique_id, 0, 0, 0, start_s, 0, 0, 0, 0, 0, 0, 0, 0, 0, pid,
                                   name.encode()[:31])
    marker = struct.pack("<I", STACKSHOT_KCCONTAINER_TASK)
    return (_item(KCDATA_TYPE_CONTAINER_BEGIN, marker, unique_id) + _item(STACKSHOT_KCTYPE_TASK_SNAPSHOT, snapshot)
            + _item(KCDATA_TYPE_CONTAINER_END, marker, unique_id))


def stackshot(device: VirtualIPhone) -> bytes:
    """The phone's stackshot now: its kernel, clocks, shared cache and tasks."""
    now, uptime = device.clock.now(), device.clock.uptime()
    boot_s = int(now - uptime)
    cache_uuid = uuid.uuid5(uuid.NAMESPACE_DNS, f"dyld_shared_cache.{device.ident.os_version}").bytes
    parts = [
        _item(KCDATA_BUFFER_BEGIN_STACKSHOT),
        _item(STACKSHOT_KCTYPE_OSVERSION, osversion(device).encode() + b"\0"),
        _item(STACKSHOT_KCTYPE_KERN_PAGE_SIZE, struct.pack("<I", 16384)),
        _item(KCDATA_TYPE_MACH_ABSOLUTE_TIME, struct.pack("<Q", int(uptime * _MACH_TICKS_PER_S))),
        _item(KCDATA_TYPE_USECS_SINCE_EPOCH, struct.pack("<Q", int(now * 1_000_000))),
        _item(KCDATA_TYPE_TIMEBASE, struct.pack("<II", 125, 3)),
        _item(STACKSHOT_KCTYPE_SHAREDCACHE_LOADINFO, _SHARED_CACHE.pack(0x180000000, cache_uuid, 0x180000000)),
        _task(0, 0, "kernel_task", boot_s),
    ]
    for pid, name in sorted(device.processes.items()):
        if pid == 0:
            continue  # the kernel (its log calls it "kernel") is kernel_task, already written
        started = device.daemon_started.get(pid)
        parts.append(_task(pid, pid, name, int(started) if started is not None else boot_s))
    parts.append(_item(KCDATA_TYPE_BUFFER_END))
    return b"".join(parts)


class CoreProfileSessionTapService(DvtChannel):
    objc_class = "DTKTraceTapService"

    def __init__(self, device: VirtualIPhone, address: int) -> None:
        super().__init__(device, address)
        self.config: dict[str, Any] = {}
        self.methods = {"setConfig:": self.set_config, "start": self.start, "stop": lambda: None}

    def set_config(self, config: Any) -> Reply:
        self.config = config if isinstance(config, dict) else {}
        return None

    def start(self) -> Reply:
        self.emit(_ACK)
        self.emit_data(stackshot(self.device))
        return None
