"""Every line the iOS model writes into the phone's log, with where its wording comes from.

Attested wording (``reference/captures/ios.md`` and the public threads named below) is copied as is;
where no capture exists the docstring of the builder says so and the wording is kept minimal.

Process identities are the phone's (``device.py:_BASE_PROCESSES``). Images are what syslog_relay prints
in ``process(image)[pid]``: ``runningboardd(RunningBoard)[31]`` and ``SpringBoard(FrontBoard)[510]`` are
attested (dotnet/macios#10086, an iOS 14.2 syslog); ``dasd(DuetActivitySchedulerDaemon)[139]`` is the iOS 11
syslog_relay capture (e-mission/e-mission-phone#290). The push lines come from a Console export
(firebase/flutterfire#8277) that has no library column, so they carry no image.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DASD",
    "EXPO_APP_ID",
    "EXPO_BG_TASK_ID",
    "LOCATIOND",
    "RUNNINGBOARD",
    "SPRINGBOARD",
    "SPRINGBOARD_PUSH",
    "Daemon",
    "executing_task",
    "expo_line",
    "ident",
    "launch_lines",
    "locationd_authorization",
    "no_task_request",
    "push_canceled",
    "push_completed",
    "push_received",
    "push_submitted",
    "region_monitoring_failed",
    "resume_lines",
    "role_lines",
    "simulating_launch",
    "starting_simulated",
    "suspend_lines",
    "termination_lines",
]

EXPO_BG_TASK_ID = "com.expo.modules.backgroundtask.processing"  # BackgroundTaskConstants.swift
EXPO_APP_ID = "main"  # expo-task-manager TaskManagerModule.swift: ``let appId: AppId = "main"``


@dataclass(frozen=True, slots=True)
class Daemon:
    name: str
    pid: int
    image: str | None


RUNNINGBOARD = Daemon("runningboardd", 92, "RunningBoard")
SPRINGBOARD = Daemon("SpringBoard", 58, "FrontBoard")
SPRINGBOARD_PUSH = Daemon("SpringBoard", 58, None)
DASD = Daemon("dasd", 139, "DuetActivitySchedulerDaemon")
LOCATIOND = Daemon("locationd", 171, None)


# -- runningboardd / FrontBoard: process lifecycle ------------------------------------------------------
def ident(bundle_id: str, pid: int) -> str:
    """RunningBoard's process identity, ``[application<bundle>:pid]`` (every runningboardd capture)."""
    return f"[application<{bundle_id}>:{pid}]"


def launch_lines(bundle_id: str, pid: int, foreground: bool) -> list[tuple[Daemon, str]]:
    """A launch as runningboardd and FrontBoard log it.

    Attested: ``Executing launch request for application<b> (FBApplicationProcess)`` and ``Creating and
    launching job for: application<b>`` (firebase/flutterfire#5702, a background launch for a push);
    ``This process will be managed.`` (microsoftconnect/ms-intune-app-sdk-ios#137); ``Set jetsam priority to
    100 [0] flag[1]``, ``Resuming task.``, ``Set darwin role to: UserInteractiveFocal``, ``Calculated state
    for application<b>: running-active (role: UserInteractiveFocal)`` and FrontBoard's ``Bootstrap success!``
    (airsdk/apm#179). A background launch uses the ``Background`` role that the push launch's CPU grant
    names (flutterfire#5702: ``<RBSCPUAccessGrant| role:Background>``); its jetsam band is not attested, so
    that line is left out.
    """
    who = ident(bundle_id, pid)
    role = "UserInteractiveFocal" if foreground else "Background"
    lines = [
        (RUNNINGBOARD, f"Executing launch request for application<{bundle_id}> (FBApplicationProcess)"),
        (RUNNINGBOARD, f"Creating and launching job for: application<{bundle_id}>"),
        (RUNNINGBOARD, f"{who} This process will be managed."),
    ]
    if foreground:
        lines.append((RUNNINGBOARD, f"{who} Set jetsam priority to 100 [0] flag[1]"))
    lines += [
        (RUNNINGBOARD, f"{who} Resuming task."),
        (RUNNINGBOARD, f"{who} Set darwin role to: {role}"),
        (RUNNINGBOARD, f"Calculated state for application<{bundle_id}>: running-active (role: {role})"),
        (SPRINGBOARD, f"{who} Bootstrap success!"),
    ]
    return lines


