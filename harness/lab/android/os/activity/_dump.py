"""``dumpsys activity processes|services|activities|recents`` and ``dumpsys notification``.

Layouts: the process section follows a real Android 12 dump (captures §26, header, ``OOM levels:``,
``Process OOM control``, ``mHomeProcess``) with the ``*APP*`` record lines of reference §3.3. The
service records follow ActiveServices.ServiceDumper (``dumpsys activity services`` dumps every record
in full) and ServiceRecord.dump of the Android 14 tree (read through the code index): no
``permission=`` line for a service without one, ``baseDir=``/``dataDir=``, the FGS start-reason lines,
`` isForeground=true foregroundId=N types=%08X foregroundNoti=Notification(...)`` (no ``0x``: an
Android 15 ColorOS build prints ``types=0x%08X``, a later AOSP-derived one ``%08X`` again, so the lab
keeps AOSP's form), and ``startCommandResult=`` on its own line with one leading space (the
source's missing prefix). Android 15 adds WIU/BFSL reason-code lines (``mAllowWiu_*``,
``getFgsAllowStart*``) and the Bindings/Connections blocks of a bound service follow; the lab leaves
those out [abridged]. NotificationRecord.toString's format is AOSP's. Row columns of the OOM list
and the activities dump are abridged [unverified beyond the quoted keys].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lab.android.os.activity._records import ADJ_LEVELS, PROC_STATES, AppRecord
from harness.lab.android.os.base import format_duration
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.os.activity._manager import ActivityManager

__all__ = ["NotificationService", "dump_activity", "oom_adj_long"]

_LONG_TAGS: tuple[tuple[int, str, str | None], ...] = (
    (900, "cch", "   "), (800, "svcb  ", None), (700, "prev  ", None), (600, "home  ", None), (500, "svc   ", None),
    (400, "hvy   ", None), (300, "bkup  ", None), (250, "prcl  ", None), (225, "prcm  ", None),
    (200, "prcp  ", None), (100, "vis", "   "), (0, "fg ", "   "),
)
_ADJ_TYPE = {"TOP": "top-activity", "TPSL": "top-sleeping", "FGS": "fg-service", "TRNB": "service",
             "LAST": "previous", "CAC": "cch-act", "CEM": "cch-empty"}


def oom_adj_long(adj: int) -> str:
    """``makeOomAdjString(adj, false)`` (ProcessList.buildOomTag, non-compact)."""
    for base, prefix, space in _LONG_TAGS:
        if adj >= base:
            diff = adj - base
            if diff == 0:
                return prefix + (space or "")
            return prefix + ("+ " if diff < 10 else "+") + str(diff)
    return "pers  "


def dump_activity(am: ActivityManager, inv: Invocation, args: list[str]) -> int:
    words = [a for a in args if not a.startswith("-")]
    what = words[0] if words else None
    package = words[1] if len(words) > 1 else None
    if what in ("processes", "p"):
        _processes(am, inv, package)
    elif what in ("services", "s"):
        _services(am, inv, package)
    elif what in ("activities", "a"):
        _activities(am, inv)
    elif what in ("recents", "r"):
        _recents(am, inv)
    elif what is None:
        _activities(am, inv)
        _services(am, inv, None)
        _processes(am, inv, None)
    else:
        inv.out(f"Bad activity command, or no activities match: {what}\nUse -h for help.\n")
    return 0


def _processes(am: ActivityManager, inv: Invocation, package: str | None) -> None:
    now = am.dev.clock.now()
    records = [r for r in am.apps.values() if package is None or r.package == package]
    inv.out("ACTIVITY MANAGER RUNNING PROCESSES (dumpsys activity processes)\n")
    if records:
        inv.out("  All known processes:\n")
    for rec in sorted(records, key=lambda r: r.proc.adj):
        inv.out(_record_block(am, rec, now))
    if package is not None:
        return
    inv.out("\n  OOM levels:\n")
    for adj, name, kb in ADJ_LEVELS:
        inv.out(f"    {_oom_level_adj(adj)}: {name} ({kb:>9,}K)\n")
    total = len(am.dev.processes.all())
    inv.out(f"\n  Process OOM control ({total} total, non-act at {len(records)}, non-svc at {len(records)}):\n")
    for index, rec in enumerate(sorted(records, key=lambda r: r.proc.adj)):
        state = rec.proc.proc_state
        sched = "T" if state == "TOP" else "B" if rec.proc.adj >= 900 else "F"
        act = "A" if rec.has_activity else "S" if rec.services else " "
        inv.out(f"    Proc #{index:2d}: {oom_adj_long(rec.proc.adj)} {sched}/{act}/{state:<4} LCMNFUA  t: 0 "
                f"{rec.short} ({_ADJ_TYPE.get(state, 'cch-empty')})\n")
    home = am.dev.processes.by_name(_launcher(am))
    if home:
        inv.out(f"\n  mHomeProcess: ProcessRecord{{{am.ids.getrandbits(28):x} {home[0].pid}:{home[0].name}/"
                f"u0a{home[0].uid - 10_000}}}\n")
    previous = next((r for r in records if r.proc.proc_state == "LAST"), None)
    if previous is not None:
        inv.out(f"  mPreviousProcess: {previous}\n")


def _oom_level_adj(adj: int) -> str:
    """AMS.printOomLevel pads only short values: ``  0``, `` 100``, ``-900`` (not a fixed width)."""
    if adj >= 0:
        return (" " if adj >= 10 else "  ") + str(adj)
    return (" " if adj > -10 else "") + str(adj)


def _launcher(am: ActivityManager) -> str:
    return {"xiaomi": "com.miui.home", "oppo": "com.android.launcher",
            "samsung": "com.sec.android.app.launcher"}.get(am.dev.ident.oem, "com.google.android.apps.nexuslauncher")


def _record_block(am: ActivityManager, rec: AppRecord, now: float) -> str:
    pkg = am.dev.packages.get(rec.package)
    code = pkg.path if pkg is not None else ""
    app_id = rec.uid % 100_000
    state = rec.proc.proc_state
    num = PROC_STATES.get(state, 20)
    since = format_duration(rec.last_state_time - now)
    cached = state in ("CAC", "CEM")
    return (f"  *APP* UID {rec.uid} {rec}\n"
            f"    user #0 uid={rec.uid} gids={{{app_id + 40_000}, {app_id + 10_000}, 9997, 3003}}\n"
            f"    mRequiredAbi=arm64-v8a instructionSet=null\n"
            f"    dir={code} publicDir={code} data=/data/user/0/{rec.package}\n"
            f"    packageList={{{rec.package}}}\n"
            f"    pid={rec.pid} lastActivityTime={format_duration((rec.bg_since or rec.proc.started) - now)}\n"
            f"    oom adj: max=1001 curRaw={rec.proc.adj} setRaw={rec.proc.adj} cur={rec.proc.adj} "
            f"set={rec.proc.adj}\n"
            f"    curProcState={num} mRepProcState={num} setProcState={num} lastStateTime={since}\n"
            f"    mHasForegroundServices={str(rec.has_foreground_service).lower()} forcingToImportant=null\n"
            f"    cached={str(cached).lower()} empty={str(state == 'CEM').lower()}\n"
            + ("    frozen=true\n" if rec.proc.frozen else ""))


def _services(am: ActivityManager, inv: Invocation, package: str | None) -> None:
    now = am.dev.clock.now()
    inv.out("ACTIVITY MANAGER SERVICES (dumpsys activity services)\n")
    services = [(rec, s) for rec in am.apps.values() for s in rec.services
                if package is None or rec.package == package]
    if not services:
        inv.out("  (nothing)\n")
        return
    inv.out("  User 0 active services:\n")
    for index, (rec, svc) in enumerate(services):
        age = format_duration(svc.created - now)
        pkg = am.dev.packages.get(rec.package)
        reason = "PROC_STATE_TOP"  # started from the app's resumed activity (the only start the lab models)
        inv.out(("\n" if index else "")
                + f"  * {svc}\n    intent={{cmp={svc.short_component}}}\n    packageName={svc.package}\n"
                f"    processName={rec.package}\n    baseDir={pkg.path if pkg is not None else ''}\n"
                f"    dataDir=/data/user/0/{rec.package}\n    app={rec}\n"
                f"    mAllowWhileInUsePermissionInFgsReason={reason}\n    allowUiJobScheduling=false\n"
                f"    recentCallingPackage={svc.package}\n    recentCallingUid={rec.uid}\n"
                f"    allowStartForeground={reason}\n    startForegroundCount=1\n    infoAllowStartForeground=null\n")
        if svc.notification is not None:
            inv.out(f"    isForeground=true foregroundId={svc.foreground_id} types={svc.foreground_types:08X} "
                    f"foregroundNoti={svc.notification.notification_text()}\n")
        # START_REDELIVER_INTENT (3): what expo-location's LocationTaskService.onStartCommand returns
        inv.out(f"    createTime={age} startingBgTimeout=--\n    lastActivity={age} restartTime={age} "
                f"createdFromFg=true\n    startRequested=true delayedStop=false stopIfKilled=false callStart=true "
                f"lastStartId=1\n startCommandResult=3\n")


def _activities(am: ActivityManager, inv: Invocation) -> None:
    inv.out("ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\nDisplay #0 (activities from top to bottom):\n")
    for index, package in enumerate(am.recents):
        found = sorted(am.activities(package))
        cls = found[0][len(package):] if found and found[0].startswith(package + ".") else (found or ["?"])[0]
        visible = str(package == am.top).lower()
        task = 10 + index
        inv.out(f"  * Task{{{am.ids.getrandbits(28):x} #{task} type=standard A={_uid(am, package)}:{package} U=0 "
                f"visible={visible} mode=fullscreen translucent=false sz=1}}\n")
        if package == am.top and am.in_foreground(package):
            record = f"ActivityRecord{{{am.ids.getrandbits(28):x} u0 {package}/{cls} t{task}}}"
            inv.out(f"    mResumedActivity: {record}\n  ResumedActivity: {record}\n  topResumedActivity={record}\n")


def _recents(am: ActivityManager, inv: Invocation) -> None:
    inv.out("ACTIVITY MANAGER RECENT TASKS (dumpsys activity recents)\n  Recent tasks:\n")
    for index, package in enumerate(am.recents):
        inv.out(f"  * Recent #{index}: Task{{{am.ids.getrandbits(28):x} #{10 + index} type=standard "
                f"A={_uid(am, package)}:{package} U=0 visible={str(package == am.top).lower()}}}\n")


def _uid(am: ActivityManager, package: str) -> int:
    pkg = am.dev.packages.get(package)
    return pkg.uid if pkg is not None else 0


class NotificationService:
    """``dumpsys notification``: the posted notifications (the FGS ones are what harnesses look for)."""

    def __init__(self, am: ActivityManager) -> None:
        self.am = am

    def dump(self, inv: Invocation, args: list[str]) -> int:
        inv.out("Current Notification Manager state:\n  Notification List:\n")
        for n in self.am.notifications:
            inv.out(f"    NotificationRecord(0x{n.hash:08x}: pkg={n.package} user=UserHandle{{0}} id={n.notif_id} "
                    f"tag=null importance={n.importance} key={n.key}: {n.notification_text()})\n"
                    f"      uid={n.uid} userId=0\n      opPkg={n.package}\n      flags=0x{n.flags:x}\n"
                    f"      pri=0\n      key={n.key}\n      seen=false\n      groupKey={n.key}\n"
                    f"      notification=\n        channel={n.channel}\n")
        return 0

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        if not args:
            inv.out("usage: cmd notification SUBCMD [args]\n")
            return 0
        inv.out(f"Unknown command: {args[0]}\n")
        return 255
