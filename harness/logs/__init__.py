"""Pure parsers for what Android phones and iPhones print, and the typed events built from it.

Text in, typed objects out: logcat lines (``parse_logcat``), background-work events with kill
attribution (``android_events``), ``dumpsys`` dumps (``parse_jobscheduler``, ``parse_deviceidle``,
``parse_battery``, ``parse_activity_processes``, ``parse_activity_services``) and the probe line
(``parse_probe``); iPhone logs in the syslog_relay, ``pymobiledevice3 syslog live``, Console and Xcode
formats (``parse_ios``, ``ios_events``); ``parser_pair`` picks a platform's incremental parser and event
builder. ``run_logs`` is the body of ``harness logs``.
"""

from harness.logs.android_events import EventBuilder, android_events, for_package
from harness.logs.attribution import SIGNATURES, Attributor, Signature
from harness.logs.cli_logs import CaptureError, read_capture, run_logs
from harness.logs.dumpsys import (
    FGS_TYPES,
    ActivityProcesses,
    BatteryDump,
    DeviceIdleDump,
    Job,
    JobBody,
    JobHistoryEntry,
    JobSchedulerDump,
    ProcessInfo,
    ServiceRecord,
    fgs_type_names,
    parse_activity_processes,
    parse_activity_services,
    parse_battery,
    parse_deviceidle,
    parse_duration,
    parse_job_body,
    parse_jobscheduler,
    split_battery_name,
)
from harness.logs.events import KILLERS, KINDS, Event, EventKind, Killer
from harness.logs.ios_events import IOSEventBuilder, ios_events
from harness.logs.ios_syslog import IOSLogParser, looks_like_ios, parse_ios
from harness.logs.logcat import LogcatParse, LogcatParser, LogLine, parse_line, parse_logcat
from harness.logs.platforms import parser_pair
from harness.logs.probe import ProbeRecord, parse_probe, probe_event
from harness.logs.shell import PsRow, RunResult, parse_jobscheduler_run, parse_ps
from harness.logs.timeline import Timeline, capture_timeline, detect_capture, format_event

__all__ = [
    "FGS_TYPES",
    "KILLERS",
    "KINDS",
    "SIGNATURES",
    "ActivityProcesses",
    "Attributor",
    "BatteryDump",
    "CaptureError",
    "DeviceIdleDump",
    "Event",
    "EventBuilder",
    "EventKind",
    "IOSEventBuilder",
    "IOSLogParser",
    "Job",
    "JobBody",
    "JobHistoryEntry",
    "JobSchedulerDump",
    "Killer",
    "LogLine",
    "LogcatParse",
    "LogcatParser",
    "ProbeRecord",
    "ProcessInfo",
    "PsRow",
    "RunResult",
    "ServiceRecord",
    "Signature",
    "Timeline",
    "android_events",
    "capture_timeline",
    "detect_capture",
    "fgs_type_names",
    "for_package",
    "format_event",
    "ios_events",
    "looks_like_ios",
    "parse_activity_processes",
    "parse_activity_services",
    "parse_battery",
    "parse_deviceidle",
    "parse_duration",
    "parse_ios",
    "parse_job_body",
    "parse_jobscheduler",
    "parse_jobscheduler_run",
    "parse_line",
    "parse_logcat",
    "parse_probe",
    "parse_ps",
    "parser_pair",
    "probe_event",
    "read_capture",
    "run_logs",
    "split_battery_name",
]
