"""The lab's push gateway: APNs and FCM (and Google's OAuth token URL) on ``[lab] push_port``.

Routes: ``/3/device/…`` → APNs (HTTP/2 only, as Apple serves it: over HTTP/1.1 the connection is
dropped); ``/v1/projects/…/messages:send`` → FCM; ``/token`` → OAuth. Every lab phone's app is
registered under its push token (``_tokens.token_for``), so senders reach phones exactly as they reach
real ones, and ``status()`` tells the harness where the gateway is and which token each phone has.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.config import Config, DeviceConfig
from harness.contracts.redaction import fingerprint
from harness.lab.push._apns import ApnsService
from harness.lab.push._fcm import FcmService
from harness.lab.push._http import HttpServer, Request, Response
from harness.lab.push._keys import LabCredentials, lab_credentials
from harness.lab.push._targets import TargetRegistry, android_target, iphone_target
from harness.lab.push._tokens import token_for

if TYPE_CHECKING:
    from harness.lab.android.device import AndroidDevice
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["PushGateway"]

log = logging.getLogger("harness.lab.push")


class PushGateway:
    def __init__(self, cfg: Config, *, host: str | None = None, port: int | None = None,
                 now: Callable[[], float] = time.time) -> None:
        self.cfg = cfg
        self.targets = TargetRegistry()
        self.server = HttpServer(self.handle, host or cfg.lab.host,
                                 cfg.lab.push_port if port is None else port)
        self.now = now
        self.credentials: LabCredentials | None = None
        self.apns: ApnsService | None = None
        self.fcm: FcmService | None = None

    @property
    def url(self) -> str:
        return f"http://{self.server.address}"

    # -- phones ---------------------------------------------------------------------------------
    def add_android(self, dev_cfg: DeviceConfig, device: AndroidDevice) -> str | None:
        package = self.cfg.app.android_package
        if not package:
            return None
        token = token_for(dev_cfg, package, self._seed(dev_cfg))
        self.targets.add(android_target(dev_cfg.name, device, package, token))
        return token

    def add_iphone(self, dev_cfg: DeviceConfig, phone: VirtualIPhone) -> str | None:
        bundle = self.cfg.app.ios_bundle_id
        if not bundle:
            return None
        token = token_for(dev_cfg, bundle, self._seed(dev_cfg))
        self.targets.add(iphone_target(dev_cfg.name, phone, bundle, token))
        return token

    def _seed(self, dev_cfg: DeviceConfig) -> int:
        return dev_cfg.seed if dev_cfg.seed is not None else self.cfg.lab.seed

    # -- serving --------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.server.start()
        self.credentials = lab_credentials(self.cfg, f"{self.url}/token")
        push = self.cfg.push
        development = push is None or push.apns_environment == "sandbox"
        self.apns = ApnsService(self.credentials.apns, self.targets, development=development, now=self.now)
        self.fcm = FcmService(self.credentials.fcm, self.targets, now=self.now)
        log.info("push gateway on %s (APNs key %s, FCM project %s)", self.url,
                 self.credentials.apns.key_id if self.credentials.apns else "none",
                 self.credentials.fcm.project_id if self.credentials.fcm else "none")

    async def stop(self) -> None:
        await self.server.stop()

    def handle(self, req: Request) -> Response:
        path = req.path.split("?", 1)[0]
        if path.startswith("/3/device"):
            if not req.http2 or self.apns is None:
                return Response(0, close=True)  # APNs speaks HTTP/2 only
            return self.apns.handle(req)
        if self.fcm is not None and path.startswith("/v1/projects/"):
            return self.fcm.send(req)
        if self.fcm is not None and path == "/token":
            return self.fcm.token(req)
        return Response(404, [("content-type", "text/plain")], b"Not Found\n")

    def status(self) -> dict[str, Any]:
        creds = self.credentials
        return {
            "url": self.url,
            "apns_key": str(creds.apns.path) if creds and creds.apns else None,
            "fcm_service_account": str(creds.fcm.path) if creds and creds.fcm else None,
            "tokens": {t.device: fingerprint(t.token) for t in self.targets.by_token.values()},
        }

    def outcomes(self, device: str) -> list[str]:
        """What ``device`` did with each push the gateway accepted for it, in order."""
        return [o for t in self.targets.by_token.values() if t.device == device for o in t.outcomes]
