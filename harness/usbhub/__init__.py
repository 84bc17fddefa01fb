"""USB power control: switchable hub ports a farm puts its phones on (Cambrionix's hub API)."""

from harness.usbhub.client import MODES, CambrionixClient, HubPort

__all__ = ["MODES", "CambrionixClient", "HubPort"]
