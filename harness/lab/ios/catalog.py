"""What lockdownd says about the iPhone models and iOS builds the lab can impersonate.

Keys and value types follow a real device's ``GetValue`` (no Domain) answer as pymobiledevice3 and
libimobiledevice read it. pymobiledevice3 needs ``UniqueDeviceID``, ``UniqueChipID``,
``DevicePublicKey``, ``ProductType`` (``pmd3:lockdown.py:LockdownClient._initialize``),
``ProductVersion`` (a missing one defaults to "1.0" and triggers ``ValidatePair``:
``product_version``/``validate_pairing``), ``BuildVersion``, ``DeviceClass`` (``"iPhone"`` or it becomes
Unknown: ``device_class``), ``WiFiAddress`` and, for ``usbmux list``, ``DeviceName`` (``short_info``).
libimobiledevice 1.3.0 asks for ``ProductVersion`` alone and parses it with ``sscanf("%d.%d.%d")``
(``limd@1.3.0:src/lockdown.c:lockdownd_client_new_with_handshake``).

Values that identify the unit (serial number, MAC addresses, ECID) are derived from the UDID so a lab
phone is the same phone in every run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

__all__ = ["BUILDS", "MODELS", "ModelInfo", "build_version", "chip_ids", "domain_values", "global_values", "model_info",
           "serial_number", "wifi_address"]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    product_type: str  # ProductType, e.g. iPhone15,4
    name: str  # marketing name
    hardware_model: str  # HardwareModel (the board config), e.g. D37AP
    platform: str  # HardwarePlatform, the SoC, e.g. t8120
    chip_id: int  # ChipID; also the first 8 hex digits of the UDID (00008120-…)
    model_number: str  # ModelNumber (part number without the region suffix)
    color: str = "1"


MODELS: dict[str, ModelInfo] = {info.product_type: info for info in (
    ModelInfo("iPhone12,8", "iPhone SE (2nd generation)", "D79AP", "t8030", 0x8030, "MX9R2"),
    ModelInfo("iPhone14,7", "iPhone 14", "D27AP", "t8110", 0x8110, "MPUF3"),
    ModelInfo("iPhone15,4", "iPhone 15", "D37AP", "t8120", 0x8120, "MTP03"),
    ModelInfo("iPhone15,5", "iPhone 15 Plus", "D38AP", "t8120", 0x8120, "MU0Y3"),
    ModelInfo("iPhone16,1", "iPhone 15 Pro", "D83AP", "t8130", 0x8130, "MTUV3"),
    ModelInfo("iPhone16,2", "iPhone 15 Pro Max", "D84AP", "t8130", 0x8130, "MU773"),
    ModelInfo("iPhone17,3", "iPhone 16", "D47AP", "t8140", 0x8140, "MYE73"),
)}

# ProductVersion → BuildVersion of Apple's public releases.
BUILDS: dict[str, str] = {
    "16.7.10": "20H350", "17.5.1": "21F90", "17.6.1": "21G93", "18.0": "22A3354", "18.0.1": "22A3370",
    "18.1": "22B83", "18.1.1": "22B91", "18.2": "22C152", "18.3": "22D63", "18.4": "22E240",
}


def model_info(product_type: str) -> ModelInfo:
    return MODELS.get(product_type) or ModelInfo(product_type, product_type, "D37AP", "t8120", 0x8120, "MTP03")


def build_version(os_version: str) -> str:
    if os_version in BUILDS:
        return BUILDS[os_version]
    head = os_version.split(".", maxsplit=1)[0]
    major = int(head) if head.isdigit() else 18
    return f"{major + 4}A100"  # iOS N ships as build (N+4)A…: 18.0 = 22A3354


def _digest(udid: str, what: str) -> bytes:
    return hashlib.sha256(f"{what}/{udid}".encode()).digest()


def chip_ids(udid: str, model: ModelInfo) -> tuple[int, int]:
    """(ChipID, UniqueChipID). An A12-or-later UDID is ``<ChipID:08X>-<ECID:016X>``
    (``pmd3:usbmux.py:MuxDevice.ecid``); other UDIDs get a stable ECID from a hash."""
    digits = udid.replace("-", "")
    if len(digits) == 24:
        try:
            return int(digits[:8], 16), int(digits[8:], 16)
        except ValueError:
            pass
    return model.chip_id, int.from_bytes(_digest(udid, "ecid")[:7], "big")


def serial_number(udid: str) -> str:
    """A 10-character serial in Apple's randomised post-2021 style."""
    alphabet = "0123456789CDFGHJKLMNPQRTVWXY"
    raw = _digest(udid, "serial")
    return "F" + "".join(alphabet[b % len(alphabet)] for b in raw[:9])


