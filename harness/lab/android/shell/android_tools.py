"""Android's own shell tools: ``service``, ``content``, ``screencap``, ``uiautomator dump``.

Texts from AOSP: frameworks/native/cmds/service/service.cpp (``Found N services:``, ``i<TAB>name: [iface]``,
``Service X: found`` / ``: not found``, ``service: Unknown command X`` with status 10);
frameworks/base/cmds/content/src/com/android/commands/content/Content.java (``Row: 0 _id=1, name=…, value=…``,
``No result found.``); frameworks/base/cmds/screencap/screencap.cpp (``-p`` PNG, else the raw 16-byte header
width/height/format/dataspace and RGBA pixels); frameworks/testing/uiautomator DumpCommand.java (the
misspelled ``UI hierchary dumped to: PATH``).
"""

from __future__ import annotations

import functools
import re
import struct
import zlib
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

from harness.lab.android.device import AndroidDevice
from harness.lab.android.shell.runtime import Invocation, Registry
from harness.lab.android.shell.toybox import write_file

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["install", "png"]

WIDTH, HEIGHT = 1080, 2400  # `wm size`: Physical size: 1080x2400

# The AIDL descriptors `service list` shows for the services the lab models.
_INTERFACES = {
    "activity": "android.app.IActivityManager", "alarm": "android.app.IAlarmManager",
    "appops": "com.android.internal.app.IAppOpsService", "battery": "",
    "batterystats": "com.android.internal.app.IBatteryStats", "deviceidle": "android.os.IDeviceIdleController",
    "device_config": "", "jobscheduler": "android.app.job.IJobScheduler",
    "location": "android.location.ILocationManager",
    "package": "android.content.pm.IPackageManager", "power": "android.os.IPowerManager", "settings": "",
    "usagestats": "android.app.usage.IUsageStatsManager", "window": "android.view.IWindowManager",
}


def _dev(inv: Invocation) -> AndroidDevice:
    assert isinstance(inv.host, AndroidDevice)
    return inv.host


def service(inv: Invocation) -> int:
    args = inv.argv[1:]
    names = sorted(_dev(inv).services)
    if not args:
        inv.err("Usage: service [-h|-?]\n       service list\n       service check SERVICE\n"
                "       service call SERVICE CODE [i32 N | i64 N | f N | d N | s16 STR | null | fd f | nfd n | "
                "afd f ] ...\nOptions:\n   i32: Write the 32-bit integer N into the send parcel.\n")
        return 0
    if args[0] == "list":
        inv.out(f"Found {len(names)} services:\n")
        for index, name in enumerate(names):
            inv.out(f"{index}\t{name}: [{_INTERFACES.get(name, '')}]\n")
        return 0
    if args[0] == "check":
        if len(args) < 2:
            inv.err("service: No service specified for check\n")
            return 10
        inv.out(f"Service {args[1]}: {'found' if args[1] in names else 'not found'}\n")
        return 0
    inv.err(f"service: Unknown command {args[0]}\n")
    return 10


# -- content ---------------------------------------------------------------------------------------------

_URI = re.compile(r"content://settings/(system|secure|global)(?:/([^/]+))?$")
_WHERE = re.compile(r"""^\s*name\s*=\s*(['"])(.*)\1\s*$""")


def _content_args(args: list[str]) -> dict[str, str]:
    opts: dict[str, str] = {}
    while args:
        key = args.pop(0)
        if key.startswith("--") and args:
            opts[key[2:]] = args.pop(0)
    return opts


def content(inv: Invocation) -> int:
    args = inv.argv[1:]
    if not args or args[0] not in ("query", "insert", "update", "delete"):
        inv.err(f"Error: Unknown command: {args[0]}\n" if args else "usage: adb shell content [subcommand] "
                "[options]\n")
        return 1
    verb, opts = args[0], _content_args(args[1:])
    match = _URI.match(opts.get("uri", ""))
    if match is None:
        inv.err(f"Error while accessing provider:{_authority(opts.get('uri', ''))}\n"
                f"java.lang.IllegalArgumentException: Unknown URI {opts.get('uri', '')}\n")
        return 1
    namespace, key = match.group(1), match.group(2)
    table = _dev(inv).settings[namespace]
    if verb == "query":
        return _query(inv, table, key, opts)
    bind = dict(_binding(b) for b in _all_binds(args))
    name = bind.get("name", key or "")
    if verb == "delete":
        where = _WHERE.match(opts.get("where", ""))
        name = key or (where.group(2) if where else "")
    _dev(inv).services["settings"].put(namespace, name, None if verb == "delete" else bind.get("value", ""))  # type: ignore[attr-defined]
    return 0


