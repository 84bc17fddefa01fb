"""Who killed the app, by OEM: one table per vendor, each row with the capture that proves its wording.

A row is a ``Signature`` (``attribution``): a kill ``reason`` ActivityManager prints for that vendor's killer,
or an OEM line (its ``tag``, and ``text`` it must say) that announces the kill just before ActivityManager logs
it. ``source`` names the capture: a file of tests/logs/field/ (whose header gives the public thread), a block
of shared/reference/captures/android.md, or "unverified" when only community reports name it — such rows
stay, marked, because the wording is distinctive, but no capture proves it yet.
"""

from __future__ import annotations

from harness.logs._signature import Signature, _r
from harness.logs.events import Killer

__all__ = ["HUAWEI", "LENOVO", "OEM_TABLES", "ONEPLUS", "OPPO", "REQUESTER_PREFIXES", "SAMSUNG", "USER_REQUESTERS",
           "VIVO", "XIAOMI"]


_KILL_WORDS = _r(r"(?i)kill|force.?stop|clean")

SAMSUNG: tuple[Signature, ...] = (
    Signature("samsung", reason=_r(r"\bMARs\b"), source="reference §2 (element-hq/element-android#2143)"),
    Signature("samsung", reason=_r(r"^DHA:"), source="field a060; reference §3 (termux/termux-boot#5)"),
    # "BG, 16864K, hotnessAdj=0, XmlFlag=false, oom_adj=15": Samsung's SDHA trims, SAMP_SDHA reporting its
    # budget in between (field a074, Galaxy Grand Prime); a029 (Knox lines) and a001 use the same words.
    Signature("samsung", reason=_r(r"\bhotnessAdj=\d"), source="field a074, a029"),
    Signature("samsung", tag=_r(r"^(?:MARs|FreecessController|FreecessHandler|ChimeraPolicyHandler)"),
              text=_KILL_WORDS, source="field a007_dkma_chimera_trigger2"),
)
XIAOMI: tuple[Signature, ...] = (
    Signature("miui", reason=_r(r"\bOneKeyClean\b"), source="field a003_bggeo_onekeyclean"),
    Signature("miui", reason=_r(r"^SwipeUpClean\b"), source="field a015_rnbggeo_miui_swipeupclean"),
    # Xiaomi's own table of its process-management kill reasons (MIUI 进程管理适配说明: OneKeyClean, ForceClean,
    # GarbageClean, LockScreenClean, GameClean, OptimizationClean, SwipeUpClean by the user's hand; AutoPowerKill,
    # AutoThermalKill by the system), read from am_kill's last field; field j012 quotes it with an example.
    Signature("miui", reason=_r(r"^(?:ForceClean|GarbageClean|LockScreenClean|GameClean|OptimizationClean"
                                r"|Auto\w+(?:Kill|Clean))\b"),
              source="Xiaomi open platform, MIUI process management notes; field j012"),
    Signature("miui", tag=_r(r"^(?:PowerKeeper|ProcessManager|MiuiMemoryService|ProcessPolicy|SmartPower)"),
              text=_KILL_WORDS, source="field a015_rnbggeo_miui_swipeupclean"),
)
OPPO: tuple[Signature, ...] = (
    Signature("oppo", reason=_r(r"(?i)\b(?:athena|oplushans|hans)\b"), source="unverified"),
    Signature("oppo", tag=_r(r"(?i)^(?:athena|hans|oplushans|oplusathena|coloros)"),
              text=_r(r"(?i)kill|force.?stop|clean|(?<!un)freez"), source="unverified"),  # not "unfreeze … screen on"
)
ONEPLUS: tuple[Signature, ...] = (
    Signature("oneplus", reason=_r(r"\b(?:OHPD|OPBF)\b"), source="unverified"),
    # OHPD's background detector as AMS's kill reason: "[BgDetect][RNK] kill PKG (uid N) usage 1" (field a077).
    Signature("oneplus", reason=_r(r"^\[BgDetect\]"), source="field a077"),
    Signature("oneplus", tag=_r(r"^(?:OHPD|OPBF)$"), text=_KILL_WORDS, emits=True,
              source="AdguardTeam/AdguardForAndroid#1385"),
)
HUAWEI: tuple[Signature, ...] = (
    Signature("huawei", reason=_r(r"\b(?:HwPFW|PFW\.\w+|PowerGenie)\b"), source="reference §7 (DKMA huawei/dev.md)"),
    Signature("huawei", tag=_r(r"^(?:PFW\.|HwPFW|PowerGenie|HwPowerGenie)"), text=_KILL_WORDS, emits=True,
              source="reference §7 (DKMA huawei/dev.md)"),
    # PowerGenie's AppManager.forceStopApp logs "Force stop:<pkg> Reason:<why>" ("Screen Off Clean", "Thermal Clean",
    # "Extreme Clean", "gms wakelock") and then calls forceStopPackageAsUser, so AMS's "Force stopping … from pid
    # <powergenie>" follows. The tag alone is too common to trust; the wording is the decompiled app's
    # (com.huawei.powergenie …/AppManager.java), not a capture [unverified].
    Signature("huawei", tag=_r(r"^AppManager$"), text=_r(r"^Force stop:[A-Za-z][\w.]* Reason:\S"), emits=True,
              source="unverified (PowerGenie AppManager.forceStopApp, decompiled)"),
)
VIVO: tuple[Signature, ...] = (
    # Funtouch OS 13's Application Behavior Engine force-stops through AMS with the reason "stop by com.vivo.abe",
    # which Android 13+ prints as "stop PKG due to stop by com.vivo.abe" (am_kill, field b005).
    Signature("vivo", reason=_r(r"\bstop by com\.vivo\.abe\b"), source="field b005_vivo_funtouch13_abe_stop_javadoc"),
)
LENOVO: tuple[Signature, ...] = (
    # PolicyCenter's kill reason is the bare package name.
    Signature("lenovo", tag=_r(r"^PolicyCenter"), loose=_r(r"^[A-Za-z]\w*(?:\.\w+)+$"),
              source="field a018_bvnc_lenovo_policycenter"),
    Signature("lenovo", tag=_r(r"^ProcessScanTask$"), text=_r(r"FORCESTOP"),
              source="field a018_bvnc_lenovo_policycenter"),
)

