"""One run: its id (shared by every xdist worker), the config, the pool, where artifacts go."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.config import Config, DeviceConfig, load_config
from harness.config._farm import farm_url
from harness.errors import DeviceError
from harness.labctl import state_dir
from harness.pool import LeaseStore, Pool, select
from harness.reporting import Redactor, RunWriter, config_secrets
from harness.reporting import new_run_id as _report_run_id

__all__ = ["LAB_SEED_COMMAND", "RUN_KEY", "LabSeeder", "Run", "new_run_id"]


def new_run_id() -> str:
    return _report_run_id()


@dataclass
class Run:
    config: Config
    run_id: str
    reports: Path
    lab_allowed: bool
    lease_timeout_s: float
    filters: dict[str, list[str]]
    _pool: Pool | None = field(default=None, repr=False)
    _writer: RunWriter | None = field(default=None, repr=False)
    lab_seed: int | None = None  # --lab-seed: given to each lab Android phone when a test starts

    @property
    def recorded_seed(self) -> int | None:
        """The seed the results name: --lab-seed when given, else the one the lab started with."""
        return self.lab_seed if self.lab_seed is not None else self.config.lab.seed

    @property
    def run_dir(self) -> Path:
        return self.reports / self.run_id

    @property
    def pool(self) -> Pool:
        """Created on first use: a run that leases nothing never touches the lease files."""
        if self._pool is None:
            self._pool = Pool(state_dir(self.config) / "pool", self.run_id, lease_timeout_s=self.lease_timeout_s,
                              store=_farm_store(self.config))
        return self._pool

    @property
    def writer(self) -> RunWriter:
        """Opened on first use: a session with no device test (the harness's own tests) writes no report."""
        if self._writer is None:
            self._writer = RunWriter(self.reports, self.run_id, lab_seed=self.recorded_seed,
                                     redactor=Redactor(source=lambda: config_secrets(self.config)))
        return self._writer

    @property
    def has_report(self) -> bool:
        return self._writer is not None or (self.run_dir / "results.jsonl").exists()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    def devices_for(self, markers: dict[str, tuple[str, ...]]) -> list[DeviceConfig]:
        chosen = select(self.config, device=self.filters["device"] or None, platform=self.filters["platform"] or None,
                        oem=self.filters["oem"] or None, tags=tuple(self.filters["tag"]))
        if markers.get("platform"):
            chosen = [d for d in chosen if d.platform in markers["platform"]]
        if markers.get("oem"):
            chosen = [d for d in chosen if d.oem in markers["oem"]]
        if markers.get("tags"):
            chosen = [d for d in chosen if set(markers["tags"]) <= set(d.tags)]
        return chosen

    @classmethod
    def from_config(cls, config: pytest.Config) -> Run:
        run_id = getattr(config, "workerinput", {}).get("bgh_run_id") or os.environ.get("BGH_RUN_ID") or new_run_id()
        cfg = load_config(config.getoption("--devices"))
        run = cls(cfg, run_id, Path(config.getoption("--reports")), config.getoption("lab"),
                  config.getoption("--lease-timeout"),
                  {k: list(config.getoption(f"--{k}")) for k in ("device", "platform", "oem", "tag")},
                  lab_seed=config.getoption("--lab-seed", None))
        if run.lab_seed is not None and not config.pluginmanager.has_plugin(LabSeeder.NAME):
            config.pluginmanager.register(LabSeeder(run), LabSeeder.NAME)
        return run


def _farm_store(config: Config) -> LeaseStore | None:
    """The farm's lease store when a farm URL is set (``HARNESS_FARM_URL``, ``[farm] url``), else None. harness.farm
    loads psycopg (~0.5 s of CPU in imports), so it is imported only for a farm: not in every xdist worker's first
    test of a run on lease files."""
    if farm_url(config) is None:
        return None
    from harness.farm import farm_store  # noqa: PLC0415 - psycopg loads only for a farm

    return farm_store(config)


# The lab's own property (harness/lab/android/shell/builtins.py): reseeds the phone's policy randomness.
LAB_SEED_COMMAND = "setprop lab.seed {seed} && getprop lab.seed"


class LabSeeder:
    """``--lab-seed N``: just before each test body runs (its fixtures are up: the phone is leased, the
    log captured), give the test's lab Android phone the seed, so every test starts its OEM policy
    draws from N whatever ran before it on that phone. Real phones and lab iPhones are left alone."""

    NAME = "bgharness-lab-seed"

    def __init__(self, run: Run) -> None:
        self.run = run

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        callspec = getattr(item, "callspec", None)
        dev = callspec.params.get("device") if callspec is not None else None
        if not isinstance(dev, DeviceConfig) or not dev.lab or dev.platform != "android":
            return
        from harness.android import AndroidDriver  # noqa: PLC0415 - ppadb loads only when a lab phone is seeded

        seed = self.run.lab_seed
        command = LAB_SEED_COMMAND.format(seed=seed)
        answer = AndroidDriver.for_device(self.run.config, dev, timeout_s=10).transport.shell(command).strip()
        if answer != str(seed):
            raise DeviceError(dev.name, command, f"the lab phone did not take the seed (it answered {answer!r})",
                              "is this phone served by an older lab? restart it with `harness lab down` / `up`")


RUN_KEY = pytest.StashKey[Run]()
