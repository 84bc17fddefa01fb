"""Wordings the held-out field captures (tests/logs/field/h*.txt) showed the parsers did not read, line by line.

Every line is verbatim from the public thread named beside it (the same lines as the capture file); each case
failed before the parsers learnt the wording, which the held-out score records. The one exception is the last
test's RunningBoard line, which is the lab's wording (as tests/logs/test_ios_events.py writes it)."""

from __future__ import annotations

import pytest

from harness.logs.cli_logs import capture_events
from harness.logs.events import Event
from harness.logs.ios_events import ios_events
from harness.logs.ios_syslog import parse_ios
from harness.logs.logcat import parse_line


def ios(text: str) -> list[Event]:
    return ios_events(parse_ios(text, year=2021).lines)


def brief(events: list[Event]) -> list[tuple[object, ...]]:
    return [(e.kind, e.package, e.pid, e.reason, e.killer) for e in events]


# -- Android: a capture with the date cut away ---------------------------------------------------------------
@pytest.mark.parametrize(("line", "prio", "tag", "msg"), [
    # jossephus/chuchu#100 (ColorOS 16): -v time without the date or the pid column
    ("13:39:01.203 I/OplusHansManager: freeze uid: 10045 …  scene: |StrictMode-1|LcdOn",
     "I", "OplusHansManager", "freeze uid: 10045 …  scene: |StrictMode-1|LcdOn"),
    ("13:39:01.204 D/MediaFocusControlExtImpl: onUidFrozenChanged success + uid = 10045, frozen = true",
     "D", "MediaFocusControlExtImpl", "onUidFrozenChanged success + uid = 10045, frozen = true"),
    ("13:39:01.205 E/                        : destroyAllSocketForUid:10045", "E", "", "destroyAllSocketForUid:10045"),
])
def test_clock_only_lines_parse_without_a_time(line: str, prio: str, tag: str, msg: str) -> None:
    ln = parse_line(line, year=2021)
    assert ln is not None
    assert (ln.fmt, ln.prio, ln.tag, ln.msg, ln.time) == ("time", prio, tag, msg, None)
    assert ln.time_text == line[:12]  # the clock is kept as printed; it places nothing without a date


@pytest.mark.parametrize(("lines", "expected"), [
    # jossephus/chuchu#100: Hans freezes the uid; the line names no package (the reporter elided it)
    (["13:39:01.203 I/OplusHansManager: freeze uid: 10045 …  scene: |StrictMode-1|LcdOn"],
     [("freeze", None, None, "scene |StrictMode-1|LcdOn", "oppo")]),
    # … and its state-machine rows before that are transitions, not freezes
    (["13:38:56.195 I/OplusHansManager: uid=10045, pkg=…chuchu… enter SM",
      "13:38:56.195 I/OplusHansManager: uid=10045, pkg=…chuchu… R enter(), D stay=800",
      "13:39:01.201 I/OplusHansManager: uid=10045, pkg=…chuchu… F enter(), M stay=3"], []),
])
def test_hans_freeze_as_coloros_16_prints_it(lines: list[str], expected: list[tuple[object, ...]]) -> None:
    events, skipped = capture_events("\n".join(lines) + "\n", year=2021)
    assert skipped == 0
    assert brief(events) == expected


