"""Who killed the app: a table of log signatures and the context rules that apply it.

Almost every kill passes through ActivityManager (``Killing …``, ``Force stopping …``,
``am_kill``), whoever asked for it. Who asked shows in two ways (shared/reference/android.md §8):

- the reason text itself (``OneKeyClean``, ``stop <pkg>,MARs #1``, ``DHA:empty #33``, ``empty #17``);
- an OEM line just before it (``OHPD``, ``PFW.*``, ``PolicyCenter``) naming the same package or
  uid, or being the pid the AMS line says the request came ``from``.

Resolution order, strongest evidence first: an OEM reason; a ``stop <pkg>`` kill inheriting its
force-stop's killer; an OEM line naming the package/uid/pid; an AOSP reason (lmk/aosp); an OEM
line that names nothing but is close in time (Lenovo's PolicyCenter, whose kill reason is the
bare package name); ``from pid N`` (the user, via adb or Settings); otherwise ``unknown``. An OEM
announcement (``OHPD``/``HwPFW`` "force stop …") that no AMS line follows is a force-stop in its
own right. Adding an OEM is one ``Signature`` row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.logs.events import Killer

__all__ = ["HINT_WINDOW_LINES", "HINT_WINDOW_S", "SIGNATURES", "Attributor", "Hint", "Signature",
           "appid_of", "hint_signature", "reason_killer"]

# "Just before": an OEM line and the AMS line it caused are milliseconds apart in real captures.
HINT_WINDOW_S = 5.0
HINT_WINDOW_LINES = 50  # when either line has no time (brief format, cut-down captures)
_SCAN_LINES = 5000  # bounds the look-back; a bursty log can fit thousands of lines in the window


@dataclass(frozen=True, slots=True)
class Signature:
    killer: Killer
    reason: re.Pattern[str] | None = None  # searched in an AMS kill / force-stop reason
    tag: re.Pattern[str] | None = None  # an OEM line's tag: context for the next AMS line
    text: re.Pattern[str] | None = None  # with ``tag``: what the message must say to count
    # With ``tag``: the line names no package, so it may match on time alone, when the AMS reason
    # looks like this.
    loose: re.Pattern[str] | None = None
    emits: bool = False  # with ``tag``: with no AMS line to attribute, it is a force-stop itself
    source: str = ""  # where the signature was seen


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_KILL_WORDS = _r(r"(?i)kill|force.?stop|clean")

SIGNATURES: tuple[Signature, ...] = (
    # -- OEM reasons ------------------------------------------------------------------------------
    Signature("samsung", reason=_r(r"\bMARs\b"), source="element-hq/element-android#2143"),
    Signature("samsung", reason=_r(r"^DHA:"), source="termux/termux-boot#5 (DHA = Samsung, unverified)"),
    Signature("miui", reason=_r(r"\bOneKeyClean\b"), source="flutter_background_geolocation#956"),
    # MIUI's other clean reasons: names from community reports, no capture in the reference.
    Signature("miui", reason=_r(r"^(?:SwipeUpClean|ForceClean|GarbageClean|LockScreenClean|Auto\w+(?:Kill|Clean))\b"),
              source="unverified"),
    Signature("huawei", reason=_r(r"\b(?:HwPFW|PFW\.\w+|PowerGenie)\b"), source="DKMA huawei/dev.md"),
    Signature("oppo", reason=_r(r"(?i)\b(?:athena|oplushans|hans)\b"), source="unverified"),
    Signature("oneplus", reason=_r(r"\b(?:OHPD|OPBF)\b"), source="unverified"),
    # -- OEM lines that announce a kill just before AMS logs it ----------------------------------
    Signature("oneplus", tag=_r(r"^(?:OHPD|OPBF)$"), text=_KILL_WORDS, emits=True,
              source="AdguardTeam/AdguardForAndroid#1385"),
    Signature("huawei", tag=_r(r"^(?:PFW\.|HwPFW|PowerGenie|HwPowerGenie)"), text=_KILL_WORDS, emits=True,
              source="DKMA huawei/dev.md"),
    Signature("samsung", tag=_r(r"^(?:MARs|FreecessController|FreecessHandler)"), text=_KILL_WORDS,
              source="element-hq/element-android#2143"),
    Signature("miui", tag=_r(r"^(?:PowerKeeper|ProcessManager|MiuiMemoryService|ProcessPolicy|SmartPower)"),
              text=_KILL_WORDS, source="unverified"),
    Signature("oppo", tag=_r(r"(?i)^(?:athena|hans|oplushans|oplusathena|coloros)"),
              text=_r(r"(?i)kill|force.?stop|clean|freez"), source="unverified"),
    # PolicyCenter's kill reason is the bare package name.
    Signature("lenovo", tag=_r(r"^PolicyCenter"), loose=_r(r"^[A-Za-z]\w*(?:\.\w+)+$"),
              source="iiordanov/remote-desktop-clients#183"),
    # -- AOSP reasons (ProcessList / OomAdjuster / PhantomProcessList) ---------------------------
    Signature("lmk", reason=_r(r"^(?:empty #\d+|empty for \d+s|cached #\d+|Trimming phantom processes"
                               r"|excessive cpu|isolated not needed)"), source="APDOCS, android.md §3.4"),
    Signature("lmk", reason=_r(r"(?i)\blmkd?\b|low ?memory"), source="lmkd"),
    Signature("aosp", reason=_r(r"^(?:kill background|kill all background|remove task|crash|bg anr|anr"
                                r"|depends on provider|user request after error|uninstall pkg|replace pkg"
                                r"|pkg removed|pkg changed|clear data|stop user|start timeout|timeout"
                                r"|deleted|installPackageLI|too many)"), source="AOSP ActivityManager"),
    # -- A person: `am force-stop` via adb, or Settings → Force stop --------------------------------
    Signature("user", reason=_r(r"^from pid \d+"), source="android.md §3.1"),
)

_OEM = frozenset({"miui", "samsung", "oneplus", "oppo", "huawei", "lenovo"})
_OEM_REASONS = tuple(s for s in SIGNATURES if s.reason is not None and s.killer in _OEM)
_AOSP_REASONS = tuple(s for s in SIGNATURES if s.reason is not None and s.killer in ("lmk", "aosp"))
_USER_REASONS = tuple(s for s in SIGNATURES if s.reason is not None and s.killer == "user")
_HINTS = tuple(s for s in SIGNATURES if s.tag is not None)
_hint_memo: dict[str, Signature | None] = {}

_PACKAGE = re.compile(r"\b[A-Za-z][\w]*(?:\.\w+)+\b")
_UID = re.compile(r"\buid[:=]?\s*(\d{4,})")
_UID_TEXT = re.compile(r"^u(\d+)a(\d+)$")
_FROM_PID = re.compile(r"^from pid (\d+)")
_STOP = re.compile(r"^stop ([^,\s]+)")


def reason_killer(reason: str, rows: tuple[Signature, ...] = SIGNATURES) -> Killer | None:
    for sig in rows:
        if sig.reason is not None and sig.reason.search(reason):
            return sig.killer
    return None


def hint_signature(tag: str) -> Signature | None:
    """The context row for lines with this tag, if any (memoised: called for every log line)."""
    try:
        return _hint_memo[tag]
    except KeyError:
        found = next((s for s in _HINTS if s.tag is not None and s.tag.search(tag)), None)
        _hint_memo[tag] = found
        return found


def appid_of(uid: str | int | None) -> int | None:
    """App id (uid % 100000) from ``10157``, ``u0a157`` or ``1000``; None for isolated uids."""
    if uid is None:
        return None
    if isinstance(uid, int):
        return uid % 100_000
    if uid.isdigit():
        return int(uid) % 100_000
    m = _UID_TEXT.match(uid)
    return 10_000 + int(m.group(2)) if m else None


@dataclass(slots=True)
class Hint:
    """An OEM line that may explain the next AMS kill."""

    sig: Signature
    pid: int | None
    time: float | None
    line: int
    text: str
    packages: frozenset[str]
    appids: frozenset[int]
    used: bool = False

    def near(self, time: float | None, line: int) -> bool:
        if time is not None and self.time is not None:
            return 0.0 <= time - self.time <= HINT_WINDOW_S
        return 0 <= line - self.line <= HINT_WINDOW_LINES


@dataclass(slots=True)
class _Stop:
    killer: Killer
    time: float | None
    line: int


@dataclass(slots=True)
class Attributor:
    """The context rules: remembers recent OEM lines and force-stops, answers ``killer``."""

    hints: list[Hint] = field(default_factory=list)
    stops: dict[str, _Stop] = field(default_factory=dict)

    def observe(self, tag: str, text: str, pid: int | None, time: float | None, line: int) -> Hint | None:
        sig = hint_signature(tag)
        if sig is None or (sig.text is not None and not sig.text.search(text)):
            return None
        appids = frozenset(int(u) % 100_000 for u in _UID.findall(text))
        hint = Hint(sig, pid, time, line, text, frozenset(_PACKAGE.findall(text)), appids)
        self.hints.append(hint)
        return hint

    def killer(self, package: str | None, appid: int | None, reason: str, time: float | None,
               line: int) -> Killer:
        """Who is behind an AMS kill or force-stop of ``package`` with this ``reason``."""
        killer = reason_killer(reason, _OEM_REASONS)
        if killer is not None:
            return killer
        stop = _STOP.match(reason)
        if stop is not None:
            prior = self.stops.get(stop.group(1))
            if prior is not None and _close(prior.time, prior.line, time, line):
                return prior.killer
        from_pid = _FROM_PID.match(reason)
        hint = self._hint(package, appid, int(from_pid.group(1)) if from_pid else None, time, line)
        if hint is not None:
            return hint.sig.killer
        killer = reason_killer(reason, _AOSP_REASONS)
        if killer is not None:
            return killer
        hint = self._loose_hint(reason, time, line)
        if hint is not None:
            return hint.sig.killer
        return reason_killer(reason, _USER_REASONS) or "unknown"

    def note_force_stop(self, package: str, killer: Killer, time: float | None, line: int) -> None:
        """``Killing … stop <pkg>`` lines that follow inherit this force-stop's killer."""
        self.stops[package] = _Stop(killer, time, line)

    def unused(self) -> list[Hint]:
        """OEM kill announcements that no AMS line followed: kills in their own right."""
        return [h for h in self.hints if h.sig.emits and not h.used]

    def _recent(self, line: int) -> list[Hint]:
        # Hints are in line order; a bursty log can put many lines inside the time window, so
        # the line cap only bounds the scan.
        recent: list[Hint] = []
        for hint in reversed(self.hints):
            if line - hint.line > _SCAN_LINES:
                break
            recent.append(hint)
        return recent

    def _hint(self, package: str | None, appid: int | None, from_pid: int | None, time: float | None,
              line: int) -> Hint | None:
        for hint in self._recent(line):
            if not hint.near(time, line):
                continue
            if ((package is not None and package in hint.packages) or (appid is not None and appid in hint.appids)
                    or (from_pid is not None and from_pid == hint.pid)):
                hint.used = True
                return hint
        return None

    def _loose_hint(self, reason: str, time: float | None, line: int) -> Hint | None:
        for hint in self._recent(line):
            loose = hint.sig.loose
            if loose is not None and loose.search(reason) and hint.near(time, line):
                hint.used = True
                return hint
        return None


def _close(t0: float | None, l0: int, t1: float | None, l1: int) -> bool:
    if t0 is not None and t1 is not None:
        return 0.0 <= t1 - t0 <= HINT_WINDOW_S
    return 0 <= l1 - l0 <= HINT_WINDOW_LINES
