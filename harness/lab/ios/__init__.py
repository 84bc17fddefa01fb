"""Virtual iPhones: a usbmuxd over TCP, lockdownd and lockdown services, in front of a model of iOS.

Unmodified pymobiledevice3 and libimobiledevice talk to it with
``USBMUXD_SOCKET_ADDRESS=127.0.0.1:PORT``::

    phone = VirtualIPhone(IPhoneIdentity("iphone-15", UDID, "iPhone15,4", "18.1"), clock,
                          apps=[user_app("com.example.courier", "Courier")])
    server = UsbmuxdServer([phone], "127.0.0.1", 27115)
    await server.start()
    phone.log("SpringBoard", "hello", pid=58, image="FrontBoard")   # on the lab's loop
"""

from harness.lab.ios.apps import InstalledApp, system_apps, user_app
from harness.lab.ios.device import LOCKDOWN_PORT, IPhoneIdentity, VirtualIPhone, build_iphone
from harness.lab.ios.usbmuxd import UsbmuxdServer

__all__ = [
    "LOCKDOWN_PORT",
    "IPhoneIdentity",
    "InstalledApp",
    "UsbmuxdServer",
    "VirtualIPhone",
    "build_iphone",
    "system_apps",
    "user_app",
]
