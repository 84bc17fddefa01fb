"""The Android driver: verbs over pure-python-adb through an adb server (local or remote)."""

from harness.android.driver import AndroidDriver
from harness.android.transport import AdbTransport, ShellResult

__all__ = ["AdbTransport", "AndroidDriver", "ShellResult"]
