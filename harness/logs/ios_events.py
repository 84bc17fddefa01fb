"""Turn an iPhone's log records (``ios_syslog``) into the typed ``Event``s that expectations and reports read.

Pure and incremental, as ``android_events.EventBuilder``: ``feed`` records, read ``events``. What is read,
and where its wording comes from (real lines in shared/reference/captures/ios.md and ios.md §4.4):

- **runningboardd** names each app process ``[app<bundle(persona)>:pid]`` (iOS 17+) or
  ``[application<bundle>:pid]`` (iOS 14–16), which ties pids to bundle ids. ``This process will (not) be
  managed.`` / ``Now tracking process:`` → ``process_start``; ``Terminating with context:
  <RBSTerminateContext| domain:… code:… explanation:…>`` says why RunningBoard ends it; ``termination
  reported by launchd (namespace, code, status)`` → ``kill`` or ``process_died`` (decoded by
  ``attribution.ios_exit``); ``Removing process:`` → ``process_died`` when nothing else said so. iOS 14's
  FrontBoard adds ``Process exited: <FBProcessExitContext; watchdog (…)>`` (a ``kill`` by ``ios``). Each
  death gives one end event, whichever of them comes first (Console exports repeat lines).
- **User force-quit** (the app-switcher swipe): SpringBoard asks RunningBoard to terminate with
  ``code:0xDEADFA11 explanation:killed from app switcher`` (namespace 10, OS_REASON_SPRINGBOARD): a
  ``force_stop`` with killer ``user`` — as on Android, the app then gets no background launch until the user
  opens it (Apple: "the system does not automatically launch your app if the user has force-quit it") —
  followed by the ``kill``. OS kills (jetsam, watchdog, background time expiry) have killer ``ios``.
- **SpringBoard** ``Received incoming message on topic <bundle> at priority <n>`` → ``push`` (reason
  ``priority 5`` for a background push, 10 for an alert; firebase/flutterfire#8277, uxduck/push#7).
  **apsd** hears it first: ``Received message for enabled topic '<bundle>' … with priority <n>`` (the topic
  is ``<private>`` in release builds) → ``push``; when SpringBoard's line follows, the two are one push and
  SpringBoard's wording (it names the app, and the priority it was delivered at) replaces apsd's.
- **ReportCrash** ``Sending event: com.apple.stability.crash {…"bundleID":"<bundle>"…}`` → ``process_died``
  (the crash report names no pid; RunningBoard's or launchd's account of the same end replaces it).
- **launchd** ``[…UIKitApplication:<bundle>[…] [<pid>]:] exited with exit reason (namespace: n code: c)`` →
  ``kill`` or ``process_died``, decoded as RunningBoard's report is.
- **dasd** ``Submitted Activity:`` / ``CANCELED:`` / ``COMPLETED`` / ``'<name>' … DecisionToRun:<0|1>`` →
  ``activity`` (reason submitted / canceled / completed / run / deferred). A silent push's activity is
  ``com.apple.pushLaunch.<bundle>:<hex>``, which names the app; no capture shows a BGTask's activity name,
  so those are kept without a package.
- **The app's own process**: the probe line (``BgProbe v1``; ``wake`` → ``wake``), Expo's
  ``EXTaskService: Executing task '<name>' for app '<appId>'.`` (EXTaskService.m) and ``Expo Background
  Tasks - starting background work`` / ``- task expired`` (expo-background-task BackgroundTaskAppDelegate,
  after the level emoji), and BackgroundTasks' ``Simulating launch for task with identifier …``,
  ``Starting simulated task: <BGAppRefreshTask: …>`` and ``No task request with identifier … has been
  scheduled`` → ``activity`` (simulated_launch / not_scheduled). App lines get their package from the pid
  RunningBoard named; Console exports print no pid, so theirs stays None.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from harness.logs.attribution import IOS_JETSAM_CAUSES, USER_QUIT_CODE, ios_exit
from harness.logs.events import Event, EventKind, Killer
from harness.logs.logcat import LogLine
from harness.logs.probe import MARKER, parse_probe, probe_event

__all__ = ["EXPO_BG_TASK_ID", "IOSEventBuilder", "ios_events"]

EXPO_BG_TASK_ID = "com.expo.modules.backgroundtask.processing"  # BackgroundTaskConstants.swift

# The process a RunningBoard / FrontBoard line is about comes first: "[app<b(persona)>:pid] …", or after
# "Now tracking process: " / "Removing process: ". Anchoring matters: an extension's identity nests its host's,
# "[xpcservice<com.apple.WebKit.WebContent([app<b((null))>:21249])>…:21255] termination reported …", and that
# death is not the app's.
# A report may elide the identity ("[...:30199]", field d007): the pid is all there is, and whose it is stays unknown.
_SUBJECT = re.compile(r"^(?:Now tracking process: |Removing process: |Removing assertions for terminated process: )?"
                      r"\[(?:(?:app|application|anon)<(?P<bundle>[^<>()\s]+)(?:\([^<>]*\))?>(?:\(\d+\))?|\.\.\.|…)"
                      r":(?P<pid>\d+)\]")
# macOS names a process with no bundle "anon<Name>(uid)", the uid outside the brackets (field i023); the name
# is all the identity there is.
# macOS names a LaunchServices app "application.<bundle id>.<n>.<n>" inside app<…> (field i005, i006).
_LS_IDENTITY = re.compile(r"^application\.(?P<bundle>.+?)(?:\.\d+){1,2}$")
_TERMINATED = re.compile(r"termination reported by launchd (?:\((\d+), (\d+), (\d+)\)|without exit status)")
_CONTEXT = re.compile(r"Terminating with context: <RBSTerminateContext\|(?: domain:(?P<domain>\d+))?"
                      r"(?: code:(?P<code>0x[0-9A-Fa-f]+))?(?: explanation:(?P<why>.*?)"
                      r"(?=\n| {2}| \| | ProcessVisibility:| reportType:| maxTerminationResistance:|>|$))?")
# "This process will be managed, but informing memorystatus failed …" is a start too (dotnet/maui#1175).
_STARTED = (" This process will be managed", " This process will not be managed")
# FrontBoard's own account of a death, iOS 14: "[application<b>:796] Process exited: <FBProcessExitContext;
# watchdog ("watchdog provision violated")>." (dotnet/macios#10086).
_FB_EXITED = re.compile(r"Process exited: <FBProcessExitContext; (?P<what>[^(>]*?)(?: \((?P<why>[^)]*)\))?>")
_PUSH = re.compile(r"Received incoming message on topic (\S+) at priority (\d+)")
# SpringBoard, iOS 4-7: "Application 'UIKitApplication:<bundle>[0x1828]' exited abnormally with signal 9: Killed:
# 9" (field j014). A signal, decoded as RunningBoard's namespace-2 report is: a SIGKILL whose sender is not named is a
# kill by nobody known, a crash signal the app's own death.
_SB_SIGNALLED = re.compile(r"^Application '(?:UIKitApplication:)?(?P<bundle>[^'\[\]]+)(?:\[(?:0x)?[0-9A-Fa-f]+\])?' "
                           r"exited abnormally with signal (?P<sig>\d+)")
# apsd, for every push it receives (iOS 10-17): "<APSCourier: 0x…>: Received message for enabled topic
# 'com.ihs.energyalert' with payload '{…}' onInterface: NonCellular  for device token: NO  with priority 10"
# (dotnet/macios#3784, field h010; the payload may span rows), "<private>: Received message for enabled topic
# '<private>' onInterface: WWAN with payload '<private>' with priority 5 for device token: NO" (field i004).
_APSD_PUSH = re.compile(r"Received message for enabled topic '(?P<topic>[^']*)'(?:.*?\bwith priority (?P<prio>\d+))?",
                        re.S)
_PUSH_SAME_LINES = 50  # apsd's line and SpringBoard's for one push: milliseconds and a few lines apart
_PUSH_SAME_S = 5.0
# ReportCrash's stability event for a crash it wrote up (flutter/flutter#60657, field h005).
_STABILITY_CRASH = re.compile(r'^Sending event: com\.apple\.stability\.crash \{.*?"bundleID":"(?P<bundle>[^"]+)"'
                              r'(?:.*?"terminationReasonNamespace":"(?P<ns>[^"]+)")?')
# launchd's account of an app's end as a device's system log quotes it: "[user/501/UIKitApplication:
# net.dot.System.Runtime.Tests[2d42][rb-legacy] [27597]:] exited with exit reason (namespace: 3 code: 0x2) -"
# (dotnet/runtime#127867, field h018); namespace and code as in RunningBoard's report.
_LAUNCHD_EXIT = re.compile(r"UIKitApplication:(?P<bundle>[^\[\]\s]+)\[[0-9A-Fa-f]+\](?:\[[^\]]*\])* "
                           r"\[(?P<pid>\d+)\]:?\] exited with exit reason "
                           r"\(namespace: (?P<ns>\d+) code: (?P<code>0x[0-9A-Fa-f]+|\d+)\)")
_END_LOOKBACK = 20  # events to look back over for another account of the same end
_DASD: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Submitted Activity: (\S+)(?: at priority (\d+))?"), "submitted"),
    (re.compile(r"^CANCELED: (\S+)(?: at priority (\d+))?"), "canceled"),
    (re.compile(r"^COMPLETED:? (\S+)(?: at priority (\d+))?"), "completed"),
    # The activity began: dasd's "STARTED: %@" / "STARTED: %{public}@" (its format strings as the iOS 26
    # DuetActivityScheduler binary carries them, beside "SUBMITTED"/"CANCELED"/"COMPLETED").
    (re.compile(r"^STARTED:? (\S+)(?: at priority (\d+))?"), "run"),
)
_DECISION = re.compile(r"^'([^']+)' CurrentScore: .*?DecisionToRun:(\d)")
# iOS 14+ dasd prints its policy evaluation of an activity over several rows:
# "bgProcessing-<id>:B5B340:[\n\t{name: …}\n ], FinalDecision: Must Not Proceed}" (field i002).
_FINAL = re.compile(r"^(?P<name>\S+?):\[.*FinalDecision: (?P<decision>[A-Za-z ]+?)\}?\s*$", re.S)
_PUSH_LAUNCH = "com.apple.pushLaunch."
_APPLE = "com.apple."
# An Apple activity that carries an app's id after its own ("com.apple.<service>.<bundle id>") is about that app.
_EMBEDDED_ID = re.compile(r"\.(?:com|org|net|io|co|de|fr|uk|app|dev|me)\.[A-Za-z0-9-]+\.")
_BG_RUN_LINES = 20
_EXPO_EXECUTING = re.compile(r"EXTaskService: Executing task '(.+?)' for app '(.*?)'")
_EXPO_STARTING = "Expo Background Tasks - starting background work"
_EXPO_EXPIRED = "Expo Background Tasks - task expired"
# BackgroundTasks in the app's own process when dasd launches it for a task (iOS 13+, field i001):
# "Running task: <BGAppRefreshTask: com.transistorsoft.fetch>" then "Starting task: <…>"; one run.
_BG_RUN = re.compile(r"^(?:Running|Starting) task: <(?P<cls>BG\w+Task): (?P<id>[^>]+)>")
_BGTASK: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Simulating launch for task with identifier (\S+)"), "simulated_launch"),
    (re.compile(r"Starting simulated task: <(?P<cls>\w+): (?P<id>[^>]+)>"), "simulated_launch"),
    (re.compile(r"No task request with identifier (.+?) has been scheduled"), "not_scheduled"),
)


@dataclass(frozen=True, slots=True)
class _Context:
    """What RunningBoard said when it began terminating a pid."""

    domain: int | None
    code: int | None
    why: str | None


class IOSEventBuilder:
    """Incremental: ``feed`` records as they come; ``events`` grows in line order."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.pid_bundle: dict[int, str] = {}
        self._alive: set[int] = set()  # pids with a process_start and no end yet
        self._gone: set[int] = set()  # pids whose end (kill or process_died) is out
        self._quit: set[int] = set()  # pids whose force_stop is out
        self._contexts: dict[int, _Context] = {}
        self.bg_runs: dict[tuple[str, int | None, str], int] = {}  # (process, pid, task id) → line of its last run
        self.apsd_push: int | None = None  # index in ``events`` of apsd's last push, until SpringBoard's line

    def feed(self, records: Iterable[LogLine]) -> None:
        for ln in records:
            handler = _BY_PROCESS.get(ln.tag or "")
            if handler is not None:
                handler(self, ln)
            _app_lines(self, ln)

    def finish(self) -> list[Event]:
        """The events so far (``EventBuilder.finish``'s counterpart; nothing is held back on iOS)."""
        return self.events

    # -- used by the handlers -------------------------------------------------------------------
    def emit(self, kind: EventKind, ln: LogLine, *, package: str | None = None, pid: int | None = None,
             task: str | None = None, reason: str | None = None, killer: Killer | None = None,
             extra: dict[str, str] | None = None) -> None:
        self.events.append(Event(kind, time=ln.time, time_text=ln.time_text, package=package, pid=pid, task=task,
                                 reason=reason, killer=killer, line=ln.line_no, raw=ln.raw, extra=extra or {}))

    def subject(self, msg: str) -> tuple[int, str, str] | None:
        """(pid, bundle, the rest of the message) when ``msg`` is about an app process; remembers pid → bundle."""
        m = _SUBJECT.match(msg)
        if m is None:
            return None
        pid, bundle = int(m["pid"]), m["bundle"] or ""
        ls = _LS_IDENTITY.match(bundle)
        if ls is not None:
            bundle = ls["bundle"]
        self.pid_bundle[pid] = bundle
        return pid, bundle, msg[m.end():]

    def app_package(self, ln: LogLine) -> str | None:
        return self.pid_bundle.get(ln.pid) if ln.pid is not None else None

    def known_process(self, pid: int, package: str) -> None:
        self.pid_bundle[pid] = package

    # -- process lifecycle ----------------------------------------------------------------------
    def started(self, ln: LogLine, pid: int, bundle: str) -> None:
        if pid in self._alive:
            return
        self._alive.add(pid)
        self._gone.discard(pid)
        self._quit.discard(pid)
        self.emit("process_start", ln, package=bundle, pid=pid, extra={"source": ln.tag or ""})

    def context(self, ln: LogLine, pid: int, bundle: str, m: re.Match[str]) -> None:
        ctx = _Context(int(m["domain"]) if m["domain"] else None, int(m["code"], 16) if m["code"] else None,
                       (m["why"] or "").strip() or None)
        self._contexts[pid] = ctx
        if ctx.code == USER_QUIT_CODE:
            self.force_quit(ln, pid, bundle, ctx.why or "killed from app switcher")

    def force_quit(self, ln: LogLine, pid: int, bundle: str, why: str) -> None:
        if pid not in self._quit:
            self._quit.add(pid)
            self.emit("force_stop", ln, package=bundle, pid=pid, reason=why, killer="user",
                      extra={"code": f"0x{USER_QUIT_CODE:x}"})

    def terminated(self, ln: LogLine, pid: int, bundle: str, m: re.Match[str]) -> None:
        ctx = self._contexts.pop(pid, None)
        if m.group(1) is None:  # "without exit status"
            self.ended(ln, "process_died", pid, bundle, ctx.why if ctx else None, None, {})
            return
        status = int(m.group(3))
        ex = ios_exit(int(m.group(1)), int(m.group(2)), status)
        if ctx is not None and ctx.domain is not None and ctx.code is not None and ex.killer in (None, "unknown"):
            # Reported as a bare signal, but RunningBoard said who asked: the context is the better witness.
            told = ios_exit(ctx.domain, ctx.code, status)
            ex = told if told.kind == "kill" else ex
        reason = (ctx.why if ctx is not None else None) or ex.reason
        if ex.user_quit and pid not in self._gone:
            self.force_quit(ln, pid, bundle, reason)
        extra = {"namespace": ex.namespace, "code": ex.code, "status": str(status)}
        self.ended(ln, ex.kind, pid, bundle, reason, ex.killer, extra)

    def ended(self, ln: LogLine, kind: EventKind, pid: int, bundle: str, reason: str | None, killer: Killer | None,
              extra: dict[str, str]) -> None:
        """One end per process: RunningBoard's report, else FrontBoard's, else ``Removing process:``
        (Console exports repeat lines, and all three speak of the same death)."""
        self._alive.discard(pid)
        if pid not in self._gone:
            self._gone.add(pid)
            self._drop_crash_note(bundle)
            self.emit(kind, ln, package=bundle or None, pid=pid, reason=reason, killer=killer, extra=extra)

    def _drop_crash_note(self, bundle: str) -> None:
        """A ReportCrash end has no pid; an account of the same end that names one replaces it."""
        events = self.events
        for i in range(len(events) - 1, max(len(events) - _END_LOOKBACK, 0) - 1, -1):
            ev = events[i]
            if ev.kind == "process_died" and ev.pid is None and ev.package == bundle \
                    and ev.extra.get("source") == "ReportCrash":
                del events[i]
                if self.apsd_push is not None and self.apsd_push > i:
                    self.apsd_push -= 1
                return

    def crash_reported(self, ln: LogLine, bundle: str, why: str | None) -> None:
        """ReportCrash wrote up a crash: the process ended, unless another line already said so."""
        for ev in self.events[-_END_LOOKBACK:]:
            if ev.kind in ("kill", "process_died") and ev.package == bundle:
                return
        self.emit("process_died", ln, package=bundle, reason=f"crash ({why})" if why else "crash",
                  extra={"source": "ReportCrash"})

    # -- pushes ---------------------------------------------------------------------------------
    def push(self, ln: LogLine, topic: str | None, priority: str | None, source: str) -> None:
        """One push per delivery: apsd's line, then SpringBoard's for the same push, merge into SpringBoard's."""
        reason = f"priority {priority}" if priority else None
        extra = {"topic": topic or "", "priority": priority or ""}
        if source != "SpringBoard":
            extra["source"] = source
        prev_i = self.apsd_push
        self.apsd_push = None
        if source == "SpringBoard" and prev_i is not None and prev_i < len(self.events):
            prev = self.events[prev_i]
            near = (prev.time is not None and ln.time is not None and abs(ln.time - prev.time) <= _PUSH_SAME_S) or (
                (prev.time is None or ln.time is None) and 0 <= ln.line_no - (prev.line or 0) <= _PUSH_SAME_LINES)
            if prev.kind == "push" and prev.package in (None, topic) and near:
                self.events[prev_i] = replace(prev, time=ln.time, time_text=ln.time_text, package=topic,
                                              reason=reason or prev.reason, line=ln.line_no, raw=ln.raw, extra=extra)
                return
        self.emit("push", ln, package=topic, reason=reason, extra=extra)
        if source == "apsd":
            self.apsd_push = len(self.events) - 1


