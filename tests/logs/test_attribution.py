"""Kill attribution per OEM (android.md §8): the reason text, the OEM line just before, and the
force-stop a ``stop <pkg>`` kill belongs to."""

from __future__ import annotations

import pytest

from harness.logs.android_events import EventBuilder, android_events
from harness.logs.attribution import SIGNATURES, Attributor, appid_of, reason_killer
from harness.logs.events import KILLERS, Event
from harness.logs.logcat import parse_logcat


def events_of(text: str) -> list[Event]:
    return android_events(parse_logcat(text, year=2024).lines)


def killers(text: str) -> list[tuple[str, str | None, str | None]]:
    return [(e.kind, e.package, e.killer) for e in events_of(text) if e.kind in ("kill", "force_stop", "freeze")]


AM = "11-28 08:15:0{s}.{ms:03d}  1416  1433 I ActivityManager: "


def am(second: int, ms: int, msg: str) -> str:
    return AM.format(s=second, ms=ms) + msg + "\n"


def line(second: int, ms: int, pid: int, prio_tag: str, msg: str) -> str:
    prio, tag = prio_tag.split("/")
    return f"11-28 08:15:0{second}.{ms:03d}  {pid:5d}  {pid:5d} {prio} {tag:<8}: {msg}\n"


def test_every_signature_names_a_known_killer_and_one_way_to_match() -> None:
    for sig in SIGNATURES:
        assert sig.killer in KILLERS
        assert (sig.reason is None) != (sig.tag is None), sig


# -- OEMs ------------------------------------------------------------------------------------------
def test_samsung_mars() -> None:
    text = (am(0, 136, "Force stopping im.vector.app.debug appid=10157 user=0: MARs #1")
            + am(0, 137, "Killing 29855:im.vector.app.debug/u0a157 (adj 700): stop im.vector.app.debug,MARs #1"))
    assert killers(text) == [("force_stop", "im.vector.app.debug", "samsung"),
                             ("kill", "im.vector.app.debug", "samsung")]


def test_samsung_dha_and_freecess() -> None:
    assert killers(am(0, 1, "Killing 11364:com.termux/u0a294 (adj 906): DHA:empty #33")) == [
        ("kill", "com.termux", "samsung")]
    freecess = ("FreecessController      system_server                        D  "
                "me.clarius.clarius(state: Freezeable -> Frozen, Reason: uidIdle)\n"
                "FreecessController      system_server                        D  "
                "me.clarius.clarius(state: Frozen -> Unfreezeable, Reason: top)\n")
    assert killers(freecess) == [("freeze", "me.clarius.clarius", "samsung")]


def test_miui_one_key_clean() -> None:
    # flutter_background_geolocation#956: clearing recents on MIUI.
    text = (am(0, 1, "Killing 27478:com.transistorsoft.app/u0a88 (adj 945): OneKeyClean")
            + "11-28 08:15:00.020   600   600 I Zygote  : Process 27478 exited due to signal 9 (Killed)\n")
    assert killers(text) == [("kill", "com.transistorsoft.app", "miui")]


def test_miui_tag_just_before_names_the_package() -> None:
    text = (line(0, 1, 2345, "I/ProcessManager", "kill com.example.app adj 900 reason AutoPowerKill")
            + am(0, 5, "Killing 4321:com.example.app/u0a123 (adj 900): kill background"))
    assert killers(text) == [("kill", "com.example.app", "miui")]


def test_oneplus_ohpd_then_ams_is_one_force_stop() -> None:
    # AdguardForAndroid#1385 (OnePlus 3), in -v brief as captured.
    text = ("I/OHPD    ( 1370): [BgDetect][PD] total usage 6 over thold, force stop com.adguard.android "
            "(uid 10273) level 0\n"
            "I/ActivityManager( 1370): Force stopping com.adguard.android appid=10273 user=0: from pid 1370\n"
            "I/ActivityManager( 1370): Killing 20509:com.adguard.android/u0a273 (adj 200): stop com.adguard.android\n")
    assert killers(text) == [("force_stop", "com.adguard.android", "oneplus"),
                             ("kill", "com.adguard.android", "oneplus")]


