"""A lab with one Android phone and one iPhone, and the push gateway in front of them (port 0)."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import subprocess
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from harness.config import Config, PushConfig
from harness.lab.push import PushGateway
from tests.labkit import RunningLab, test_config

T = TypeVar("T")
LAB_KEY_ID, LAB_TEAM_ID = "LABKEY0001", "LABTEAM001"


@dataclass
class GatewayLab:
    lab: RunningLab
    gateway: PushGateway
    cfg: Config  # with [push] pointing at the gateway and the lab's key files, and each phone's push_token
    tokens: dict[str, str]

    @property
    def push(self) -> PushConfig:
        assert self.cfg.push is not None
        return self.cfg.push

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = 20.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.lab.thread._loop).result(timeout_s)


@pytest.fixture(scope="module")
def gwlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayLab]:
    if shutil.which("adb") is None:
        pytest.fail("the `adb` binary is missing: run `make test` (it installs Debian's adb)")
    home = tmp_path_factory.mktemp("pushlab")
    cfg = dataclasses.replace(test_config(names=("pixel-8", "iphone-15")), path=str(home / "devices.toml"))
    lab = RunningLab(cfg)
    lab.thread.start()  # the lab starts its push gateway on [lab] push_port, with its keys in its state dir
    try:
        gateway = lab.thread.lab.push
        assert gateway is not None
        phone = next(p for p in lab.thread.lab.usbmuxd.devices if p.name == "iphone-15")  # type: ignore[union-attr]
        tokens = {name: next(t.token for t in gateway.targets.by_token.values() if t.device == name)
                  for name in ("pixel-8", phone.name)}
        keys = Path(cfg.lab.state_dir) / "push"
        push = PushConfig(apns_key_path=str(keys / f"AuthKey_{LAB_KEY_ID}.p8"), apns_key_id=LAB_KEY_ID,
                          apns_team_id=LAB_TEAM_ID, apns_topic=cfg.app.ios_bundle_id, apns_url=gateway.url,
                          fcm_service_account_path=str(keys / "fcm-service-account.json"), fcm_url=gateway.url,
                          timeout_s=10.0)
        devices = tuple(dataclasses.replace(d, push_token=tokens.get(d.name)) for d in cfg.devices)
        yield GatewayLab(lab, gateway, dataclasses.replace(cfg, push=push, devices=devices), tokens)
    finally:
        lab.thread.stop()
        subprocess.run(["adb", "-P", str(cfg.lab.adb_server_port), "kill-server"], capture_output=True, timeout=20,
                       check=False)