Handler = Callable[[IOSEventBuilder, LogLine], None]


def _runningboard(b: IOSEventBuilder, ln: LogLine) -> None:
    msg = ln.msg
    about = b.subject(msg)
    if about is None:
        return
    pid, bundle, rest = about
    if rest[:1] == "\n":
        rest = " " + rest.lstrip()  # the identity and the words after it wrapped onto two rows (field b019)
    if msg.startswith(("Removing process:", "Removing assertions for terminated process:")):
        b.ended(ln, "process_died", pid, bundle, None, None, {})
    elif msg.startswith("Now tracking process:") or rest.startswith(_STARTED):
        b.started(ln, pid, bundle)
    elif rest.startswith(" termination reported by launchd"):
        m = _TERMINATED.match(rest, 1)
        if m is not None:
            b.terminated(ln, pid, bundle, m)
    elif rest.startswith(" termination reported by proc_exit"):
        # macOS 12+: the process exited by itself (field i023); a death, nobody's kill.
        b.ended(ln, "process_died", pid, bundle, "exited (proc_exit)", None, {"source": "runningboardd"})
    elif rest.startswith(" Terminating with context:"):
        m = _CONTEXT.match(rest, 1)
        if m is not None:
            b.context(ln, pid, bundle, m)


def _springboard(b: IOSEventBuilder, ln: LogLine) -> None:
    msg = ln.msg
    m = _PUSH.search(msg)
    if m is not None:
        b.push(ln, m.group(1), m.group(2), "SpringBoard")
        return
    m = _SB_SIGNALLED.match(msg)
    if m is not None:
        ex = ios_exit(2, int(m["sig"]), 0)
        b.emit(ex.kind, ln, package=m["bundle"], reason=ex.reason, killer=ex.killer,
               extra={"namespace": ex.namespace, "code": ex.code, "source": "SpringBoard"})
        return
    about = b.subject(msg)  # FrontBoard's "[app<bundle>:pid] …" lines
    if about is None:
        return
    if about[2].startswith(" Process exited:"):
        exited = _FB_EXITED.match(about[2], 1)
        if exited is not None:
            _frontboard_exit(b, ln, about[:2], exited)
    elif about[2].startswith(" Bootstrap success"):
        b.started(ln, about[0], about[1])  # FrontBoard launched the process (field i012)