def _authority(uri: str) -> str:
    return uri.removeprefix("content://").partition("/")[0]


def _all_binds(args: list[str]) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--bind"]


def _binding(spec: str) -> tuple[str, str]:
    """``name:s:value`` (column:type:value)."""
    name, _, rest = spec.partition(":")
    return name, rest.partition(":")[2]


def _query(inv: Invocation, table: dict[str, str], key: str | None, opts: dict[str, str]) -> int:
    rows = sorted(table.items())
    where = _WHERE.match(opts["where"]) if "where" in opts else None
    if key is not None:
        rows = [(k, v) for k, v in rows if k == key]
    elif where is not None:
        rows = [(k, v) for k, v in rows if k == where.group(2)]
    columns = opts.get("projection", "_id:name:value").split(":")
    if not rows:
        inv.out("No result found.\n")
        return 0
    for index, (name, value) in enumerate(rows):
        ids = {"_id": str(sorted(table).index(name) + 1), "name": name, "value": value}
        inv.out(f"Row: {index} " + ", ".join(f"{c}={ids.get(c, 'NULL')}" for c in columns) + "\n")
    return 0


# -- screencap, uiautomator ---------------------------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def png(width: int, height: int, rgba: tuple[int, int, int, int] = (250, 250, 250, 255)) -> bytes:
    """A solid-colour RGBA PNG, as screencap -p encodes the framebuffer (cached: the screen is not drawn)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" + bytes(rgba) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height, 6))
            + chunk(b"IEND", b""))


def screencap(inv: Invocation) -> int:
    args = [a for a in inv.argv[1:] if a not in ("-a",)]
    as_png = "-p" in args
    files = [a for a in args if not a.startswith("-")]
    if files and files[0].endswith(".png"):
        as_png = True
    if as_png:
        data = png(WIDTH, HEIGHT)
    else:  # raw: width, height, PIXEL_FORMAT_RGBA_8888, dataspace (sRGB), then the pixels
        data = struct.pack("<IIII", WIDTH, HEIGHT, 1, 0x8C20000) + bytes((250, 250, 250, 255)) * (WIDTH * HEIGHT)
    if not files:
        inv.stdout.write(data)
        return 0
    refused = write_file(inv, files[0], data)
    if refused is not None:  # screencap.cpp: "Error opening file: %s (%s)"
        inv.err(f"Error opening file: {files[0]} ({refused})\n")
        return 1
    return 0


def _hierarchy(dev: AndroidDevice) -> str:
    activity = getattr(dev, "activity", None)
    top = getattr(activity, "top", None) if activity is not None else None
    package = top or "com.google.android.apps.nexuslauncher"
    bounds = f"[0,0][{WIDTH},{HEIGHT}]"
    node = (f'<node index="0" text="" resource-id="" class="android.widget.FrameLayout" package={quoteattr(package)} '
            'content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" '
            'focused="false" scrollable="false" long-clickable="false" password="false" selected="false" '
            f'bounds="{bounds}" />')
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
            f'<hierarchy rotation="0">{node}</hierarchy>')


def uiautomator(inv: Invocation) -> int:
    args = inv.argv[1:]
    if not args or args[0] != "dump":
        inv.err("Usage: uiautomator <subcommand> [options]\n\nAvailable subcommands:\n\nhelp: displays help "
                "message\n\nruntest: executes UI automation tests\n\ndump: creates an XML dump of current UI "
                "hierarchy\n\nevents: prints out accessibility events until terminated\n")
        return 0 if not args else 1
    files = [a for a in args[1:] if not a.startswith("-")]
    path = files[0] if files else "/sdcard/window_dump.xml"
    if write_file(inv, path, _hierarchy(_dev(inv)).encode()) is not None:
        inv.err(f"ERROR: could not write to {path}\n")
        return 1
    # DumpCommand.java prints the path it was given (the misspelling is AOSP's)
    inv.out(f"UI hierchary dumped to: {path}\n")
    return 0


def install(reg: Registry) -> None:
    for name, fn in {"service": service, "content": content, "screencap": screencap,
                     "uiautomator": uiautomator}.items():
        reg.add(name, fn)