def wifi_address(udid: str, offset: int = 0) -> str:
    raw = bytearray(_digest(udid, "mac")[:3])
    raw[2] = (raw[2] + offset) & 0xFF
    return ":".join(f"{b:02x}" for b in (0xA4, 0xC3, 0x61, *raw))


def global_values(*, udid: str, product_type: str, os_version: str, device_name: str,
                  device_public_key: bytes, now_s: float, time_zone: str, utc_offset_s: float) -> dict[str, Any]:
    """The answer to ``GetValue`` without Domain and Key."""
    model = model_info(product_type)
    chip_id, ecid = chip_ids(udid, model)
    serial = serial_number(udid)
    return {
        "ActivationState": "Activated",
        "ActivationStateAcknowledged": True,
        "BasebandStatus": "BBInfoAvailable",
        "BluetoothAddress": wifi_address(udid, 1),
        "BrickState": False,
        "BuildVersion": build_version(os_version),
        "CPUArchitecture": "arm64e",
        "ChipID": chip_id,
        "DeviceClass": "iPhone",
        "DeviceColor": model.color,
        "DeviceName": device_name,
        "DevicePublicKey": device_public_key,
        "EthernetAddress": wifi_address(udid, 2),
        "FirmwareVersion": "iBoot-11881.40.129",
        "HardwareModel": model.hardware_model,
        "HardwarePlatform": model.platform,
        "HasSiDP": True,
        "HostAttached": True,
        "HumanReadableProductVersionString": os_version,
        "ModelNumber": model.model_number,
        "PasswordProtected": False,
        "ProductName": "iPhone OS",
        "ProductType": product_type,
        "ProductVersion": os_version,
        "ProductionSOC": True,
        "ProtocolVersion": "2",
        "RegionInfo": "LL/A",
        "SerialNumber": serial,
        "SupportedDeviceFamilies": [1],
        "TelephonyCapability": True,
        "TimeIntervalSince1970": now_s,
        "TimeZone": time_zone,
        "TimeZoneOffsetFromUTC": float(utc_offset_s),
        "TrustedHostAttached": True,
        "UniqueChipID": ecid,
        "UniqueDeviceID": udid,
        "UseRaptorCerts": True,
        "Uses24HourClock": False,
        "WiFiAddress": wifi_address(udid),
    }


def domain_values(domain: str, *, battery_level: int, charging: bool, disk_total: int,
                  disk_free: int) -> dict[str, Any] | None:
    """Values of the non-global domains the lab models; None for a domain it does not know."""
    if domain == "com.apple.mobile.battery":
        return {
            "BatteryCurrentCapacity": battery_level,
            "BatteryIsCharging": charging and battery_level < 100,  # on the cable at 100 %: connected, full
            "ExternalChargeCapable": charging,
            "ExternalConnected": charging,
            "FullyCharged": battery_level >= 100,
            "GasGaugeCapability": True,
            "HasBattery": True,
        }
    if domain == "com.apple.disk_usage":
        return {
            "AmountDataAvailable": disk_free,
            "AmountDataReserved": 209715200,
            "TotalDataAvailable": disk_free,
            "TotalDataCapacity": disk_total - 12_000_000_000,
            "TotalDiskCapacity": disk_total,
            "TotalSystemAvailable": 0,
            "TotalSystemCapacity": 12_000_000_000,
        }
    if domain == "com.apple.international":
        return {"Language": "en", "Locale": "en_US", "SupportedLanguages": ["en", "de", "fr", "ja"],
                "SupportedLocales": ["en_US", "de_DE", "fr_FR", "ja_JP"]}
    return None
