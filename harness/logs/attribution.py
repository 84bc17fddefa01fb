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

iOS has no such table of vendors: RunningBoard reports every app death with the exit reason's namespace
and code, and ``ios_exit`` decodes those into a ``kill`` (by ``ios``, by ``user`` for the app-switcher
swipe, or by ``unknown`` for a bare SIGKILL) or a ``process_died`` of the app's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from harness.logs._signature import Signature, _r
from harness.logs.events import Killer
from harness.logs.oem_signatures import OEM_TABLES, REQUESTER_PREFIXES, USER_REQUESTERS

__all__ = ["AOSP_SIGNATURES", "HINT_WINDOW_LINES", "HINT_WINDOW_S", "IOS_JETSAM_CAUSES", "IOS_REASON_NAMESPACES",
           "IOS_TERMINATION_CODES", "SIGNATURES", "USER_QUIT_CODE", "Attributor", "Hint", "IOSExit", "Signature",
           "appid_of", "hint_signature", "ios_exit", "reason_killer", "requester_killer"]

# "Just before": an OEM line and the AMS line it caused are milliseconds apart in real captures.
HINT_WINDOW_S = 5.0
HINT_WINDOW_LINES = 50  # when either line has no time (brief format, cut-down captures)
_SCAN_LINES = 5000  # bounds the look-back; a bursty log can fit thousands of lines in the window


# The OEM rows live in ``oem_signatures``, one table per vendor; these are AOSP's own and the user's.
AOSP_SIGNATURES: tuple[Signature, ...] = (
    # -- AOSP reasons (ProcessList / OomAdjuster / PhantomProcessList) ---------------------------
    # ActivityManager trimming its own process lists past a count: "empty #N" / "cached #N" once there are more
    # than the empty/cached process limit, "empty for Ns" for an empty process idle past the trim time
    # (OomAdjuster.updateAndTrimProcessLSP: REASON_OTHER with SUBREASON_TOO_MANY_EMPTY / TOO_MANY_CACHED /
    # TRIM_EMPTY), Android 4's "hidden #N" past the hidden-app limit (am_kill reason "too many background"), and
    # "Trimming phantom processes" past MAX_PHANTOM_PROCESSES (PhantomProcessList). These are limits on how many
    # processes AMS keeps, applied whatever the free memory; the low-memory killer (lmkd, the kernel driver) is
    # another process and logs its own kills (REASON_LOW_MEMORY). So they are AMS's own policy, aosp, not lmk.
    Signature("aosp", reason=_r(r"^(?:empty #\d+|empty for \d+s|cached #\d+|hidden #\d+|Trimming phantom processes)"),
              source="AOSP OomAdjuster, ProcessList (4.x), PhantomProcessList; field a002, a019, a043, j010"),
    # ActivityManager's CPU policing of background processes: not memory pressure (field a051, a052).
    Signature("aosp", reason=_r(r"^excessive cpu"), source="field a051, a052"),
    # AMS killing a process whose attachApplication threw ("error during init", field a102): its own clean-up.
    Signature("aosp", reason=_r(r"^error during init"), source="field a102"),
    # ActivityManager ending an isolated process nothing is bound to any more: clean-up, not memory pressure.
    Signature("aosp", reason=_r(r"^isolated not needed"), source="AOSP ProcessList (isolated not needed)"),
    # The cached-app freezer kills a frozen process that a binder call cannot wait for (CachedAppOptimizer
    # binderErrorInternal: "Sync transaction while frozen", "Async binder space running out while frozen"; fields
    # b006, b007) or that it failed to freeze ("Unable to freeze binder interface"): AMS's own housekeeping.
    Signature("aosp", reason=_r(r"^(?:Sync transaction while frozen|Async binder space running out while frozen"
                                r"|Unable to (?:freeze|query) binder)"),
              source="AOSP CachedAppOptimizer; field b006, b007"),
    # PermissionManagerService kills an app whose runtime permissions were revoked (KILL_APP_REASON_PERMISSIONS_REVOKED,
    # field c004) or whose gids changed with a grant (KILL_APP_REASON_GIDS_CHANGED).
    Signature("aosp", reason=_r(r"^(?:permissions revoked|permission grant or revoke changed gids)"),
              source="AOSP PermissionManagerService; field c004"),
    Signature("lmk", reason=_r(r"(?i)\blmkd?\b|low ?memory"), source="lmkd"),
    Signature("aosp", reason=_r(r"^(?:kill background|kill all background|remove task|crash|bg anr|anr"
                                r"|depends on provider|uninstall pkg|replace pkg"
                                r"|pkg removed|pkg changed|clear data|stop user|start timeout|timeout"
                                r"|deleted|installPackageLI|too many)"), source="AOSP ActivityManager"),
    # -- A person: `am force-stop` via adb, or Settings → Force stop --------------------------------
    Signature("user", reason=_r(r"^from pid \d+"), source="android.md §3.1"),
    # AMS stops the app a debugger is being set for (Android Studio, `am set-debug-app`): a person (field a085).
    Signature("user", reason=_r(r"^set debug app$"), source="field a085"),
    # Android 4's killAppAtUsersRequest, the user's Force close in a system dialog (here the wait-for-debugger
    # dialog): the log's own words name the user (field j002).
    Signature("user", reason=_r(r"^user's request$"), source="AOSP 4.x ActivityManagerService; field j002"),
    # Its successor, AppErrors.killAppAtUserRequestLocked: the person's "Close app" in a crash or ANR dialog. The kill
    # is the tap's; the error it followed is in the log as its own line (field a031: the ANR, then this kill).
    Signature("user", reason=_r(r"^user request after error$"), source="AOSP AppErrors; field a031"),
)


