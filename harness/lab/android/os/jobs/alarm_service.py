"""The ``alarm`` binder service: ``dumpsys alarm`` and ``cmd alarm``.

Best effort, not verified against a 14/15 capture: the section order and the Settings keys follow
AlarmManagerService.dumpImpl as far as public sources show it (the Settings values are a 13/14 device's,
droidcon 2023; the app-standby lines are the 14/15 ``Constants`` key names with their live values). The
per-alarm block is Alarm.java's ``toString``/``dump`` (14-era, aosp-mirror @06b1f1fde4e8):
``ELAPSED_WAKEUP #1: Alarm{<hash> type 2 origWhen <ms>  whenElapsed <ms> <pkg>}``
(the double space is the source's), then ``tag=*walarm*:<tag>``, ``type=… origWhen=… window=…
repeatInterval=… count=… flags=0x…``, ``policyWhenElapsed: requester=… app_standby=… device_idle=…
battery_saver=…`` (``--`` for a policy that sets no time) and ``whenElapsed=… maxWhenElapsed=…``,
then the PendingIntent. "Top Alarms" and "Alarm Stats" follow the pre-12 layout seen in public posts.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from harness.lab.android.os.base import format_duration, uid_text
from harness.lab.android.os.jobs.alarms import MIN_FUTURITY_S, POLICIES, Alarm, AlarmManager
from harness.lab.android.shell.runtime import Invocation

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice

__all__ = ["AlarmService"]

_SETTINGS = (
    f"min_futurity={format_duration(MIN_FUTURITY_S)}", "min_interval=+1m0s0ms", "max_interval=+365d0h0m0s0ms",
    "min_window=+10m0s0ms", "listener_timeout=+5s0ms", "allow_while_idle_short_time=+5s0ms",
    "allow_while_idle_long_time=+9m0s0ms", "allow_while_idle_whitelist_duration=+10s0ms",
    "max_alarms_per_uid=500",
)
_SETTINGS_TAIL = ("lazy_batching=true",)


def _rtc(t: float) -> str:
    """``yyyy-MM-dd HH:mm:ss.SSS`` (the lab's phones run on UTC)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}"


class AlarmService:
    def __init__(self, dev: AndroidDevice, alarms: AlarmManager) -> None:
        self.dev = dev
        self.alarms = alarms

    def _elapsed_ms(self, t: float) -> int:
        return round((t - self.dev.clock.now() + self.dev.clock.uptime()) * 1000)

    @staticmethod
    def _rel(t: float, now: float) -> str:
        """``TimeUtils.formatDuration(time, now)`` prints ``--`` for 0; a policy holding the alarm until
        Doze ends has no time the lab knows, so it prints the same."""
        return "--" if t in (0.0, float("inf")) else format_duration(t - now)

    def _alarm_lines(self, index: int, alarm: Alarm, now: float) -> list[str]:
        when = self.alarms.delivery_time(alarm, now)
        when_s = when if when is not None else alarm.when_s
        policies = " ".join(f"{name}={self._rel(alarm.policy.get(name, 0.0), now)}" for name in POLICIES)
        return [
            f"    ELAPSED_WAKEUP #{index}: Alarm{{{alarm.hash} type 2 origWhen {self._elapsed_ms(alarm.when_s)}  "
            f"whenElapsed {self._elapsed_ms(when_s)} {alarm.package}}}",
            f"      tag={alarm.stats_tag}",
            f"      type=ELAPSED_WAKEUP origWhen={format_duration(alarm.when_s - now)} "
            f"window={format_duration(alarm.window_s)} repeatInterval={int(alarm.interval_s * 1000)} count=0 "
            f"flags=0x{alarm.flags:x}",
            f"      policyWhenElapsed: {policies}",
            f"      whenElapsed={format_duration(when_s - now)} "
            f"maxWhenElapsed={format_duration(max(when_s, alarm.when_s + alarm.window_s) - now)}",
            f"      operation=PendingIntent{{{alarm.pi_hash}: PendingIntentRecord{{{alarm.record_hash} "
            f"{alarm.package} broadcastIntent}}}}",
        ]

    def _stats_lines(self, now: float) -> list[str]:
        top = sorted(self.alarms.stats.items(), key=lambda kv: -kv[1].count)[:10]
        lines = ["  Top Alarms:"]
        for (pkg, tag), st in top:
            lines += [f"    0 running, {st.count} wakeups, {st.count} alarms: {uid_text(st.uid)}:{pkg}", f"      {tag}"]
        lines += [" ", "  Alarm Stats:"]
        for pkg in sorted({p for p, _ in self.alarms.stats}):
            entries = [(tag, st) for (p, tag), st in sorted(self.alarms.stats.items()) if p == pkg]
            wakeups = sum(st.count for _, st in entries)
            lines.append(f"  {uid_text(entries[0][1].uid)}:{pkg} 0 running, {wakeups} wakeups:")
            for tag, st in entries:
                lines += [f"    0 {st.count} wakes {st.count} alarms, last {format_duration(st.last_s - now)}:",
                          f"      {tag}"]
        return lines

    def dump(self, inv: Invocation, args: list[str]) -> int:
        now = self.dev.clock.now()
        pending = self.alarms.pending()
        settings = [*_SETTINGS, *self.alarms.consts.settings_lines(), *_SETTINGS_TAIL]
        lines = ["Current Alarm Manager state:", "  Settings:", *(f"    {s}" for s in settings), "",
                 f"  nowRTC={int(now * 1000)}={_rtc(now)} nowELAPSED={self._elapsed_ms(now)}"]
        times = [t for a in pending if (t := self.alarms.delivery_time(a, now)) is not None]
        if times:
            nxt = min(times)
            lines.append(f"  Next wakeup alarm: {format_duration(nxt - now)} = {_rtc(nxt)}")
        lines += ["", f"  {len(pending)} pending alarms: "]
        for i, alarm in enumerate(pending, 1):
            lines += self._alarm_lines(i, alarm, now)
        lines += ["", *self._stats_lines(now)]
        inv.out("\n".join(lines) + "\n")
        return 0

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        if args and args[0] not in ("help", "-h"):
            inv.out(f"Unknown command: {args[0]}\n")
            return -1
        inv.out("Alarm manager service (alarm) commands:\n  help\n    Print this help text.\n"
                "  set-time TIME\n    Set the system clock time to TIME where TIME is milliseconds\n"
                "    since the Epoch.\n  set-timezone TZ\n    Set the system timezone to TZ where TZ is an Olson id.\n"
                "  get-config-version\n    Returns an integer denoting the version of device_config keys the"
                " service is sync'ed to. As long as this returns the same version, the values of the config are"
                " guaranteed to remain the same.\n")
        return -1