def test_oneplus_ohpd_alone_is_the_force_stop() -> None:
    text = ("08-08 17:23:56.527 I/OHPD    ( 1370): [BgDetect][PD] total usage 6 over thold, force stop "
            "com.adguard.android (uid 10273) level 0\n")
    [event] = events_of(text)
    assert (event.kind, event.package, event.killer, event.line) == ("force_stop", "com.adguard.android", "oneplus", 1)
    assert event.time_text == "08-08 17:23:56.527" and event.extra["uid"] == "10273"


def test_oneplus_opbf_freezer() -> None:
    text = ("[12-26 19:07:31.362 1235:3032 D/OPBF]\n"
            "setCGroupState():tofreeze=true, uid:10423 pkg:com.smartpack.kernelmanager --->>> ok reason:x\n")
    assert killers(text) == [("freeze", "com.smartpack.kernelmanager", "oneplus")]


def test_oppo_hans_line_before_a_kill() -> None:
    text = (line(0, 1, 2001, "I/OplusHans", "hans kill com.example.app uid 10123 because of bg power")
            + am(0, 20, "Killing 4321:com.example.app/u0a123 (adj 700): remove task"))
    assert killers(text) == [("kill", "com.example.app", "oppo")]


def test_huawei_pfw_then_ams_force_stop_matches_by_uid() -> None:
    text = ("[ 05-25 18:10:17.249 4230:16683 D/PFW.HwPFWAppWakeLockPolicy ]\n"
            "force stop abnormal wakelock app uid: 10185\n\n"
            "[ 05-25 18:10:17.260 1416: 1433 I/ActivityManager ]\n"
            "Force stopping com.example.tracker appid=10185 user=0: from pid 4230\n\n")
    events = events_of(text)
    assert [(e.kind, e.package, e.killer, e.line) for e in events] == [
        ("force_stop", "com.example.tracker", "huawei", 5)]


def test_lenovo_policy_center() -> None:
    # remote-desktop-clients#183 (Tab M10): a PolicyCenter decision, AMS force-stop from its pid,
    # and a kill whose reason is just the package name.
    text = (line(0, 1, 3100, "I/PolicyCenter", "handle policy decision for background app")
            + am(0, 10, "Force stopping com.iiordanov.bVNC appid=10111 user=0: from pid 3100")
            + am(0, 11, "Killing 4321:com.iiordanov.bVNC/u0a111 (adj 900): com.iiordanov.bVNC"))
    assert killers(text) == [("force_stop", "com.iiordanov.bVNC", "lenovo"), ("kill", "com.iiordanov.bVNC", "lenovo")]


# -- AOSP, the user, and nobody known -------------------------------------------------------------
def test_user_force_stop_and_its_kills() -> None:
    text = (am(0, 1, "Force stopping com.example.app appid=10123 user=0: from pid 21000")
            + am(0, 2, "Killing 4321:com.example.app/u0a123 (adj 0): stop com.example.app")
            + am(0, 3, "Killing 4322:com.example.app:remote/u0a123 (adj 0): stop com.example.app"))
    assert killers(text) == [("force_stop", "com.example.app", "user"), ("kill", "com.example.app", "user"),
                             ("kill", "com.example.app", "user")]


@pytest.mark.parametrize(("reason", "killer"), [
    ("excessive cpu 100 during 300000", "aosp"),
    ("isolated not needed", "aosp"), ("kill background", "aosp"), ("remove task", "aosp"),
    ("crash", "aosp"),
    ("OneKeyClean", "miui"), ("stop x,MARs #1", "samsung"), ("DHA:empty #33", "samsung"),
    ("BG, 21808K, hotnessAdj=5, XmlFlag=false, oom_adj=15", "samsung"),  # Samsung's SDHA (field a074)
    ("BG, 21808K", "unknown"),
    ("stop com.example.app", "unknown"),  # a force-stop's kill whose force-stop line is not in the capture
])
def test_kill_reasons(reason: str, killer: str) -> None:
    text = am(0, 1, f"Killing 4321:com.example.app/u0a123 (adj 900): {reason}")
    assert killers(text) == [("kill", "com.example.app", killer)]