def role_lines(bundle_id: str, pid: int, role: str) -> list[tuple[Daemon, str]]:
    """A running app changes role (foreground ↔ background): the attested role and state lines."""
    who = ident(bundle_id, pid)
    return [(RUNNINGBOARD, f"{who} Set darwin role to: {role}"),
            (RUNNINGBOARD, f"Calculated state for application<{bundle_id}>: running-active (role: {role})")]


def suspend_lines(bundle_id: str, pid: int) -> list[tuple[Daemon, str]]:
    """``Suspending task.`` is attested (TheWidlarzGroup/react-native-video#1513); the role ``None`` is the
    name RunningBoard prints for a process without a role (``(role: None)`` in the same capture)."""
    who = ident(bundle_id, pid)
    return [(RUNNINGBOARD, f"{who} Suspending task."), (RUNNINGBOARD, f"{who} Set darwin role to: None")]


def resume_lines(bundle_id: str, pid: int, role: str) -> list[tuple[Daemon, str]]:
    return [(RUNNINGBOARD, f"{ident(bundle_id, pid)} Resuming task."), *role_lines(bundle_id, pid, role)]


# Why a process ended, as RunningBoard reports launchd's exit reason: (namespace, code). Namespaces are xnu's
# OS_REASON_* (2 = SIGNAL, 10 = SPRINGBOARD, 15 = RUNNINGBOARD); the codes are Apple's termination codes.
KILLED_BY_SIGNAL = (2, 9)
USER_FORCE_QUIT = (10, 0xDEADFA11)  # the app-switcher swipe ("killed from app switcher")
FETCH_OVERRUN = (15, 0x2182BAD4)  # background fetch did not complete in time
_CONTEXTS = {USER_FORCE_QUIT: "killed from app switcher", FETCH_OVERRUN: "background fetch did not complete in time"}


def termination_lines(bundle_id: str, pid: int, signal: int,
                      reason: tuple[int, int] = KILLED_BY_SIGNAL) -> list[tuple[Daemon, str]]:
    """RunningBoard's ``%@ Terminating with context: %@`` (for a termination it was asked for), then
    ``%@ termination reported by launchd (namespace, code, wait4 status)`` and ``Removing process: %@``
    (format strings from RunningBoard's ``_handleDeath``; a SIGBUS crash in ms-intune-app-sdk-ios#137 reads
    ``(2, 10, 10)``). The third number is the wait4 status: the signal number for a death by signal."""
    who = ident(bundle_id, pid)
    namespace, code = reason
    lines: list[tuple[Daemon, str]] = []
    explanation = _CONTEXTS.get(reason)
    if explanation is not None:
        lines.append((RUNNINGBOARD, f"{who} Terminating with context: <RBSTerminateContext| domain:{namespace} "
                                    f"code:0x{code:X} explanation:{explanation} reportType:None "
                                    "maxTerminationResistance:Interactive>"))
    lines += [(RUNNINGBOARD, f"{who} termination reported by launchd ({namespace}, {code}, {signal})"),
              (RUNNINGBOARD, f"Removing process: {who}")]
    return lines


# -- silent push: SpringBoard and dasd (firebase/flutterfire#8277) ---------------------------------------
def push_received(bundle_id: str, priority: int, request_id: str) -> list[tuple[Daemon, str]]:
    return [
        (SPRINGBOARD_PUSH, f"Received incoming message on topic {bundle_id} at priority {priority}"),
        (SPRINGBOARD_PUSH, f"[{bundle_id}] Received remote notification request {request_id} [ waking: 0, "
                           "hasAlertContent: 0, hasSound: 0 hasBadge: 0 hasContentAvailable: 1 "
                           "hasMutableContent: 0 pushType: Background]"),
    ]


