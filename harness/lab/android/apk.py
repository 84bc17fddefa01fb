"""What the lab's package installer reads from an APK: pure, bytes in, an ``ApkInfo`` or a parse failure out.

An APK is a zip holding a binary-XML ``AndroidManifest.xml`` and a signature. The checks follow the order
PackageInstallerSession's validation meets them (``ApkLiteParseUtils.parseApkLite``), with the texts real
phones print for ``adb install`` (Android 11–15, as reported from devices in public issues):

- not a zip: ``INSTALL_PARSE_FAILED_NOT_APK: Failed to parse P: Failed to load asset path P``;
- no manifest: ``INSTALL_PARSE_FAILED_UNEXPECTED_EXCEPTION: Failed to parse P: AndroidManifest.xml``
  (the FileNotFoundException AssetManager throws names the asset);
- a manifest that is not binary XML: ``…: Failed to parse P: Corrupt XML binary file`` [inferred from
  ``android_util_AssetManager.cpp``'s ``NativeOpenXmlAsset``];
- no ``<manifest package=…>``: ``INSTALL_PARSE_FAILED_BAD_MANIFEST: <manifest> does not specify package``
  (``ApkLiteParseUtils.parsePackageSplitNames``);
- unsigned (no v1 ``META-INF/*.RSA|DSA|EC`` and no v2+ APK Signing Block): ``INSTALL_PARSE_FAILED_NO_CERTIFICATES:
  Failed to collect certificates from P: Attempt to get length of null array``.

Signatures are found, not verified: the lab has no keys to check them against.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass

__all__ = ["ApkInfo", "ApkParseError", "parse_apk"]

MANIFEST = "AndroidManifest.xml"
_CHUNK = struct.Struct("<HHI")
_RES_XML, _STRING_POOL, _START_ELEMENT = 0x0003, 0x0001, 0x0102
_UTF8_FLAG = 0x100
_TYPE_STRING, _TYPE_INT_DEC, _TYPE_INT_HEX = 0x03, 0x10, 0x11
_NO_ENTRY = 0xFFFFFFFF
_SIGNING_BLOCK_MAGIC = b"APK Sig Block 42"


@dataclass(frozen=True, slots=True)
class ApkInfo:
    package: str
    version_code: int
    version_name: str


class ApkParseError(Exception):
    """The installer's refusal: ``code`` is the INSTALL_* constant, ``str()`` the whole ``Failure [...]`` text."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class _CorruptXml(Exception):
    pass


def parse_apk(data: bytes, path: str) -> ApkInfo:
    """The package an APK installs, or ApkParseError with Android's code and text (``path`` is where the
    session staged it, e.g. ``/data/app/vmdl123.tmp/base.apk``)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ApkParseError("INSTALL_PARSE_FAILED_NOT_APK",
                            f"Failed to parse {path}: Failed to load asset path {path}") from None
    with archive:
        names = archive.namelist()
        if MANIFEST not in names:
            raise ApkParseError("INSTALL_PARSE_FAILED_UNEXPECTED_EXCEPTION", f"Failed to parse {path}: {MANIFEST}")
        try:
            attrs = manifest_attributes(archive.read(MANIFEST))
        except (_CorruptXml, struct.error, UnicodeDecodeError, zipfile.BadZipFile):
            raise ApkParseError("INSTALL_PARSE_FAILED_UNEXPECTED_EXCEPTION",
                                f"Failed to parse {path}: Corrupt XML binary file") from None
    package = attrs.get("package", "")
    if not isinstance(package, str) or not package:
        raise ApkParseError("INSTALL_PARSE_FAILED_BAD_MANIFEST", "<manifest> does not specify package")
    if not _signed(names, data):
        raise ApkParseError("INSTALL_PARSE_FAILED_NO_CERTIFICATES",
                            f"Failed to collect certificates from {path}: Attempt to get length of null array")
    code = attrs.get("versionCode", 0)
    name = attrs.get("versionName", "")
    return ApkInfo(package, code if isinstance(code, int) else int(str(code) or 0), str(name))


def _signed(names: list[str], data: bytes) -> bool:
    v1 = any(n.startswith("META-INF/") and n.upper().endswith((".RSA", ".DSA", ".EC")) for n in names)
    return v1 or _SIGNING_BLOCK_MAGIC in data


def manifest_attributes(axml: bytes) -> dict[str, str | int]:
    """The attributes of the ``<manifest>`` element of a binary XML document (ResourceTypes.h layout)."""
    kind, header_size, _size = _CHUNK.unpack_from(axml, 0)
    if kind != _RES_XML or header_size != 8:
        raise _CorruptXml
    strings: list[str] = []
    offset = header_size
    while offset + _CHUNK.size <= len(axml):
        kind, header_size, size = _CHUNK.unpack_from(axml, offset)
        if size < _CHUNK.size:
            raise _CorruptXml
        if kind == _STRING_POOL:
            strings = _string_pool(axml[offset : offset + size])
        elif kind == _START_ELEMENT:
            name, attrs = _element(axml, offset + header_size, strings)
            if name == "manifest":
                return attrs
            raise _CorruptXml  # the first element of a manifest is <manifest>
        offset += size
    raise _CorruptXml


def _string_pool(chunk: bytes) -> list[str]:
    _kind, header_size, _size, count, _styles, flags, start, _style_start = struct.unpack_from("<HHIIIIII", chunk)
    offsets = struct.unpack_from(f"<{count}I", chunk, header_size)
    return [_pool_string(chunk, start + off, bool(flags & _UTF8_FLAG)) for off in offsets]


def _pool_string(chunk: bytes, at: int, utf8: bool) -> str:
    if utf8:
        at += 2 if chunk[at] & 0x80 else 1  # length in characters
        length = chunk[at]
        if length & 0x80:
            length = ((length & 0x7F) << 8) | chunk[at + 1]
            at += 1
        return chunk[at + 1 : at + 1 + length].decode("utf-8")
    length = struct.unpack_from("<H", chunk, at)[0]
    if length & 0x8000:
        length = ((length & 0x7FFF) << 16) | struct.unpack_from("<H", chunk, at + 2)[0]
        at += 2
    return chunk[at + 2 : at + 2 + 2 * length].decode("utf-16-le")


def _element(axml: bytes, at: int, strings: list[str]) -> tuple[str, dict[str, str | int]]:
    _ns, name, attr_start, attr_size, count = struct.unpack_from("<IIHHH", axml, at)
    attrs: dict[str, str | int] = {}
    for index in range(count):
        _ans, aname, raw, _vsize, _res0, vtype, vdata = struct.unpack_from(
            "<IIIHBBI", axml, at + attr_start + index * attr_size)
        key = strings[aname]
        if raw != _NO_ENTRY:
            attrs[key] = strings[raw]
        elif vtype in (_TYPE_INT_DEC, _TYPE_INT_HEX):
            attrs[key] = vdata
        elif vtype == _TYPE_STRING:
            attrs[key] = strings[vdata]
    return strings[name], attrs
