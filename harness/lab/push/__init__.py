"""The lab's push gateway: APNs provider API (h2c) and FCM v1 on ``[lab] push_port``, delivering to lab phones.

Wire it into the lab (``harness/lab/runner.py``)::

    gateway = PushGateway(cfg)
    for served in lab.android.values():
        gateway.add_android(served.cfg, served.device)
    for phone in usbmuxd.devices:
        gateway.add_iphone(cfg.device(phone.name), phone)
    await gateway.start()          # writes <state_dir>/push/AuthKey_<kid>.p8 and fcm-service-account.json

Each lab phone's token is ``token_for(dev_cfg, app_id, seed)`` (or its configured ``push_token``).
"""

from harness.lab.push._apns import ApnsService
from harness.lab.push._fcm import FcmService
from harness.lab.push._gateway import PushGateway
from harness.lab.push._http import HttpServer, Request, Response
from harness.lab.push._keys import LabCredentials, lab_credentials
from harness.lab.push._report import report_wake, wake_request
from harness.lab.push._targets import Target, TargetRegistry
from harness.lab.push._tokens import apns_token, fcm_token, token_for

__all__ = [
    "ApnsService",
    "FcmService",
    "HttpServer",
    "LabCredentials",
    "PushGateway",
    "Request",
    "Response",
    "Target",
    "TargetRegistry",
    "apns_token",
    "fcm_token",
    "lab_credentials",
    "report_wake",
    "token_for",
    "wake_request",
]