def push_submitted(bundle_id: str, activity: str) -> list[tuple[Daemon, str]]:
    return [
        (SPRINGBOARD_PUSH, f"[{bundle_id}] Request DUET delivers content-available push notification to "
                           "application"),
        (SPRINGBOARD_PUSH, f"SUBMITTING: {activity}"),
        (DASD, f"Submitted Activity: {activity} at priority 5 <private>"),
    ]


def push_canceled(activity: str) -> tuple[Daemon, str]:
    """A newer push replaced a held one: the capture's ``CANCELED: … at priority 5 <private>!``."""
    return DASD, f"CANCELED: {activity} at priority 5 <private>!"


def push_completed(activity: str) -> tuple[Daemon, str]:
    """dasd's ``COMPLETED <name> <private>!`` (iOS 11, reference §4.4) in the newer ``at priority 5`` form of
    the same capture's other activity lines; the combination itself is not captured."""
    return DASD, f"COMPLETED {activity} at priority 5 <private>!"


# -- the app's own process ---------------------------------------------------------------------------------
_EXPO_PREFIX = {"debug": "🔵", "info": "🟢", "warn": "🟡", "error": "🟠", "fatal": "🔴"}
# expo-modules-core LogType.toOSLogType: debug → .debug, info → .info, warn → .default, error → .error
_EXPO_LEVEL = {"debug": "Debug", "info": "Info", "warn": "Notice", "error": "Error", "fatal": "Fault"}


def expo_line(kind: str, message: str, *, private_data: bool) -> tuple[str, str]:
    """(syslog level, message) of an ``expo-modules-core`` ``log.<kind>(message)``.

    ``Logger.swift`` prefixes every line with the level's emoji and hands ``"\\(message)"`` to
    ``os.Logger(subsystem: "dev.expo.modules", category: "expo")`` (``LogHandlers.swift``). That
    interpolation has the default privacy, so a phone without the private-data logging profile shows
    ``<private>`` instead of the text (Apple DTS, developer.apple.com/forums/thread/678184).
    """
    text = f"{_EXPO_PREFIX[kind]} {message}"
    return _EXPO_LEVEL[kind], text if private_data else "<private>"


def executing_task(task_name: str) -> str:
    """EXTaskService.m ``executeTask:withData:withError:``: ``NSLog(@"EXTaskService: Executing task '%@' for
    app '%@'.")``; NSLog is public and shows the Foundation image."""
    return f"EXTaskService: Executing task '{task_name}' for app '{EXPO_APP_ID}'."


def simulating_launch(identifier: str) -> str:
    """BackgroundTasks in the app's process, after ``_simulateLaunchForTaskWithIdentifier:``
    (transistorsoft/react-native-background-fetch#408)."""
    return f"Simulating launch for task with identifier {identifier}"


def starting_simulated(identifier: str, request_class: str) -> str:
    """``Starting simulated task: <BGAppRefreshTask: id>`` (Ranchero-Software/NetNewsWire#746); a processing
    request prints its own class name in the same place."""
    return f"Starting simulated task: <{request_class}: {identifier}>"


def no_task_request(identifier: str) -> str:
    """A simulated launch of an identifier with no submitted request (react-native-background-fetch#219)."""
    return f"No task request with identifier {identifier} has been scheduled"


def region_monitoring_failed(region_id: str) -> str:
    """CoreLocation hands ``locationManager:monitoringDidFailForRegion:withError:`` a kCLErrorDomain error 5
    (``kCLErrorRegionMonitoringFailure``: "Monitoring can fail if the app exceeds the maximum number of
    regions that it can monitor simultaneously", Apple CLError.Code docs). Expo's
    EXGeofencingTaskConsumer.m logs nothing for it, and no capture of CoreLocation's own line exists: the
    words before the error are the lab's; the error is the ``%@`` form of that NSError."""
    return f"Monitoring failed for region {region_id}: Error Domain=kCLErrorDomain Code=5 \"(null)\""


def locationd_authorization(bundle_id: str, status: str) -> str:
    """locationd logs JSON objects with a ``msg`` key (project-chip/connectedhomeip#29249, iOS 16); no capture
    of an authorization change exists, so the message text and keys here are the lab's."""
    return f'{{"msg":"authorization changed", "ClientKey":"{bundle_id}", "authorization":"{status}"}}'
