"""Handlers for OEM lines that are a kill or a freeze by themselves (no ActivityManager line follows).

The lines that only *explain* an ActivityManager kill live in ``oem_signatures`` (one table per OEM); these
are the OEM daemons that act on their own: Samsung's Chimera kills a process itself and FreecessController
freezes one, OnePlus' OPBF and ColorOS' hans freeze through cgroups, Huawei's ash freezes an app it moves to
hibernation. Each pattern names the capture in tests/logs/field/ (or the reference) that shows its wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from harness.logs.logcat import LogLine

if TYPE_CHECKING:
    from harness.logs.android_events import EventBuilder

__all__ = ["BY_TAG"]

_Handler = Callable[["EventBuilder", LogLine, int, str, str], None]

# SmartPack-Kernel-Manager#87 (reference §5).
_OPBF_FREEZE = re.compile(r"setCGroupState\(\):tofreeze=true, uid:(\d+) pkg:(\S+)(?:.*?reason:(.*))?")
# "me.clarius.clarius(state: Initial -> Freezeable, Reason: uidIdle)" (clariusdev/app#32): "Freezeable" is
# a state (may be frozen later), not a freeze; only a move *to* a frozen state is one.
_FREECESS = re.compile(r"^(\S+) ?\(state: (\w+) -> (\w+), Reason: ([^)]*)\)")
_FROZEN_STATES = frozenset({"frozen", "freezed", "freeze", "freezing"})
# Freecess' own freeze record, "FZ : com.senioradguard(10367) reason: Bg" (field c001, One UI), next to the state
# line above for the same freeze; "UFZ : …" is the thaw and "BG freezed, skip OLAF unfreeze for (pkg)" a state
# (field c002): neither is a freeze.
_FREECESS_FZ = re.compile(r"^FZ : ([A-Za-z][\w.]*)(?::\S+)?\((\d+)\)(?: reason: (.*))?")
# ColorOS hans: the lab's wording (docs/oem-profiles.md, "freeze uid: <uid> package: <pkg> reason: …"), and as
# real devices print it: "freeze uid: 10045 …  scene: |StrictMode-1|LcdOn" (ColorOS 16, jossephus/chuchu#100,
# field h001; the reporter elided the rest), and, quoted in public notes, the package bare after the uid and
# the pids before the scene ("freeze uid: 10452 com.folio.reader  pids: [29524]", "freeze uid:10056
# tv.own.owntv.mobile pids:[…] scene: LcdOff"). The package may be missing: then the uid names it, when the
# capture tied that uid to a package. "unfreeze uid: …" is the thaw and does not match. A report that lines
# the two up pads "freeze" ("freeze   uid: 10266 com.curios.remindme ... scene: LcdOn", field c003).
_HANS_FREEZE = re.compile(r"^freeze +uid: ?(\d+)"
                          r"(?:,? (?:package: |pkg: ?)?(?P<pkg>[A-Za-z][\w.]*(?::[\w.]+)?)(?=\s|$))?(?P<rest>.*)$")
_HANS_REASON = re.compile(r"\breason: (.*?)(?=\s+(?:scene|pids?):|$)")
_HANS_SCENE = re.compile(r"\bscene: ?(\S+)")
# Samsung Chimera (One UI 3+) kills by itself: "Killed on trigger2 : org.yaxim.bruno, freed: 34707,
# 10202[4548]:G2(0x20000) score=…, pids: 4548 / stats: …" (field a007, dont-kill-my-app#307).
_CHIMERA = re.compile(r"^Killed on (\w+) : ([A-Za-z][\w.]*)(?::\S+)?, .*?\bpids: (\d+(?:,\s*\d+)*)")


def _opbf(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _OPBF_FREEZE.search(row)
    if m is not None:
        reason = (m.group(3) or "").strip() or None
        b.emit("freeze", ln, line_no, raw, package=m.group(2), reason=reason, killer="oneplus",
               extra={"uid": m.group(1)})


def _freecess(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _FREECESS.match(row)
    if m is not None and m.group(3).lower() in _FROZEN_STATES:
        b.emit("freeze", ln, line_no, raw, package=m.group(1), reason=m.group(4), killer="samsung",
               extra={"from": m.group(2), "to": m.group(3)})
        return
    m = _FREECESS_FZ.match(row) if row[:3] == "FZ " else None
    if m is not None:
        b.emit("freeze", ln, line_no, raw, package=m.group(1), reason=(m.group(3) or "").strip() or None,
               killer="samsung", extra={"uid": m.group(2)})


def _hans(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _HANS_FREEZE.match(row)
    if m is not None:
        package = m["pkg"] or b.appid_package.get(int(m.group(1)) % 100_000)
        why, scene = _HANS_REASON.search(m["rest"]), _HANS_SCENE.search(m["rest"])
        reason = (why.group(1).strip() if why else "") or (f"scene {scene.group(1)}" if scene else None)
        b.emit("freeze", ln, line_no, raw, package=package, reason=reason, killer="oppo", extra={"uid": m.group(1)})


def _chimera(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _CHIMERA.match(row)
    if m is None:
        return
    package = m.group(2)
    for pid_text in re.split(r",\s*", m.group(3)):
        pid = int(pid_text)
        b.pid_package[pid] = package
        b.emit("kill", ln, line_no, raw, package=package, pid=pid, reason=f"Chimera {m.group(1)}",
               killer="samsung", extra={"source": ln.tag or ""})


# MIUI's ExtraActivityManagerService (MIUI 5-7, in MIUI's own services.jar) trims processes itself, in AMS's
# Android 4 wording with its own reason: "No longer want com.miui.networkassistant (pid 1823) for more free
# memory" (field j010, a MIUI v5 phone). The tag is MIUI's, so the kill is MIUI's.
_MIUI_EXTRA_AMS = re.compile(r"^No longer want ([A-Za-z][\w.]*(?::[\w.]+)?) \(pid (\d+)\):? (.+)$")


def _miui_extra_ams(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _MIUI_EXTRA_AMS.match(row)
    if m is not None:
        pid = int(m.group(2))
        package = b.note_process(pid, m.group(1), None)
        b.emit("kill", ln, line_no, raw, package=package, pid=pid, reason=m.group(3).strip(), killer="miui",
               extra={"process": m.group(1), "source": ln.tag or ""})


# MIUI's PowerKeeper hears of every death from AMS: "notifyAMProcDied pacakageName: com.example.bazel, pid:10569"
# (sic, field a037). A death, not a kill: AMS's own line, when the capture has it, says more.
_POWERKEEPER_DIED = re.compile(r"^notifyAMProcDied \w+: ([A-Za-z][\w.]*)(?::\S+)?, pid:(\d+)")


def _powerkeeper_event(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _POWERKEEPER_DIED.match(row)
    if m is not None:
        _death(b, ln, line_no, raw, int(m.group(2)), m.group(1))


# MediaTek's perf HAL hears of deaths too: "[perfNotifyAppState] pack:com.google.android.gsf, pid:30617,
# STATE_DEAD" (field a069).
_POWERHAL_DEAD = re.compile(r"^\[perfNotifyAppState\] pack:([A-Za-z][\w.]*)(?::\S+)?, pid:(\d+), STATE_DEAD")


def _powerhal(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _POWERHAL_DEAD.match(row)
    if m is not None:
        _death(b, ln, line_no, raw, int(m.group(2)), m.group(1))


def _death(b: EventBuilder, ln: LogLine, line_no: int, raw: str, pid: int, package: str) -> None:
    """A vendor's note of a death: one ``process_died`` per pid with what AMS or Zygote said a few lines up."""
    b.pid_package.setdefault(pid, package)
    events = b.events
    for i in range(len(events) - 1, max(len(events) - 12, 0) - 1, -1):
        ev = events[i]
        if ev.kind == "process_died" and ev.pid == pid:
            if ev.package is None:
                events[i] = replace(ev, package=package)  # Zygote names a pid only
            return
    b.emit("process_died", ln, line_no, raw, package=package, pid=pid, extra={"source": ln.tag or ""})