SIGNATURES: tuple[Signature, ...] = tuple(row for table in OEM_TABLES for row in table) + AOSP_SIGNATURES
_OEM = frozenset({"miui", "samsung", "oneplus", "oppo", "huawei", "lenovo", "vivo"})
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
# Android 13+ ActivityManagerService.forceStopPackageLocked kills with "stop PKG due to WHY" ("stop user N due to
# WHY" for a user), WHY being the force-stop's own reason: "from pid N", an AOSP reason ("clear data", field
# b011), or what a vendor's caller passed ("stop by com.vivo.abe", field b005). Older trees: "stop PKG".
_DUE_TO = re.compile(r"^stop (?:user )?\S+ due to (.+)$")
# A vendor's force-stop reason naming the package that asked for it.
_STOP_BY = re.compile(r"^stop by ([A-Za-z]\w*(?:\.\w+)+)")


def reason_killer(reason: str, rows: tuple[Signature, ...] = SIGNATURES) -> Killer | None:
    for sig in rows:
        if sig.reason is not None and sig.reason.search(reason):
            return sig.killer
    return None


def requester_killer(package: str) -> Killer:
    """Who a force-stop's requesting app stands for: Settings is the user, a vendor's package is that vendor."""
    if package in USER_REQUESTERS:
        return "user"
    return next((killer for prefix, killer, _source in REQUESTER_PREFIXES if package.startswith(prefix)), "unknown")


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
               line: int, requester: str | None = None) -> Killer:
        """Who is behind an AMS kill or force-stop of ``package`` with this ``reason``.

        ``requester`` is the package of the ``from pid N`` process when the log named that pid (a ``Start
        proc`` line): Settings is the user, a vendor's own app is that vendor, any other app is ``unknown``."""
        killer = reason_killer(reason, _OEM_REASONS)
        if killer is not None:
            return killer
        stop = _STOP.match(reason)
        if stop is not None:
            prior = self.stops.get(stop.group(1))
            if prior is not None and _close(prior.time, prior.line, time, line):
                return prior.killer
        due = _DUE_TO.match(reason)
        if due is not None:
            # No force-stop line before it (an events-buffer am_kill alone): the force-stop's reason decides.
            why = due.group(1)
            by = _STOP_BY.match(why)
            if by is not None and reason_killer(why, _OEM_REASONS) is None:
                return requester_killer(by.group(1))
            return self.killer(package, appid, why, time, line, requester)
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
        if from_pid is not None and requester is not None:
            return requester_killer(requester)
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