# -- iOS: pushes as apsd logs them ----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    # dotnet/macios#3784 (iOS 10): a tab-indented relay paste, apsd's payload over several rows
    ("\tMar 19 17:31:26 Gregorys-iPhone-5S apsd(PersistentConnection)[85] <Notice>: 2018-03-19 17:31:26 -0500 "
     "apsd[85]: <APSCourier: 0x10040fac0>: Received message for enabled topic 'com.ihs.energyalert' with payload "
     "'{\n\t\t aps =\t  {\n\t\t\t  alert =\t\t\t{\n\t\t\t\t\tbody = Body;\n\t\t\t\t\ttitle = Title;\n\t\t\t  };\n"
     "\t\t\t  badge = 1;\n\t\t\t  \"mutable-content\" = 1;\n\t\t\t  sound = default;\n\t\t };\n"
     "\t\t numArticles = 1;\n\t}' onInterface: NonCellular  for device token: NO  with priority 10\n",
     [("push", "com.ihs.energyalert", None, "priority 10", None)]),
    # invertase/react-native-firebase#4603 (iOS 14 release build): the topic redacted, the line cut by the paste
    ("default\t16:03:14.051831-0800\tapsd\t<private> receivedPushWithTopic <private> token <private> payload "
     "<private> timestamp Tue Nov 24 16:03:13 2020\n"
     "default\t16:03:14.052207-0800\tapsd\t<private>: Received message for enabled topic '<private>' onInterface: "
     "NonCellular with payload '<private>' wi\n",
     [("push", None, None, None, None)]),
    # e-mission/e-mission-phone#290 (iOS 11): apsd's line, then SpringBoard's for the same push: one push, as
    # SpringBoard delivered it
    ("Sep 30 07:41:33 ucb-sdb-iphone-2 apsd[86] <Notice>: <private>: Received message for enabled topic "
     "'<private>' onInterface: WWAN with payload '<private>' with priority 5 for device token: NO\n"
     "Sep 30 07:41:33 ucb-sdb-iphone-2 SpringBoard(UserNotificationsServer)[55] <Notice>: Received incoming "
     "message on topic edu.berkeley.eecs.emission at priority 1\n",
     [("push", "edu.berkeley.eecs.emission", None, "priority 1", None)]),
    # uxduck/push#7 (iOS 16.2): the first line glued to the Markdown fence
    ("```16:49:45.424565+0100\tSpringBoard\tReceived incoming message on topic de.xyz.xyz.dev at priority 10\n",
     [("push", "de.xyz.xyz.dev", None, "priority 10", None)]),
], ids=["apsd-multirow", "apsd-redacted", "apsd-then-springboard", "glued-fence"])
def test_pushes(text: str, expected: list[tuple[object, ...]]) -> None:
    assert brief(ios(text)) == expected


# -- iOS: process ends told by ReportCrash and launchd --------------------------------------------------------
REPORTCRASH = ('default\t11:54:20.373960+1000\tReportCrash\tSending event: com.apple.stability.crash {"appVersion":'
               '"1.0.0","bundleID":"com.example.myapp","exceptionCodes":"UNKNOWN_0x32 at 0x000000010bc01d60",'
               '"incidentID":"083FA319-562B-4503-987F-1765A445BEE2","logwritten":1,"process":"Runner",'
               '"terminationReasonExceptionCode":"0x2","terminationReasonNamespace":"CODESIGNING"}\n')


@pytest.mark.parametrize(("text", "expected"), [
    # flutter/flutter#60657 (iOS 14): a debug build launched without the debugger dies (CODESIGNING)
    (REPORTCRASH, [("process_died", "com.example.myapp", None, "crash (CODESIGNING)", None)]),
    # dotnet/runtime#127867: launchd's exit reason, namespace 3 (CODESIGNING): the app failing, not an OS kill
    ("launchd: [user/501/UIKitApplication:net.dot.System.Runtime.Tests[2d42][rb-legacy] [27597]:] exited with "
     "exit reason (namespace: 3 code: 0x2) -\n",
     [("process_died", "net.dot.System.Runtime.Tests", 27597, "CODESIGNING 0x2", None)]),
], ids=["reportcrash", "launchd"])
def test_process_ends(text: str, expected: list[tuple[object, ...]]) -> None:
    assert brief(ios(text)) == expected


def test_a_crash_report_gives_way_to_the_account_that_names_the_pid() -> None:
    # ReportCrash names no pid; RunningBoard's report of the same end (the lab's wording) does, and replaces it.
    rb = ("Nov 28 08:00:00 iPhone runningboardd(RunningBoard)[92] <Notice>: [application<com.example.myapp>:3419] "
          "termination reported by launchd (3, 2, 9)\n")
    assert brief(ios(REPORTCRASH + rb)) == [("process_died", "com.example.myapp", 3419, "CODESIGNING 0x2", None)]
    assert brief(ios(rb + REPORTCRASH)) == [("process_died", "com.example.myapp", 3419, "CODESIGNING 0x2", None)]