def _frontboard_exit(b: IOSEventBuilder, ln: LogLine, who: tuple[int, str], m: re.Match[str]) -> None:
    """A watchdog is the OS ending the app; other FrontBoard exit contexts only say it is gone."""
    what, why = m["what"].strip(), (m["why"] or "").strip("\"") or None
    reason = f"{what}: {why}" if why else what
    watchdog = "watchdog" in what
    b.ended(ln, "kill" if watchdog else "process_died", who[0], who[1], reason, "ios" if watchdog else None,
            {"source": "FrontBoard"})


def _dasd(b: IOSEventBuilder, ln: LogLine) -> None:
    msg = ln.msg
    for pattern, reason in _DASD:
        m = pattern.match(msg)
        if m is not None:
            extra = {"priority": m.group(2)} if m.group(2) else {}
            _activity(b, ln, m.group(1).rstrip("!"), reason, extra)
            return
    m = _DECISION.match(msg)
    if m is not None:
        _activity(b, ln, m.group(1), "run" if m.group(2) == "1" else "deferred", {})
        return
    m = _FINAL.match(msg) if "FinalDecision:" in msg else None
    if m is not None:
        decision = m["decision"]
        reason = "deferred" if "Not" in decision else "run"
        _activity(b, ln, m["name"], reason, {"decision": decision})


