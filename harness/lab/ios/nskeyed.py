"""NSKeyedArchiver archives, as DTX payloads and arguments carry them: a pure encoder and decoder.

An archive is a binary plist ``{"$archiver": "NSKeyedArchiver", "$version": 100000, "$top": {"root": UID},
"$objects": ["$null", …]}``; objects refer to each other by ``UID`` index into ``$objects``, and every
class object is ``{"$classname": name, "$classes": [name, …superclasses]}`` (swift-corelibs-foundation
``NSKeyedArchiver.swift``; the same layout ``bpylist2.archiver``, the archiver pymobiledevice3 uses, reads
and writes). Strings, numbers and data sit in ``$objects`` as plain plist values; ``NSDictionary`` keeps
``NS.keys``/``NS.objects``, ``NSArray`` ``NS.objects``, ``NSError`` ``NSDomain``/``NSCode``/``NSUserInfo``
and ``NSDate`` ``NS.time`` (seconds since 2001-01-01).

This module is the lab's own so that the phone never shares a global class map with a client running in
the same process (bpylist2 keeps one, and pymobiledevice3 registers its classes in it).
"""

from __future__ import annotations

import plistlib
import uuid
from dataclasses import dataclass
from typing import Any

__all__ = ["COCOA_EPOCH_UNIX", "NSDate", "NSError", "NSKeyedError", "archive", "unarchive"]

COCOA_EPOCH_UNIX = 978307200.0  # 2001-01-01T00:00:00Z, the reference date of NSDate
_VERSION = 100000
_MAX_DEPTH = 64
_MAX_ARCHIVE = 16 * 1024 * 1024
_SUPERCLASSES = {
    "NSDictionary": ["NSDictionary", "NSObject"],
    "NSArray": ["NSArray", "NSObject"],
    "NSError": ["NSError", "NSObject"],
    "NSDate": ["NSDate", "NSObject"],
}


class NSKeyedError(ValueError):
    """The bytes are not an NSKeyedArchiver archive the lab understands."""


@dataclass(frozen=True, slots=True)
class NSError:
    """An ``NSError``: what a DTX ERROR reply carries."""

    code: int
    domain: str
    user_info: dict[str, Any] | None = None

    @property
    def description(self) -> str:
        info = self.user_info or {}
        return str(info.get("NSLocalizedDescription", f"{self.domain} error {self.code}"))


@dataclass(frozen=True, slots=True)
class NSDate:
    """An ``NSDate``, held as Unix seconds."""

    unix_s: float


# -- encoding -------------------------------------------------------------------------------------
class _Archiver:
    def __init__(self) -> None:
        self.objects: list[Any] = ["$null"]
        self.classes: dict[str, plistlib.UID] = {}

    def class_uid(self, name: str) -> plistlib.UID:
        if name not in self.classes:
            self.classes[name] = plistlib.UID(len(self.objects))
            self.objects.append({"$classname": name, "$classes": _SUPERCLASSES.get(name, [name, "NSObject"])})
        return self.classes[name]

    def add(self, value: Any, depth: int = 0) -> plistlib.UID:
        if value is None:
            return plistlib.UID(0)
        if depth > _MAX_DEPTH:
            raise NSKeyedError("object graph nested too deeply to archive")
        if isinstance(value, bool | int | float | str | bytes):
            self.objects.append(value)
            return plistlib.UID(len(self.objects) - 1)
        index = len(self.objects)
        self.objects.append(None)  # reserve: the root is UID(1), children come after their parent
        self.objects[index] = self._keyed(value, depth)
        return plistlib.UID(index)

    def _keyed(self, value: Any, depth: int) -> dict[str, Any]:
        if isinstance(value, dict):
            keys = [self.add(key, depth + 1) for key in value]
            objs = [self.add(item, depth + 1) for item in value.values()]
            return {"NS.keys": keys, "NS.objects": objs, "$class": self.class_uid("NSDictionary")}
        if isinstance(value, list | tuple):
            return {"NS.objects": [self.add(item, depth + 1) for item in value], "$class": self.class_uid("NSArray")}
        if isinstance(value, NSError):
            # -[NSError encodeWithCoder:] writes the code inline (encodeInteger:forKey:)
            return {"NSCode": value.code, "NSDomain": self.add(value.domain, depth + 1),
                    "NSUserInfo": self.add(value.user_info, depth + 1), "$class": self.class_uid("NSError")}
        if isinstance(value, NSDate):
            return {"NS.time": value.unix_s - COCOA_EPOCH_UNIX, "$class": self.class_uid("NSDate")}
        raise NSKeyedError(f"cannot archive a {type(value).__name__}")


