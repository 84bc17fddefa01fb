"""System properties of the phone models the lab can impersonate.

Values follow the real devices' ``getprop`` output (manufacturer/brand/model/device/product names,
fingerprint layout ``brand/product/device:release/id/incremental:type/tags``) and each skin's
version properties: MIUI/HyperOS (``ro.miui.ui.version.*``, ``ro.mi.os.version.*``), ColorOS
(``ro.build.version.oplusrom``), One UI (``ro.build.version.oneui``, e.g. 60100 for 6.1), EMUI / HarmonyOS
(``ro.build.version.emui``; ``hw_sc.build.platform.version`` is the HarmonyOS version apps read to tell
HarmonyOS from EMUI, as in dcloud's ``HarmonyUtils.getHarmonyVersion``). HarmonyOS 2-4 phones run Android apps on
an Android base and report that base's release and SDK (HarmonyOS 4: Android 12, SDK 31); Huawei's build id is
``HUAWEI<model>`` rather than an AOSP tag [unverified: the exact HarmonyOS 4 values were not found in a capture].
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MODELS", "ModelInfo", "props_for"]

_SDK = {"12": 31, "13": 33, "14": 34, "15": 35}
_BUILD_ID = {"12": "SQ3A.220705.004", "13": "TQ3A.230901.001", "14": "UQ1A.240205.004", "15": "AP4A.250205.002"}
_PATCH = {"12": "2023-11-01", "13": "2023-09-01", "14": "2024-02-05", "15": "2025-02-05"}


@dataclass(frozen=True, slots=True)
class ModelInfo:
    manufacturer: str
    brand: str
    model: str
    device: str
    product: str
    incremental: str
    skin_props: tuple[tuple[str, str], ...] = ()
    hardware: str = "qcom"
    battery_mah: int = 4500
    build_id: str = ""  # a vendor's own ro.build.id (Huawei); empty: the AOSP tag of the release


MODELS: dict[str, ModelInfo] = {
    "Pixel 8": ModelInfo("Google", "google", "Pixel 8", "shiba", "shiba", "12621605", hardware="shiba",
                         battery_mah=4575),
    "Pixel 7": ModelInfo("Google", "google", "Pixel 7", "panther", "panther", "11677807", hardware="panther"),
    "2211133G": ModelInfo(
        "Xiaomi", "Xiaomi", "2211133G", "fuxi", "fuxi_global", "OS1.0.5.0.UMCMIXM",
        (("ro.miui.ui.version.name", "V816"), ("ro.miui.ui.version.code", "816"),
         ("ro.mi.os.version.name", "OS1.0"), ("ro.mi.os.version.code", "1"),
         ("ro.mi.os.version.incremental", "OS1.0.5.0.UMCMIXM"), ("ro.miui.region", "GLOBAL")),
        battery_mah=4500),
    "PGFM10": ModelInfo(
        "OPPO", "OPPO", "PGFM10", "OP5678L1", "PGFM10", "1706086735497",
        (("ro.build.version.oplusrom", "V14.0.0"), ("ro.build.version.oplusrom.display", "ColorOS 14.0"),
         ("ro.oplus.image.my_product.type", "oplus"), ("persist.sys.oplus.region", "CN")),
        battery_mah=5000),
    "SM-S911B": ModelInfo(
        "samsung", "samsung", "SM-S911B", "dm1q", "dm1qxeea", "S911BXXU3BXB4",
        (("ro.build.version.oneui", "60100"), ("ro.build.PDA", "S911BXXU3BXB4"),
         ("ro.config.knox", "v40"), ("ro.product.first_api_level", "33")),
        hardware="qcom", battery_mah=3900),
    "LNA-AL00": ModelInfo(
        "HUAWEI", "HUAWEI", "LNA-AL00", "HWLNA", "LNA-AL00", "4.0.0.126C00E126R2P1",
        (("ro.build.version.emui", "EmotionUI_14.0.0"), ("hw_sc.build.platform.version", "4.0.0"),
         ("ro.product.first_api_level", "31")),
        hardware="qcom", battery_mah=4815, build_id="HUAWEILNA-AL00"),
}


def props_for(model: str, os_version: str, serial: str) -> dict[str, str]:
    """The ``getprop`` table of a freshly booted phone of ``model`` on Android ``os_version``."""
    info = MODELS.get(model) or ModelInfo("Google", "google", model, "generic", "generic", "1000000")
    release = os_version.split(".", maxsplit=1)[0]
    sdk = _SDK.get(release, 34)
    build_id = info.build_id or _BUILD_ID.get(release, "UQ1A.240205.004")
    fingerprint = f"{info.brand}/{info.product}/{info.device}:{release}/{build_id}/{info.incremental}:user/release-keys"
    props = {
        "ro.product.manufacturer": info.manufacturer,
        "ro.product.brand": info.brand,
        "ro.product.model": info.model,
        "ro.product.name": info.product,
        "ro.product.device": info.device,
        "ro.product.system.manufacturer": info.manufacturer,
        "ro.product.vendor.manufacturer": info.manufacturer,
        "ro.product.vendor.model": info.model,
        "ro.hardware": info.hardware,
        "ro.build.version.release": release,
        "ro.build.version.release_or_codename": release,
        "ro.build.version.sdk": str(sdk),
        "ro.build.version.security_patch": _PATCH.get(release, "2024-02-05"),
        "ro.build.version.incremental": info.incremental,
        "ro.build.id": build_id,
        "ro.build.display.id": build_id,
        "ro.build.type": "user",
        "ro.build.tags": "release-keys",
        "ro.build.fingerprint": fingerprint,
        "ro.system.build.fingerprint": fingerprint,
        "ro.vendor.build.fingerprint": fingerprint,
        "ro.serialno": serial,
        "ro.boot.serialno": serial,
        "ro.debuggable": "0",
        "ro.secure": "1",
        "ro.adb.secure": "1",
        "ro.product.cpu.abi": "arm64-v8a",
        "ro.product.cpu.abilist": "arm64-v8a,armeabi-v7a,armeabi",
        "ro.sf.lcd_density": "420",
        "persist.sys.timezone": "UTC",
        "persist.sys.locale": "en-US",
        "gsm.operator.alpha": "",
        "sys.boot_completed": "1",
        "dev.bootcomplete": "1",
        "init.svc.adbd": "running",
        "service.adb.tcp.port": "5555",
        "ro.config.low_ram": "false",
    }
    props.update(dict(info.skin_props))
    return props