def _activity(b: IOSEventBuilder, ln: LogLine, name: str, reason: str, extra: dict[str, str]) -> None:
    b.emit("activity", ln, package=_activity_owner(name), reason=reason,
           extra={"activity": name, "source": ln.tag or "", **extra})


def _activity_owner(name: str) -> str | None:
    """The bundle an activity is for, when its name says: a push launch names the app; Apple's own daemons
    name their work after themselves (``com.apple.photoanalysisd.backgroundanalysis:ab12cd``), dozens an hour on
    a real phone, and none of it is the app under test's. Otherwise None: an app's own activity names are its
    business (``bgRefresh-<bundle>:…``, its BGTask identifiers), and the expectations match them by task."""
    if name.startswith(_PUSH_LAUNCH):
        return name[len(_PUSH_LAUNCH):].rsplit(":", 1)[0]
    if name.startswith(_APPLE) and not _EMBEDDED_ID.search(name, len(_APPLE)):
        return ".".join(name.split(":", 1)[0].split(".")[:3])
    return None


# iOS 12-13 (before RunningBoard) assertiond watches each app's port: "[aura-test:444] Port death watcher fired."
# means the process is gone (field i008). It names the executable, not the bundle.
_ASSERTIOND_DEATH = re.compile(r"^\[(?P<name>[^:\]]+):(?P<pid>\d+)\] Port death watcher fired")


