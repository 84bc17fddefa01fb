"""Drive iPhones over usbmuxd and lockdownd (pymobiledevice3), real or virtual alike."""

from harness.ios.driver import IOSDriver, IOSProcess

__all__ = ["IOSDriver", "IOSProcess"]
