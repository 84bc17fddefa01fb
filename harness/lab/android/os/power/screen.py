"""Screen and wakefulness (PowerManagerService) and ``dumpsys power``.

Keys arrive through ``dev.on_key``: KEYCODE_POWER (26) toggles, KEYCODE_SLEEP (223) only sleeps, KEYCODE_WAKEUP
(224) only wakes, as PhoneWindowManager routes them. Lab phones have no lock screen, so waking the screen makes
the device interactive at once (no keyguard between them). The log lines are PowerManagerService's Slog.i texts;
``dumpsys power`` prints a subset of ``dumpInternal()`` in source order, with the two lines scripts read:
``  mWakefulness=Awake|Asleep`` and the unindented ``Display Power: state=ON|OFF``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.lab.android.os.power._shell import ShellCommand, java_bool
from harness.lab.android.shell.runtime import Invocation
from harness.lab.clock import Timer

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice
    from harness.lab.android.os.power.battery import BatteryService
    from harness.lab.android.os.power.doze import DeviceIdleController

__all__ = ["PowerService", "Screen"]

KEYCODE_POWER, KEYCODE_SLEEP, KEYCODE_WAKEUP = 26, 223, 224
TAG = "PowerManagerService"
SYSTEM_UID = 1000
# JobScheduler's IDLE constraint (DeviceIdlenessTracker): the screen has been off this long
# (config_jobSchedulerInactivityIdleThreshold, 31 min).
JOB_IDLE_THRESHOLD_S = 31 * 60.0
HELP = "Power manager (power) commands:\n  help\n    Print this help text.\n\n"


class Screen:
    def __init__(self, dev: AndroidDevice, on_change: Callable[[bool], None], on_idle: Callable[[], None]) -> None:
        self.dev = dev
        self._on_change = on_change  # ACTION_SCREEN_ON/OFF
        self._on_idle = on_idle  # the job-idle state flipped
        self._idle_timer: Timer | None = None
        self.boot()

    def boot(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._idle_timer = None
        self.on = True
        self.job_idle = False
        self.last_wake_ms = self.last_sleep_ms = 0
        self.last_sleep_reason = "application"  # GO_TO_SLEEP_REASON_APPLICATION (0) until the first sleep

    def _uptime_ms(self) -> int:
        return round(self.dev.clock.uptime() * 1000)

    def on_key(self, code: int) -> None:
        if code == KEYCODE_POWER:
            if self.on:
                self.sleep("power_button")
            else:
                self.wake("WAKE_REASON_POWER_BUTTON", "android.policy:POWER")
        elif code == KEYCODE_SLEEP and self.on:
            self.sleep("sleep_button")
        elif code == KEYCODE_WAKEUP and not self.on:
            self.wake("WAKE_REASON_WAKE_KEY", "android.policy:KEY")

    def sleep(self, reason: str) -> None:
        if not self.on:
            return
        # goToSleep → DOZING; with no doze dream (always-on display off) it goes on to ASLEEP at once.
        self.dev.syslog("I", TAG, f"Going to sleep due to {reason} (uid {SYSTEM_UID})...")
        self.dev.syslog("I", TAG, f"Sleeping (uid {SYSTEM_UID})...")
        self.on = False
        self.last_sleep_ms, self.last_sleep_reason = self._uptime_ms(), reason
        self._idle_timer = self.dev.clock.call_later(JOB_IDLE_THRESHOLD_S, self._became_job_idle)
        self._on_change(False)

    def wake(self, reason: str, details: str) -> None:
        if self.on:
            return
        self.dev.syslog("I", TAG, f"Waking up from Asleep (uid={SYSTEM_UID}, reason={reason}, details={details})...")
        self.on = True
        self.last_wake_ms = self._uptime_ms()
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        was_idle, self.job_idle = self.job_idle, False
        self._on_change(True)
        if was_idle:
            self._on_idle()

    def _became_job_idle(self) -> None:
        self._idle_timer = None
        self.job_idle = True
        self._on_idle()


def _format_uptime(time_ms: int, now_ms: int) -> str:
    """``TimeUtils.formatUptime``."""
    diff = time_ms - now_ms
    if diff > 0:
        return f"{time_ms} (in {diff} ms)"
    return f"{time_ms} ({-diff} ms ago)" if diff < 0 else f"{time_ms} (now)"


class PowerService:
    """The ``power`` binder service: ``dumpsys power`` (``cmd power`` verbs are not modelled)."""

    def __init__(self, dev: AndroidDevice, screen: Screen, battery: BatteryService, doze: DeviceIdleController,
                 allowlist_ids: Callable[[], tuple[list[int], list[int]]]) -> None:
        self.dev = dev
        self.screen = screen
        self.battery = battery
        self.doze = doze
        self._allowlist_ids = allowlist_ids

    def dump(self, inv: Invocation, args: list[str]) -> int:
        inv.out("".join(line + "\n" for line in self.dump_lines()))
        return 0

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        # PowerManagerShellCommand's verbs (set-mode, suspend, …) are not modelled: every verb takes the
        # handleDefaultCommands path, whose help here is only the first entry of the real one.
        shell = ShellCommand.of(inv, args, via_dump=False)
        return shell.run(lambda sh, cmd: sh.default(cmd, HELP))

    def dump_lines(self) -> list[str]:
        now = round(self.dev.clock.uptime() * 1000)
        screen, info = self.screen, self.battery.info
        full, temp = self._allowlist_ids()
        return [
            "POWER MANAGER (dumpsys power)", "",
            "Power Manager State:",
            "  Settings power_manager_constants:",
            "    no_cached_wake_locks=true",
            "  mDirty=0x0",
            f"  mWakefulness={'Awake' if screen.on else 'Asleep'}",
            "  mWakefulnessChanging=false",
            f"  mIsPowered={java_bool(self.battery.plugged())}",
            f"  mPlugType={info.plug_type()}",
            f"  mBatteryLevel={info.level}",
            "  mBatteryLevelWhenDreamStarted=0",
            "  mDockState=0",
            "  mStayOn=false",
            "  mProximityPositive=false",
            "  mBootCompleted=true",
            "  mSystemReady=true",
            f"  mBatteryLevelLow={java_bool(self.battery.level_low)}",
            f"  mLightDeviceIdleMode={java_bool(self.doze.pm_light_idle)}",
            f"  mDeviceIdleMode={java_bool(self.doze.pm_deep_idle)}",
            f"  mDeviceIdleWhitelist=[{', '.join(map(str, full))}]",
            f"  mDeviceIdleTempWhitelist=[{', '.join(map(str, temp))}]",
            f"  mLastWakeTime={_format_uptime(screen.last_wake_ms, now)}",
            f"  mLastSleepTime={_format_uptime(screen.last_sleep_ms, now)}",
            f"  mLastSleepReason={screen.last_sleep_reason}",
            f"  mHoldingDisplaySuspendBlocker={java_bool(screen.on)}",
            "",
            "Wake Locks: size=0",
            "",
            f"Display Power: state={'ON' if screen.on else 'OFF'}",
        ]