# Right after it: "Process exited: <BKProcess: 0x1005310e0; myappda; com.myapp.myapp; pid: 867; …>" (field i014)
# names the bundle the watcher line could not.
_ASSERTIOND_EXITED = re.compile(r"^Process exited: <BKProcess: \w+; (?P<name>[^;]+); (?P<bundle>[^;]+); "
                                r"pid: (?P<pid>\d+);")


def _assertiond(b: IOSEventBuilder, ln: LogLine) -> None:
    m = _ASSERTIOND_DEATH.match(ln.msg) or _ASSERTIOND_EXITED.match(ln.msg)
    if m is None:
        return
    pid = int(m["pid"])
    bundle = m["bundle"] if "bundle" in m.re.groupindex else b.pid_bundle.get(pid) or ""
    for i in range(len(b.events) - 1, max(len(b.events) - 20, 0) - 1, -1):  # its own death is a few lines up
        ev = b.events[i]
        if ev.kind == "process_died" and ev.pid == pid and ev.package is None:
            b.events[i] = replace(ev, package=bundle or None)  # the watcher fired first; now we know whose port
            return
    b.ended(ln, "process_died", pid, bundle, None, None, {"source": "assertiond", "process": m["name"]})


# The kernel's jetsam (xnu kern_memorystatus.c), in every wording seen:
#   "memorystatus: killing_specific_process pid 2776 [Pythonista3] (per-process-limit 10) - …" (field i013; also
#     killing_idle_process / killing_top_process / killing_highwater_process);
#   the same without the "memorystatus: " prefix (macOS 15, field i017);
#   "… killing_idle_process pid 386 [wallpaperexportd] jetsam_reason->osr_code: 9": the cause as the jetsam reason
#     code (xnu sys/reason.h JETSAM_REASON_*, the order of IOS_JETSAM_CAUSES) instead of its name (macOS 26, b018);
#   "killing_highwater_process [com.apple.WebKit.WebContent] (highwater 100 17s) 8579568KB", no pid (iOS 15+, b017);
#   "killing largest compressed process python3.11 [PID] 198602 MB" (no_paging_space_action, b020; pid elided there).
_JETSAM = re.compile(r"(?:memorystatus: )?killing_\w+ (?:pid (?P<pid>\d+) )?\[(?P<name>[^\]]+)\] "
                     r"(?:\((?P<cause>[\w-]+)|jetsam_reason->osr_code: (?P<code>\d+))")