def test_lmkd_and_kernel_lowmemorykiller() -> None:
    text = (line(0, 1, 301, "I/lowmemorykiller", "Kill 'com.example.app' (4321), uid 10123, oom_score_adj 900 to "
                                                  "free 81236kB rss, 29720kB swap; reason: low watermark is breached")
            + line(0, 2, 301, "I/lmkd", "Killing 'com.other.app' (4400), adj 906,"))
    events = events_of(text)
    assert [(e.kind, e.package, e.pid, e.killer, e.reason) for e in events] == [
        ("kill", "com.example.app", 4321, "lmk", "low watermark is breached"),
        ("kill", "com.other.app", 4400, "lmk", "lmkd")]


def test_an_oem_line_too_long_before_does_not_count() -> None:
    text = ("11-28 08:15:00.000  1370  1370 I OHPD    : force stop com.example.app (uid 10123) level 0\n"
            "11-28 08:15:30.000  1416  1433 I ActivityManager: Force stopping com.example.app appid=10123 user=0: "
            "from pid 1370\n")
    assert [(e.kind, e.killer, e.line) for e in events_of(text)] == [
        ("force_stop", "oneplus", 1), ("force_stop", "user", 2)]


def test_an_oem_line_about_another_app_does_not_count() -> None:
    text = (line(0, 1, 1370, "I/OHPD", "force stop com.other.app (uid 10999) level 0")
            + am(0, 2, "Force stopping com.example.app appid=10123 user=0: from pid 21000"))
    assert [(e.package, e.killer) for e in events_of(text)] == [
        ("com.other.app", "oneplus"), ("com.example.app", "user")]


def test_attributor_directly() -> None:
    attr = Attributor()
    assert attr.observe("OHPD", "force stop com.a.b (uid 10123)", 1370, 10.0, 1) is not None
    assert attr.observe("OHPD", "usage report only", 1370, 10.0, 2) is None
    assert attr.killer(None, 10123, "from pid 99", 11.0, 3) == "oneplus"
    assert attr.killer("com.x.y", None, "from pid 99", 11.0, 4) == "user"
    assert attr.unused() == []
    assert reason_killer("nothing known") is None
    assert [appid_of(u) for u in ("u0a157", "1000", "10157", "u0a178i7", None, 110157)] == [
        10157, 1000, 10157, None, None, 10157]


def test_policy_center_does_not_claim_other_reasons() -> None:
    text = (line(0, 1, 3100, "I/PolicyCenter", "handle policy decision for background app")
            + am(0, 10, "Killing 4321:com.iiordanov.bVNC/u0a111 (adj 900): BG, 21808K")
            + am(0, 11, "Force stopping com.other.app appid=10112 user=0: from pid 21000"))
    assert killers(text) == [("kill", "com.iiordanov.bVNC", "unknown"), ("force_stop", "com.other.app", "user")]


def test_finish_twice_does_not_repeat_oem_announcements() -> None:
    builder = EventBuilder()
    builder.feed(parse_logcat("I/OHPD    ( 1370): force stop com.a.b (uid 10273) level 0\n").lines)
    assert len(builder.finish()) == 1
    assert len(builder.finish()) == 1


# ActivityManager trimming its own process lists past a count is AMS's policy, not the low-memory killer (lmkd or
# the kernel driver, which log their own kills): OomAdjuster.updateAndTrimProcessLSP kills with REASON_OTHER and
# SUBREASON_TOO_MANY_EMPTY ("empty #N"), TOO_MANY_CACHED ("cached #N") and TRIM_EMPTY ("empty for Ns"); Android
# 4's ProcessList trimming logs "hidden #N" (am_kill reason "too many background"); PhantomProcessList kills past
# MAX_PHANTOM_PROCESSES ("Trimming phantom processes"). Fields a043, a019, a002, e001, b004, j010.
@pytest.mark.parametrize(("reason", "killer"), [
    ("empty #17", "aosp"), ("empty #33", "aosp"), ("empty for 1800s", "aosp"), ("cached #1", "aosp"),
    ("hidden #25", "aosp"), ("Trimming phantom processes", "aosp"),
    ("DHA:empty #33", "samsung"),  # Samsung's DHA names itself before the count
    ("low memory", "lmk"), ("lmkd", "lmk"),  # a kill that says memory is the low-memory killer's
])
def test_ams_list_trimming_is_aosp_not_lmk(reason: str, killer: str) -> None:
    text = am(0, 1, f"Killing 4321:com.example.app/u0a123 (adj 900): {reason}")
    assert killers(text) == [("kill", "com.example.app", killer)]