# -- iOS: who ended a process -------------------------------------------------------------------------
# RunningBoard logs every app death as ``<identity> termination reported by launchd (%u, %llu, %u)``: the
# exit reason's namespace, its code, and the wait4 status (RunningBoard's ``_handleDeath``, format string as
# in public decompilations of RunningBoard.framework). Namespaces are xnu's OS_REASON_* (bsd/sys/reason.h);
# 15 is OS_REASON_RUNNINGBOARD of newer xnu, as launchd prints it ("exited with exit reason (namespace: 15
# code: 0xbaddd15c) - OS_REASON_RUNNINGBOARD"). A plain exit is namespace 0 with the exit status in wait4's
# high byte: ``(0, 0, 65280)`` is exit(255).
IOS_REASON_NAMESPACES: dict[int, str] = {
    0: "EXIT", 1: "JETSAM", 2: "SIGNAL", 3: "CODESIGNING", 4: "HANGTRACER", 5: "TEST", 6: "DYLD", 7: "LIBXPC",
    8: "OBJC", 9: "EXEC", 10: "SPRINGBOARD", 11: "TCC", 12: "REPORTCRASH", 13: "COREANIMATION", 14: "AGGREGATED",
    15: "RUNNINGBOARD",
}
# Namespaces in which the OS itself ends the app (memory, hang, SpringBoard/FrontBoard, RunningBoard);
# the others (code signing, dyld, objc, TCC, …) are the app failing.
_IOS_OS_NAMESPACES = frozenset({1, 4, 10, 15})
USER_QUIT_CODE = 0xDEADFA11
# Termination codes (the RBSTerminateContext / crash-report "Termination Reason" code) → killer and why.
# 0xdeadfa11: the app-switcher swipe. SpringBoard's RBSTerminateContext reads "domain:10 code:0xDEADFA11
# explanation:killed from app switcher" (quoted in the source comments of a CarPlay app-switcher tweak that
# replays SpringBoard's request, and in a unified-log line "exited with exit reason (namespace: 10 code:
# 0xdeadfa11) - OS_REASON_SPRINGBOARD | <RBSTerminateContext| domain:10 code:0xDEADFA11 explanation:killed
# from app switcher …>", both public). The rest: Apple, Xcode documentation "EXC_CRASH (SIGKILL)".
IOS_TERMINATION_CODES: dict[int, tuple[Killer, str]] = {
    USER_QUIT_CODE: ("user", "killed from app switcher"),
    0x8BADF00D: ("ios", "watchdog"),
    0x2182BAD2: ("ios", "background task did not complete in time"),
    0x2182BAD3: ("ios", "background URL session did not complete in time"),
    0x2182BAD4: ("ios", "background fetch did not complete in time"),
    0xDEAD10CC: ("ios", "held a file lock while suspended"),
    0xC00010FF: ("ios", "thermal event"),
    0xBAADCA11: ("ios", "no CallKit call reported for a VoIP push"),
    0xBAD22222: ("ios", "VoIP app resumed too often"),
    0xBADDD15C: ("ios", "deleting caches to reclaim disk space"),
    0xD00D2BAD: ("ios", "excessive use of system resources"),
}
# xnu kern_memorystatus.c memorystatus_kill_cause_name[], by JETSAM_REASON_* code.
IOS_JETSAM_CAUSES = ("", "jettisoned", "highwater", "vnode-limit", "vm-pageshortage", "proc-thrashing",
                     "fc-thrashing", "per-process-limit", "disk-space-shortage", "idle-exit", "zone-map-exhaustion",
                     "vm-compressor-thrashing", "vm-compressor-space-shortage")
_SIGNALS = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGEMT", 8: "SIGFPE",
            9: "SIGKILL", 10: "SIGBUS", 11: "SIGSEGV", 12: "SIGSYS", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"}
_CRASH_SIGNALS = frozenset({4, 5, 6, 7, 8, 10, 11, 12})


@dataclass(frozen=True, slots=True)
class IOSExit:
    """How an iOS app process ended: a ``kill`` by someone, or a ``process_died`` of its own."""

    kind: Literal["kill", "process_died"]
    killer: Killer | None
    reason: str
    namespace: str
    code: str  # as the crash report prints it, e.g. "0xdeadfa11", or the signal / exit status
    user_quit: bool = False


def ios_exit(namespace: int, code: int, status: int) -> IOSExit:
    """Decode RunningBoard's ``termination reported by launchd (namespace, code, wait4 status)``.

    A bare SIGKILL names nobody (a debugger or a developer tool sends those; the OS's own kills carry a
    namespace of their own), so its killer is ``unknown``."""
    name = IOS_REASON_NAMESPACES.get(namespace, f"namespace {namespace}")
    if namespace == 0:
        signal = status & 0x7F
        if signal == 0:
            exit_status = (status >> 8) & 0xFF
            return IOSExit("process_died", None, f"exited with status {exit_status}", name, str(exit_status))
        return _signalled(signal, name)
    if namespace == 2:
        return _signalled(code, name)
    if namespace == 1:
        cause = IOS_JETSAM_CAUSES[code] if 0 < code < len(IOS_JETSAM_CAUSES) else f"reason {code}"
        return IOSExit("kill", "ios", f"jetsam: {cause}", name, str(code))
    hexcode = f"0x{code:x}"
    if namespace in _IOS_OS_NAMESPACES:
        killer, why = IOS_TERMINATION_CODES.get(code, ("ios", f"{name} {hexcode}"))
        return IOSExit("kill", killer, why, name, hexcode, user_quit=code == USER_QUIT_CODE)
    return IOSExit("process_died", None, f"{name} {hexcode}", name, hexcode)


def _signalled(signal: int, namespace: str) -> IOSExit:
    sig = _SIGNALS.get(signal, f"signal {signal}")
    if signal in _CRASH_SIGNALS:
        return IOSExit("process_died", None, f"crashed: {sig}", namespace, str(signal))
    return IOSExit("kill", "unknown", sig, namespace, str(signal))