_JETSAM_COMPRESSED = re.compile(r"killing largest compressed process (?P<name>.+?) \[(?P<pid>\d*)[^\]]*\]")


# "ReportSystemMemory: Process Tunnel [1509] killed by jetsam reason per-process-limit" (field i022).
_JETSAM_REPORT = re.compile(r"Process (?P<name>.+?) \[(?P<pid>\d+)\] killed by jetsam reason (?P<cause>[\w-]+)")


def _kernel(b: IOSEventBuilder, ln: LogLine) -> None:
    msg = ln.msg
    m = _JETSAM.search(msg) if "killing_" in msg else None
    if m is None and "killed by jetsam" in msg:
        m = _JETSAM_REPORT.search(msg)
    if m is None and "killing largest compressed" in msg:
        m = _JETSAM_COMPRESSED.search(msg)
    if m is None:
        return
    groups = m.groupdict()
    cause = groups.get("cause")
    if cause is None and groups.get("code") is not None:
        code = int(groups["code"])
        cause = IOS_JETSAM_CAUSES[code] if 0 < code < len(IOS_JETSAM_CAUSES) else f"reason {code}"
    elif cause is None:
        cause = "no paging space"  # xnu no_paging_space_action: the swap is full; it names no other cause
    extra = {"source": "kernel", "process": m["name"]}
    if not groups.get("pid"):
        # No pid printed (or elided): a kill all the same, of the named process; nothing to deduplicate on.
        b.emit("kill", ln, package=None, pid=None, reason=f"jetsam: {cause}", killer="ios", extra=extra)
        return
    pid = int(groups["pid"])
    b.ended(ln, "kill", pid, b.pid_bundle.get(pid) or "", f"jetsam: {cause}", "ios", extra)