def archive(value: Any) -> bytes:
    """``value`` (None, bool, int, float, str, bytes, list, dict, NSError, NSDate) as a binary archive."""
    archiver = _Archiver()
    root = archiver.add(value)
    top = {"$archiver": "NSKeyedArchiver", "$version": _VERSION, "$top": {"root": root},
           "$objects": archiver.objects}
    return plistlib.dumps(top, fmt=plistlib.FMT_BINARY, sort_keys=False)


# -- decoding -------------------------------------------------------------------------------------
class _Unarchiver:
    def __init__(self, objects: list[Any]) -> None:
        self.objects = objects
        self.seen = 0

    def value(self, ref: Any, depth: int) -> Any:
        """A keyed object's field: a UID reference or an inline number."""
        return self.object(ref, depth) if isinstance(ref, plistlib.UID) else ref

    def object(self, uid: plistlib.UID, depth: int) -> Any:
        self.seen += 1
        if depth > _MAX_DEPTH or self.seen > 100_000:
            raise NSKeyedError("archive nested too deeply or too large (a cycle?)")
        if uid.data == 0:
            return None
        if not 0 < uid.data < len(self.objects):
            raise NSKeyedError(f"UID {uid.data} outside $objects")
        raw = self.objects[uid.data]
        if not isinstance(raw, dict):
            return raw  # NSString, NSNumber and NSData are stored as plain plist values
        cls = raw.get("$class")
        if not isinstance(cls, plistlib.UID) or not 0 < cls.data < len(self.objects):
            raise NSKeyedError("keyed object without a valid $class")
        meta = self.objects[cls.data]
        name = meta.get("$classname") if isinstance(meta, dict) else None
        if not isinstance(name, str):
            raise NSKeyedError("class object without $classname")
        return self._decode_class(name, raw, depth + 1)

    def _decode_class(self, name: str, raw: dict[str, Any], depth: int) -> Any:
        if name in ("NSDictionary", "NSMutableDictionary"):
            keys, objs = raw.get("NS.keys", []), raw.get("NS.objects", [])
            if not isinstance(keys, list) or not isinstance(objs, list) or len(keys) != len(objs):
                raise NSKeyedError("malformed NSDictionary")
            out: dict[Any, Any] = {}
            for key, obj in zip(keys, objs, strict=True):
                decoded = self.value(key, depth)
                if isinstance(decoded, dict | list):
                    raise NSKeyedError("unhashable NSDictionary key")
                out[decoded] = self.value(obj, depth)
            return out
        if name in ("NSArray", "NSMutableArray", "NSSet", "NSMutableSet"):
            objs = raw.get("NS.objects", [])
            if not isinstance(objs, list):
                raise NSKeyedError(f"malformed {name}")
            return [self.value(obj, depth) for obj in objs]
        return self._decode_leaf(name, raw, depth)

    def _decode_leaf(self, name: str, raw: dict[str, Any], depth: int) -> Any:
        if name in ("NSString", "NSMutableString"):
            return str(self.value(raw.get("NS.string"), depth))
        if name in ("NSData", "NSMutableData"):
            return bytes(self.value(raw.get("NS.data"), depth) or b"")
        if name == "NSNull":
            return None
        if name == "NSDate":
            return NSDate(float(self.value(raw.get("NS.time"), depth) or 0.0) + COCOA_EPOCH_UNIX)
        if name == "NSUUID":
            return uuid.UUID(bytes=bytes(self.value(raw.get("NS.uuidbytes"), depth)))
        if name == "NSError":
            info = self.value(raw.get("NSUserInfo"), depth)
            return NSError(int(self.value(raw.get("NSCode"), depth) or 0), str(self.value(raw.get("NSDomain"), depth)),
                           info if isinstance(info, dict) else None)
        raise NSKeyedError(f"the lab does not decode {name}")


def unarchive(data: bytes) -> Any:
    """Decode an archive. Raises ``NSKeyedError`` for anything that is not one, or uses unknown classes."""
    if len(data) > _MAX_ARCHIVE:
        raise NSKeyedError(f"archive of {len(data)} bytes is too large")
    try:
        top = plistlib.loads(data)
    except Exception as exc:  # plistlib raises InvalidFileException, ValueError, …
        raise NSKeyedError(f"not a plist: {exc}") from exc
    if not isinstance(top, dict) or top.get("$archiver") != "NSKeyedArchiver":
        raise NSKeyedError("not an NSKeyedArchiver archive")
    header = top.get("$top")
    objects, root = top.get("$objects"), header.get("root") if isinstance(header, dict) else None
    if not isinstance(objects, list) or not isinstance(root, plistlib.UID):
        raise NSKeyedError("archive without $objects or $top.root")
    try:
        return _Unarchiver(objects).object(root, 0)
    except (TypeError, ValueError, KeyError) as exc:
        if isinstance(exc, NSKeyedError):
            raise
        raise NSKeyedError(f"malformed archive: {exc}") from exc
