"""The iOS 17.4+ CoreDevice tunnel of a lab iPhone: CoreDeviceProxy, the TCP it carries, RSD and its services."""

from harness.lab.ios.coredevice.tunnel import CORE_DEVICE_PROXY, proxy_offered, serve_core_device_proxy

__all__ = ["CORE_DEVICE_PROXY", "proxy_offered", "serve_core_device_proxy"]