def _apsd(b: IOSEventBuilder, ln: LogLine) -> None:
    m = _APSD_PUSH.search(ln.msg)
    if m is None:
        return
    topic = m["topic"]
    if topic.startswith(_APPLE):
        return  # Apple's own services (iMessage, iCloud, …) get pushes too; none is an app's
    b.push(ln, None if topic in ("", "<private>") else topic, m["prio"], "apsd")


def _reportcrash(b: IOSEventBuilder, ln: LogLine) -> None:
    m = _STABILITY_CRASH.match(ln.msg)
    if m is not None:
        b.crash_reported(ln, m["bundle"], m["ns"])


def _launchd(b: IOSEventBuilder, ln: LogLine) -> None:
    m = _LAUNCHD_EXIT.search(ln.msg)
    if m is None:
        return
    pid, bundle, namespace, code = int(m["pid"]), m["bundle"], int(m["ns"]), int(m["code"], 0)
    b.known_process(pid, bundle)
    if namespace == 0:  # OS_REASON_NONE: an exit, its status not printed here
        b.ended(ln, "process_died", pid, bundle, "exited", None, {"source": "launchd"})
        return
    ex = ios_exit(namespace, code, 0)
    if ex.user_quit:
        b.force_quit(ln, pid, bundle, ex.reason)
    b.ended(ln, ex.kind, pid, bundle, ex.reason, ex.killer,
            {"namespace": ex.namespace, "code": ex.code, "source": "launchd"})


# A crash report's "Termination Reason" with the RBSTerminateContext row under it (field j007): "<RBSTerminateContext|
# domain:10 code:0x8BADF00D explanation:[application<bundle>:915] failed to terminate gracefully after 5.0s". The
# domain is the exit reason's namespace and the code its code, decoded as RunningBoard's own report is; the
# explanation names the process.
_REPORT_CONTEXT = re.compile(r"^Termination Reason:.*\n<RBSTerminateContext\| domain:(?P<domain>\d+) "
                             r"code:(?P<code>0x[0-9A-Fa-f]+)(?: explanation:(?P<why>[^\n]*))?")
_REPORT_SUBJECT = re.compile(r"\[(?:app|application)<(?P<bundle>[^<>()\s]+)(?:\([^<>]*\))?>:(?P<pid>\d+)\]")


