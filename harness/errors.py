"""One exception tree for the whole harness.

Every message names the device, the command and what to do about it. Foreign errors (OSError,
asyncio, ppadb, pymobiledevice3) are translated at the boundary and kept as ``__cause__``.
"""

from __future__ import annotations

__all__ = [
    "AppiumUnreachable",
    "CommandFailed",
    "ConfigError",
    "DeviceError",
    "DeviceLost",
    "DeviceQuarantined",
    "DeviceTimeout",
    "DeviceUnhealthy",
    "DeviceUnreachable",
    "HarnessError",
    "JobHasFunctionalConstraints",
    "JobNotFound",
    "LabError",
    "LeaseTimeout",
    "PackageNotFound",
    "PoolError",
    "UiError",
]


class HarnessError(Exception):
    """Root of every error the harness raises on purpose."""


class ConfigError(HarnessError):
    """devices.toml (or another config input) is malformed. Exit code 2 in the CLI."""

    def __init__(self, path: str, where: str, problem: str, fix: str = "") -> None:
        self.path = path
        self.where = where
        self.problem = problem
        self.fix = fix
        text = f"{path}: {where}: {problem}"
        if fix:
            text += f" ({fix})"
        super().__init__(text)


class LabError(HarnessError):
    """The virtual lab could not start, stop or answer."""


class DeviceError(HarnessError):
    """Something went wrong talking to one device."""

    def __init__(self, device: str, command: str, problem: str, fix: str = "") -> None:
        self.device = device
        self.command = command
        self.problem = problem
        self.fix = fix
        text = f"[{device}] {command}: {problem}"
        if fix:
            text += f" — {fix}"
        super().__init__(text)


class DeviceUnreachable(DeviceError):
    """The device (or the adb server / usbmuxd in front of it) does not answer."""


class DeviceLost(DeviceError):
    """The phone dropped off during a test (disconnected, offline, unauthorized) or its log capture died: what
    the test waited for can no longer be seen, so the test is an error, never a pass nor a product failure."""

    def __init__(self, device: str, how: str, during: str, fix: str = "") -> None:
        self.how = how  # "disconnected at 11:22:05 (device time)"
        self.during = during  # "while waiting for task_fired 'sync-orders'"
        super().__init__(device, during, how, fix)
        text = f"{device} {how} {during}" + (f" — {fix}" if fix else "")
        self.args = (text,)

    def __str__(self) -> str:
        return str(self.args[0])


class DeviceTimeout(DeviceError):
    """A device call did not finish within its timeout."""


class CommandFailed(DeviceError):
    """A device command ran and reported failure (exit code, error text)."""

    def __init__(
        self, device: str, command: str, problem: str, fix: str = "", exit_code: int | None = None
    ) -> None:
        self.exit_code = exit_code
        super().__init__(device, command, problem, fix)


class AppiumUnreachable(DeviceUnreachable):
    """The Appium server a device is driven through does not answer (down, wrong URL, firewall) or is not
    an Appium server; ``url`` is the address that was tried."""

    def __init__(self, device: str, url: str, problem: str, fix: str) -> None:
        self.url = url
        super().__init__(device, f"appium {url}", problem, fix)


class UiError(CommandFailed):
    """An Appium command failed, or the screen was not what a harness.ui verb expected (no prompt, no card)."""


class JobNotFound(CommandFailed):
    """``cmd jobscheduler run``: ``Could not find job …`` (exit 23) — e.g. after a force-stop."""


class PackageNotFound(CommandFailed):
    """``Package not found: …`` (exit 24): the app is not installed on this phone."""


class JobHasFunctionalConstraints(CommandFailed):
    """``… has functional constraints but --force not specified`` (exit 22): run it with force=True."""


# --- harness/pool: leases, health and quarantine -------------------------------------------------


class PoolError(DeviceError):
    """The pool could not hand out a device (busy, unhealthy or quarantined)."""


class LeaseTimeout(PoolError):
    """Someone else held the device for the whole wait; ``holder`` says who (run, pid, host, test)."""

    def __init__(self, device: str, holder: str, waited_s: float, fix: str) -> None:
        self.holder = holder
        self.waited_s = waited_s
        super().__init__(device, "acquire", f"still held after waiting {waited_s:.1f} s, by {holder}", fix)


class DeviceUnhealthy(PoolError):
    """The health check refused the device; one more failure in this run quarantines it."""

    def __init__(self, device: str, reason: str, failures: int, limit: int) -> None:
        self.reason = reason
        self.failures = failures
        self.limit = limit
        super().__init__(device, "health check", reason,
                         f"failure {failures} of {limit} in this run; at {limit} the device is quarantined for the run")


class DeviceQuarantined(PoolError):
    """The device failed too often in this run and is out of the pool until the run ends."""

    def __init__(self, device: str, run_id: str, reason: str) -> None:
        self.run_id = run_id
        self.reason = reason
        super().__init__(device, "acquire", f"quarantined for run {run_id}: {reason}",
                         "fix the phone (replug, reboot, `harness doctor`) and start a new run")