# Huawei PowerGenie's ash (app standby hibernation): "<pkg> { doze duration=6026 UptimeDuration=6026 } transition to:
# hibernation reason:" (field a108, P20 lite). Its hibernation action freezes the app's processes
# (AppActionHibernation.freezeAppProcess in the decompiled PowerGenie); moves to other states (doze, field a039)
# are not freezes.
_ASH_HIBERNATION = re.compile(r"^([A-Za-z][\w.]*) \{ \w+ duration=\d+ UptimeDuration=\d+ \} "
                              r"transition to: hibernation\b(?: reason:(.*))?")


def _ash(b: EventBuilder, ln: LogLine, line_no: int, row: str, raw: str) -> None:
    m = _ASH_HIBERNATION.match(row)
    if m is not None:
        reason = (m.group(2) or "").strip() or "hibernation"
        b.emit("freeze", ln, line_no, raw, package=m.group(1), reason=reason, killer="huawei",
               extra={"source": ln.tag or ""})


BY_TAG: dict[str, tuple[_Handler, ...]] = {
    "ash": (_ash,),
    "PowerKeeper.Event": (_powerkeeper_event,),
    "libPowerHal": (_powerhal,),
    "OPBF": (_opbf,),
    "FreecessController": (_freecess,),
    "OplusHansManager": (_hans,),
    "ChimeraPolicyHandler": (_chimera,),
    "ExtraActivityManagerService": (_miui_extra_ams,),
}
