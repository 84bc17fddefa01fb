"""The bug bundle a failing repro run leaves: one zip with everything an engineer needs, and the command
that reproduces it.

::

    README.txt            what happened, in words, and the reproduce command
    bundle.json           the same, for tools: test, device, seed, outcome, killers, time to kill, versions
    reproduce.sh          ``harness repro TEST --device NAME --devices PATH --seed S --runs 1``
    timeline.png          the test's timeline picture (the run report's)
    logs/…                the run's artifacts: the log capture (logcat.txt / syslog.txt), dumpsys snapshots
    device/…              getprop and ``settings list`` (the OEM switches), or the iPhone's lockdown values
    config/devices-entry.toml   the device's ``[[device]]`` table as written, with ``[lab]`` and ``[app]``
    config/devices.toml   the whole pool file
    results.jsonl         the run's results, as the plugin streamed them
    bugreport.zip         with ``--bugreport``: the phone's ``adb bugreport``
"""

from __future__ import annotations

import json
import re
import shlex
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from harness import __version__
from harness.config import Config, DeviceConfig
from harness.reporting import Result, load_run
from harness.reporting._layout import RESULTS, TESTS, slug
from harness.repro._device_state import device_files, take_bugreport
from harness.repro._records import RunRecord

__all__ = ["BundleSource", "device_entry", "reproduce_command", "write_bundle"]


@dataclass(frozen=True, slots=True)
class BundleSource:
    cfg: Config
    dev: DeviceConfig
    devices_path: str  # as the user gave it, so the command works from the same folder
    test: str
    record: RunRecord
    run_dir: Path
    bugreport: bool = False


def reproduce_command(test: str, device: str, devices_path: str, seed: int | None) -> str:
    """The one-run command that replays a run: the same test, phone, pool file and lab seed."""
    args = ["harness", "repro", test, "--device", device, "--devices", devices_path]
    if seed is not None:
        args += ["--seed", str(seed)]
    return shlex.join([*args, "--runs", "1"])


def write_bundle(out_dir: Path, src: BundleSource) -> Path:
    """Write ``<device>-run<NNN>[-seed<S>].zip`` under ``out_dir`` and return its path."""
    rec = src.record
    name = f"{rec.device}-run{rec.index + 1:03d}" + (f"-seed{rec.seed}" if rec.seed is not None else "") + ".zip"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    command = reproduce_command(src.test, src.dev.name, src.devices_path, rec.seed)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt", _readme(src, command))
        zf.writestr("bundle.json", json.dumps(_facts(src, command), indent=1) + "\n")
        zf.writestr("reproduce.sh", f"#!/bin/sh\n# run from the project folder\n{command}\n")
        _add_run_files(zf, src)
        for file_name, text in device_files(src.cfg, src.dev).items():
            zf.writestr(f"device/{file_name}", text)
        zf.writestr("config/devices-entry.toml", device_entry(Path(src.cfg.path).read_text(), src.dev.name))
        zf.writestr("config/devices.toml", Path(src.cfg.path).read_text())
        if src.bugreport:
            _add_bugreport(zf, src.dev)
    return path


def _add_run_files(zf: zipfile.ZipFile, src: BundleSource) -> None:
    results = src.run_dir / RESULTS
    if results.exists():
        zf.write(results, "results.jsonl")
    if src.record.nodeid:
        picture = src.run_dir / TESTS / f"{slug(src.record.nodeid)}.png"
        if picture.exists():
            zf.write(picture, "timeline.png")
    result = _result(src)
    for art_name, rel in (result.artifacts if result is not None else {}).items():
        file = src.run_dir / rel
        if file.is_file():
            zf.write(file, f"logs/{art_name}")


def _result(src: BundleSource) -> Result | None:
    if not (src.run_dir / RESULTS).exists():
        return None
    found = [r for r in load_run(src.run_dir).results if r.nodeid == src.record.nodeid]
    return found[-1] if found else None


def _add_bugreport(zf: zipfile.ZipFile, dev: DeviceConfig) -> None:
    with tempfile.TemporaryDirectory(prefix="bgh-bugreport-") as tmp:
        dest = Path(tmp) / "bugreport.zip"
        problem = take_bugreport(dev, dest)
        if problem is None:
            zf.write(dest, "bugreport.zip")
        else:
            zf.writestr("bugreport-error.txt", problem + "\n")


def _facts(src: BundleSource, command: str) -> dict[str, object]:
    rec = src.record
    return {"test": src.test, "nodeid": rec.nodeid, "device": rec.device, "run": rec.index + 1,
            "run_id": rec.run_id, "lab_seed": rec.seed, "outcome": rec.outcome, "killers": list(rec.killers),
            "time_to_kill_s": rec.time_to_kill_s, "explanation": rec.explanation,
            "harness_version": __version__, "devices_toml": src.devices_path, "reproduce": command,
            "platform": src.dev.platform, "oem": src.dev.oem, "model": src.dev.model,
            "os_version": src.dev.os_version, "lab": src.dev.lab, "created_at": time.time()}


def _readme(src: BundleSource, command: str) -> str:
    rec, dev = src.record, src.dev
    killers = ", ".join(rec.killers) or "none seen"
    ttk = f"{rec.time_to_kill_s:.0f} s of device time after the test's first event" \
        if rec.time_to_kill_s is not None else "no kill on the timeline"
    seed = str(rec.seed) if rec.seed is not None else "none (a real phone: no lab randomness to replay)"
    system = "iOS" if dev.platform == "ios" else "Android"
    return (f"{src.test} on {dev.name} ({dev.oem} {dev.model}, {system} {dev.os_version}), run {rec.index + 1}\n\n"
            f"outcome:      {rec.outcome}\nkilled by:    {killers}\ntime to kill: {ttk}\n"
            f"lab seed:     {seed}\nharness:      {__version__}\nrun id:       {rec.run_id}\n\n"
            f"why:\n{rec.explanation or rec.message[-2000:] or '(no explanation recorded)'}\n\n"
            f"reproduce (from the project folder):\n  {command}\n")


_TABLE = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.]+)\s*\]\]?\s*(?:#.*)?$")
_NAME = re.compile(r"""^\s*name\s*=\s*["']([^"']*)["']""")


def device_entry(toml_text: str, name: str) -> str:
    """The ``[lab]``, ``[app]`` (with its tasks) and this device's ``[[device]]`` tables, as written."""
    blocks: list[tuple[str, list[str]]] = [("", [])]
    for line in toml_text.splitlines(keepends=True):
        m = _TABLE.match(line)
        if m:
            blocks.append((m.group(1), []))
        blocks[-1][1].append(line)
    kept = []
    for table, lines in blocks:
        names = [m.group(1) for line in lines if (m := _NAME.match(line))]
        if table in ("lab", "app", "app.task") or (table == "device" and names[:1] == [name]):
            kept.append("".join(lines).rstrip() + "\n")
    return "\n".join(kept)
