"""Issue 21, item 5: malformed devices.toml files, each one line naming the key, exit 2, no traceback, in
`harness devices`, `harness lab up` and pytest, and a failed `lab up` leaves nothing listening."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.config import load_config
from harness.errors import ConfigError
from tests.labkit import ROOT, free_port

Edit = Callable[[str, Path], "str | bytes | None"]


def base() -> str:
    return f"""
[lab]
adb_server_port = {free_port()}
usbmuxd_port = {free_port()}
appium_port = {free_port()}
push_port = {free_port()}
hub_port = {free_port()}
clock_rate = 240
state_dir = "state"

[app]
android_package = "com.example.app"

[[app.task]]
name = "sync"
kind = "background-task"

[[device]]
name = "p8"
platform = "android"
oem = "google"
model = "Pixel 8"
os_version = "15"
lab = true
lab_port = {free_port()}
"""


def sub(pattern: str, repl: str) -> Edit:
    return lambda text, _dir: re.sub(pattern, repl, text, count=1, flags=re.M)


def add(extra: str, after: str = "\n[[device]]\n") -> Edit:
    return lambda text, _dir: text.replace(after, f"{after}{extra}\n", 1) if after != "END" else text + extra


def _state_file(text: str, where: Path) -> str:
    (where / "state").write_text("a file, not a directory\n")
    return text


def _second_device_on(port_of: str) -> Edit:
    def edit(text: str, _dir: Path) -> str:
        port = re.search(rf"(?m)^{port_of} = (\d+)", text).group(1)  # type: ignore[union-attr]
        return text + f'\n[[device]]\nname = "p9"\nplatform = "android"\noem = "google"\nmodel = "P"\n' \
                      f'os_version = "15"\nlab = true\nlab_port = {port}\n'
    return edit


# (id, edit, what the one line must say)
VARIANTS: list[tuple[str, Edit, str]] = [
    ("lab-port-70000", sub(r"^lab_port = \d+", "lab_port = 70000"), "key 'lab_port' must be a TCP port"),
    ("hub-port-99999", sub(r"^hub_port = \d+", "hub_port = 99999"), "key 'hub_port' must be a TCP port"),
    ("negative-clock-rate", sub(r"^clock_rate = 240", "clock_rate = -1"), "key 'clock_rate' must be positive"),
    ("lab-port-is-adb-port", lambda t, _d: re.sub(r"(?m)^lab_port = \d+", "lab_port = " + re.search(
        r"(?m)^adb_server_port = (\d+)", t).group(1), t), "is already the port of [lab] adb_server_port"),  # type: ignore[union-attr]
    ("empty-file", lambda _t, _d: "", "is empty"),
    ("comments-only", lambda _t, _d: "# nothing here\n", "is empty"),
    ("lab-is-5", lambda t, _d: "lab = 5\n" + t.replace("[lab]", "[x]").split("[x]")[0], "[lab]: must be a table"),
    ("not-utf8", lambda t, _d: b"\xff\xfe" + t.encode("utf-16-le"), "is not UTF-8"),
    ("directory", lambda _t, _d: None, "is a directory"),
    ("state-dir-is-a-file", _state_file, "key 'state_dir'"),
    ("app-without-package", sub(r'^android_package = .*$', ""), "missing key 'android_package'"),
    ("adb-port-0", sub(r"^adb_server_port = \d+", "adb_server_port = 0"), "key 'adb_server_port' must be a TCP port"),
    ("adb-port-string", sub(r"^adb_server_port = \d+", 'adb_server_port = "5037"'),
     "key 'adb_server_port' must be an integer"),
    ("usbmuxd-port-negative", sub(r"^usbmuxd_port = \d+", "usbmuxd_port = -5"), "key 'usbmuxd_port'"),
    ("appium-port-65536", sub(r"^appium_port = \d+", "appium_port = 65536"), "key 'appium_port'"),
    ("push-port-float", sub(r"^push_port = \d+", "push_port = 2197.5"), "key 'push_port' must be an integer"),
    ("two-phones-one-port", _second_device_on("lab_port"), "key 'lab_port'"),
    ("hub-port-is-push-port", lambda t, _d: re.sub(r"(?m)^hub_port = \d+", "hub_port = " + re.search(
        r"(?m)^push_port = (\d+)", t).group(1), t), "key 'hub_port'"),  # type: ignore[union-attr]
    ("device-clock-rate-0", add("clock_rate = 0"), "key 'clock_rate' must be positive"),
    ("device-clock-rate-nan", add("clock_rate = nan"), "key 'clock_rate' must be a finite number"),
    ("boot-delay-negative", add("boot_delay_s = -1", after="[lab]\n"), "key 'boot_delay_s'"),
    ("seed-string", add('seed = "one"', after="[lab]\n"), "key 'seed' must be an integer"),
    ("platform-symbian", sub(r'^platform = "android"', 'platform = "symbian"'), "unknown platform 'symbian'"),
    ("oem-missing", sub(r'^oem = "google"', ""), "missing key 'oem'"),
    ("name-empty", sub(r'^name = "p8"', 'name = ""'), "key 'name' must not be empty"),
    ("tags-not-a-list", add('tags = "x"'), "key 'tags' must be a list of strings"),
    ("settings-nested", add("settings = { a = { b = 1 } }"), "key settings.a"),
    ("adb-server-port-99999", add('adb_server = "localhost:99999"'), "key 'adb_server' must be host:port"),
    ("usbmux-no-port", add('usbmux = "nohost"'), "key 'usbmux' must be host:port"),
    ("oem-profile-typo", add('oem_profile = "xiaomii"'), "unknown oem_profile 'xiaomii'"),
    ("process-control-magic", add('process_control = "magic"'), "unknown process_control 'magic'"),
    ("task-kind-missing", sub(r'^kind = "background-task"', ""), "missing key 'kind'"),
    ("task-interval-0", add("interval_min = 0", after='kind = "background-task"\n'), "key 'interval_min'"),
    ("task-failure-rate-2", add("failure_rate = 2", after='kind = "background-task"\n'), "key 'failure_rate'"),
    ("unknown-top-key", lambda t, _d: "colour = 1\n" + t, "unknown key 'colour'"),
    ("device-is-5", lambda t, _d: "device = 5\n" + t.split("[[device]]")[0], "[[device]]: must be an array of tables"),
    ("appium-url-ftp", add('appium_url = "ftp://x"'), "key 'appium_url' must be an http"),
    ("collector-port-70000", add("[collector]\nport = 70000\n", after="END"), "key 'port' must be a TCP port"),
    ("syntax", lambda t, _d: t.replace("[lab]", "[lab"), "syntax"),
    ("push-timeout-negative", add("[push]\ntimeout_s = -1\n", after="END"), "timeout_s must be positive"),
    ("push-timeout-inf", add("[push]\ntimeout_s = inf\n", after="END"), "key 'timeout_s' must be a finite number"),
    ("restartable-remote", add('adb_server = "10.0.0.5:5037"\nadb_server_restartable = true\nserial = "X"'),
     "key 'adb_server_restartable' needs a local adb_server"),
]


def _write(tmp_path: Path, edit: Edit) -> tuple[Path, int]:
    text = base()
    adb_port = int(re.search(r"(?m)^adb_server_port = (\d+)", text).group(1))  # type: ignore[union-attr]
    path = tmp_path / "devices.toml"
    content = edit(text, tmp_path)
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path, adb_port


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd)


def _one_line_error(result: subprocess.CompletedProcess[str], expect: str, where: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, f"{where}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr, f"{where}: {result.stderr}"
    assert len(lines) == 1, f"{where}: {len(lines)} lines on stderr:\n{result.stderr}"
    assert expect in lines[0], f"{where}: {lines[0]!r} does not say {expect!r}"


def _nothing_listens(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


# Three processes per variant cost ~5 s of CPU: the first 32 (the issue's own first) go through the
# commands, and every variant goes through the loader in-process below.
THROUGH_COMMANDS = VARIANTS[:32]


@pytest.mark.parametrize(("edit", "expect"), [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_loader_names_the_key(tmp_path: Path, edit: Edit, expect: str) -> None:
    path, _ = _write(tmp_path, edit)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expect in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("edit", "expect"), [v[1:] for v in THROUGH_COMMANDS], ids=[v[0] for v in THROUGH_COMMANDS])
def test_malformed_devices_toml(tmp_path: Path, edit: Edit, expect: str) -> None:
    path, adb_port = _write(tmp_path, edit)
    empty = tmp_path / "no-tests"
    empty.mkdir()
    commands = {"harness devices": (("-m", "harness.cli", "devices", "--devices", str(path)), ROOT),
                "harness lab up": (("-m", "harness.cli", "lab", "up", "--detach", "--devices", str(path)), ROOT),
                # -n 2: the error comes once, from the controller, before any worker repeats it
                "pytest": (("-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "2", "--devices", str(path),
                            str(empty)), tmp_path)}
    with ThreadPoolExecutor(len(commands)) as pool:  # three independent processes: run them side by side
        results = {name: pool.submit(_run, *args, cwd=cwd) for name, (args, cwd) in commands.items()}
    for name, result in results.items():
        _one_line_error(result.result(), expect, name)
    assert _nothing_listens(adb_port), "a failed `lab up` left an adb server running"


def test_there_are_at_least_30_variants() -> None:
    assert len(THROUGH_COMMANDS) >= 30


def test_devices_prints_table_names_literally(tmp_path: Path) -> None:
    """rich markup would print `[[device]] #1` as `[] #1`."""
    path = tmp_path / "devices.toml"
    path.write_text('[[device]]\nplatform = "android"\n')
    result = _run("-m", "harness.cli", "devices", "--devices", str(path), cwd=ROOT)
    assert "[[device]] #1: missing key 'name'" in result.stderr, result.stderr
