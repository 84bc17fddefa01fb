"""``adb bugreport`` (Google's adb 1.0.41) against the lab's ``bugreportz``, and ``setprop lab.seed``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.labkit import RunningLab

PHONE = "xiaomi-13"
BUGREPORTS = "/data/user_de/0/com.android.shell/files/bugreports/"


def test_bugreportz_prints_its_version_on_stderr_as_adb_expects(lab: RunningLab) -> None:
    got = lab.shell(PHONE, "bugreportz -v")
    assert (got.code, got.stdout, got.stderr) == (0, "", "1.2\n")


@pytest.mark.parametrize(("args", "code"), [("-h", 0), ("-x", 1), ("now", 1)])
def test_bugreportz_usage(lab: RunningLab, args: str, code: int) -> None:
    got = lab.shell(PHONE, f"bugreportz {args}")
    assert got.code == code
    assert got.stderr.startswith("usage: bugreportz [-hpsv]\n") and got.stdout == ""


def test_progress_lines_begin_progress_ok(lab: RunningLab) -> None:
    got = lab.shell(PHONE, "bugreportz -p")
    lines = got.stdout.splitlines()
    assert got.code == 0
    assert lines[0].startswith(f"BEGIN:{BUGREPORTS}bugreport-") and lines[0].endswith(".zip")
    progress = [line for line in lines[1:-1]]
    assert progress and all(line.startswith("PROGRESS:") for line in progress)
    done = [int(line.split(":")[1].split("/")[0]) for line in progress]
    assert done == sorted(done) and progress[-1].split("/")[0][len("PROGRESS:"):] == progress[-1].split("/")[1]
    assert lines[-1] == "OK:" + lines[0][len("BEGIN:"):]
    plain = lab.shell(PHONE, "bugreportz").stdout.splitlines()
    assert len(plain) == 1 and plain[0].startswith(f"OK:{BUGREPORTS}")  # without -p: only OK


def test_adb_bugreport_pulls_a_well_formed_zip(lab: RunningLab, tmp_path: Path) -> None:
    lab.shell(PHONE, "log -t BghMarker 'before the bug report'")
    got = lab.adb(PHONE, "bugreport", str(tmp_path / "br.zip"), timeout_s=120)
    assert got.code == 0, got.stderr
    assert "1 file pulled" in got.stdout
    with zipfile.ZipFile(tmp_path / "br.zip") as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        main = zf.read("main_entry.txt").decode()
        assert names == {"main_entry.txt", "version.txt", main}
        assert zf.read("version.txt") == b"2.0"
        text = zf.read(main).decode()
    product = lab.shell(PHONE, "getprop ro.product.name").stdout.strip()
    build = lab.shell(PHONE, "getprop ro.build.id").stdout.strip()
    fingerprint = lab.shell(PHONE, "getprop ro.build.fingerprint").stdout.strip()
    assert main.startswith(f"bugreport-{product}-{build}-") and main.endswith(".txt")
    assert text.startswith("========================================================\n== dumpstate: ")
    assert f"Build fingerprint: '{fingerprint}'\n" in text
    assert "Bugreport format version: 2.0\n" in text and "\nUptime: up " in text
    for title in ("UPTIME", "SYSTEM PROPERTIES", "SYSTEM LOG", "EVENT LOG", "DUMPSYS"):
        assert f"------ {title} (" in text and f"was the duration of '{title}' ------" in text
    assert "BghMarker: before the bug report" in text
    assert "DUMP OF SERVICE jobscheduler:" in text and f"[ro.build.fingerprint]: [{fingerprint}]" in text


def test_adb_bugreport_into_a_folder_keeps_the_phones_name(lab: RunningLab, tmp_path: Path) -> None:
    got = lab.adb(PHONE, "bugreport", str(tmp_path), timeout_s=120)
    assert got.code == 0, got.stderr
    pulled = list(tmp_path.glob("bugreport-*.zip"))
    assert len(pulled) == 1 and zipfile.is_zipfile(pulled[0])


def test_setprop_lab_seed_reseeds_the_policy_randomness(lab: RunningLab) -> None:
    def draws() -> list[float]:
        return lab.call(lambda: [float(lab.device(PHONE).rng.random()) for _ in range(3)])

    assert lab.shell(PHONE, "setprop lab.seed 4242 && getprop lab.seed").stdout == "4242\n"
    first = draws()
    lab.shell(PHONE, "setprop lab.seed 4242")
    assert draws() == first
    lab.shell(PHONE, "setprop lab.seed 4243")
    assert draws() != first
    refused = lab.shell(PHONE, "setprop lab.seed soon")
    assert refused.code == 1 and "Failed to set property 'lab.seed' to 'soon'" in refused.stderr