def _crash_report(b: IOSEventBuilder, ln: LogLine) -> None:
    m = _REPORT_CONTEXT.match(ln.msg)
    if m is None:
        return
    who = _REPORT_SUBJECT.search(m["why"] or "")
    ex = ios_exit(int(m["domain"]), int(m["code"], 16), 0)
    extra = {"namespace": ex.namespace, "code": ex.code, "source": "crash report"}
    if who is None:
        b.emit(ex.kind, ln, reason=ex.reason, killer=ex.killer, extra=extra)
        return
    pid, bundle = int(who["pid"]), who["bundle"]
    b.known_process(pid, bundle)
    b.ended(ln, ex.kind, pid, bundle, ex.reason, ex.killer, extra)


_BY_PROCESS: dict[str, Handler] = {"runningboardd": _runningboard, "SpringBoard": _springboard, "dasd": _dasd,
                                   "assertiond": _assertiond, "kernel": _kernel,
                                   "ReportSystemMemory": _kernel, "apsd": _apsd, "ReportCrash": _reportcrash,
                                   "launchd": _launchd, "com.apple.xpc.launchd": _launchd,
                                   "crash_report": _crash_report}


# -- the app's own process ------------------------------------------------------------------------------
def _app_lines(b: IOSEventBuilder, ln: LogLine) -> None:
    msg = ln.msg
    if MARKER in msg:
        _probe(b, ln)
    elif "EXTaskService: Executing task" in msg:
        m = _EXPO_EXECUTING.search(msg)
        if m is not None:
            b.emit("task_start", ln, package=b.app_package(ln), pid=ln.pid, task=m.group(1),
                   extra={"source": "EXTaskService", "app_id": m.group(2)})
    elif _EXPO_STARTING in msg:
        b.emit("task_start", ln, package=b.app_package(ln), pid=ln.pid, reason="bgtask",
               extra={"source": "expo-background-task", "identifier": EXPO_BG_TASK_ID})
    elif _EXPO_EXPIRED in msg:
        b.emit("task_end", ln, package=b.app_package(ln), pid=ln.pid, reason="expired",
               extra={"source": "expo-background-task", "identifier": EXPO_BG_TASK_ID})
    elif "with identifier" in msg or "simulated task" in msg:
        _bgtask(b, ln)
    elif "ing task: <BG" in msg:
        _bg_run(b, ln)


def _bg_run(b: IOSEventBuilder, ln: LogLine) -> None:
    m = _BG_RUN.match(ln.msg)
    if m is None:
        return
    key = (ln.tag or "", ln.pid, m["id"])
    last = b.bg_runs.get(key)
    b.bg_runs[key] = ln.line_no
    if last is not None and ln.line_no - last <= _BG_RUN_LINES:
        return  # "Starting task" right after "Running task": the same run
    b.emit("task_start", ln, package=b.app_package(ln), pid=ln.pid, task=m["id"], reason="bgtask",
           extra={"source": "BackgroundTasks", "request_class": m["cls"]})


def _bgtask(b: IOSEventBuilder, ln: LogLine) -> None:
    for pattern, reason in _BGTASK:
        m = pattern.search(ln.msg)
        if m is not None:
            extra = {"activity": m.group("id"), "request_class": m.group("cls")} if "cls" in pattern.groupindex \
                else {"activity": m.group(1)}
            b.emit("activity", ln, package=b.app_package(ln), pid=ln.pid, reason=reason,
                   extra={**extra, "source": ln.tag or ""})
            return


def _probe(b: IOSEventBuilder, ln: LogLine) -> None:
    record = parse_probe(ln.msg)
    if record is None:
        return
    package = b.app_package(ln)
    if record.event == "wake":
        extra = {k: v for k, v in record.fields.items() if k != "task"}
        extra["event"] = "wake"
        b.emit("wake", ln, package=package, pid=ln.pid, task=record.task, reason=record.fields.get("reason"),
               extra=extra)
        return
    event = probe_event(record, time=ln.time, time_text=ln.time_text, package=package, pid=ln.pid,
                        line=ln.line_no, raw=ln.raw)
    if event is not None:
        b.events.append(event)


def ios_events(records: Iterable[LogLine]) -> list[Event]:
    builder = IOSEventBuilder()
    builder.feed(records)
    return builder.finish()

