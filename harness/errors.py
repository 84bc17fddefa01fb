"""One exception tree for the whole harness.

Every message names the device, the command and what to do about it. Foreign errors (OSError,
asyncio, ppadb, pymobiledevice3) are translated at the boundary and kept as ``__cause__``.
"""

from __future__ import annotations

__all__ = [
    "CommandFailed",
    "JobHasFunctionalConstraints",
    "JobNotFound",
    "PackageNotFound",
    "ConfigError",
    "DeviceError",
    "DeviceTimeout",
    "DeviceUnreachable",
    "HarnessError",
    "LabError",
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


class DeviceTimeout(DeviceError):
    """A device call did not finish within its timeout."""


class CommandFailed(DeviceError):
    """A device command ran and reported failure (exit code, error text)."""

    def __init__(
        self, device: str, command: str, problem: str, fix: str = "", exit_code: int | None = None
    ) -> None:
        self.exit_code = exit_code
        super().__init__(device, command, problem, fix)


class JobNotFound(CommandFailed):
    """``cmd jobscheduler run``: ``Could not find job …`` (exit 23) — e.g. after a force-stop."""


class PackageNotFound(CommandFailed):
    """``Package not found: …`` (exit 24): the app is not installed on this phone."""


class JobHasFunctionalConstraints(CommandFailed):
    """``… has functional constraints but --force not specified`` (exit 22): run it with force=True."""