OEM_TABLES: tuple[tuple[Signature, ...], ...] = (SAMSUNG, XIAOMI, OPPO, ONEPLUS, HUAWEI, VIVO, LENOVO)

# ``Force stopping <pkg> …: from pid N`` where the log named pid N's package: the app that asked. Settings is a
# person pressing Force stop; a vendor's own power or cleaner app is that vendor. Prefixes of the vendors'
# system packages (their package names, not log wordings, so no capture is needed to trust them).
USER_REQUESTERS = frozenset({"com.android.settings"})
REQUESTER_PREFIXES: tuple[tuple[str, Killer, str], ...] = (
    ("com.miui.", "miui", "MIUI system packages (com.miui.powerkeeper, com.miui.securitycenter)"),
    ("com.xiaomi.", "miui", "Xiaomi system packages"),
    ("com.samsung.", "samsung", "Samsung system packages (com.samsung.android.lool, …sm)"),
    ("com.sec.", "samsung", "Samsung system packages"),
    ("com.coloros.", "oppo", "ColorOS packages (com.coloros.athena)"),
    ("com.oplus.", "oppo", "ColorOS 11+ / OxygenOS 12+ packages (com.oplus.athena)"),
    ("com.oppo.", "oppo", "OPPO system packages"),
    ("com.oneplus.", "oneplus", "OnePlus system packages"),
    ("com.huawei.", "huawei", "Huawei / Honor system packages (com.huawei.powergenie)"),
    ("com.hihonor.", "huawei", "Honor MagicOS packages"),
    ("com.vivo.", "vivo", "vivo system packages (com.vivo.abe)"),
    ("com.iqoo.", "vivo", "iQOO (vivo) system packages"),
    ("com.lenovo.", "lenovo", "Lenovo system packages"),
)

