"""The app-side probe (``probe/``, TypeScript) prints the line the harness parses, byte for byte as the lab.

Runs the probe's compiled JS with node and checks its output against the Python side:
- ``formatProbeLine`` (probe/src/format.ts) against the contract's ``format_probe_line``
  (harness/contracts/probe.py, which the lab's app writes with) over a table of tricky values and a seeded
  random corpus;
- an app's task runs through the real probe (probe/scripts/app-run.mjs: ``createProbe`` with
  ``console.log``) parse with ``harness.logs.probe`` to the same events as the lab's lines for the same runs,
  and its ``bgprobe.jsonl`` reads as the lab's ring buffer does.

The probe is built here when ``probe/dist`` is missing or older than its sources (``npm ci`` once, then
``tsc``), so the test needs only node and npm; ``make test`` builds it before the Python suite anyway.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from filelock import FileLock

from harness.contracts.probe import format_probe_line
from harness.contracts.ring import RING_BUFFER_FILE, parse_ring
from harness.logs.events import Event
from harness.logs.probe import parse_probe, probe_event

PROBE = Path(__file__).resolve().parents[2] / "probe"
NODE = shutil.which("node")
NPM = shutil.which("npm")

pytestmark = pytest.mark.skipif(NODE is None, reason="`node` is not installed: the probe's line test runs its JS")

Fields = dict[str, object]


def _newest(paths: list[Path]) -> float:
    return max(p.stat().st_mtime for p in paths)


def _build_needed() -> bool:
    outputs = [PROBE / "dist" / name for name in ("index.js", "format.js", "probe.js")]
    if not all(p.exists() for p in outputs):
        return True
    sources = [*PROBE.glob("src/**/*"), PROBE / "tsconfig.json", PROBE / "package-lock.json"]
    return _newest([p for p in sources if p.is_file()]) > min(p.stat().st_mtime for p in outputs)


def _npm(*args: str, timeout_s: float) -> None:
    if NPM is None:
        pytest.fail("`npm` is missing (node is there): install npm, or build the probe with `npm --prefix probe ci`")
    done = subprocess.run([NPM, "--prefix", str(PROBE), *args], capture_output=True, text=True,
                          timeout=timeout_s, check=False)
    if done.returncode != 0:
        pytest.fail(f"`npm --prefix probe {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="module")
def built() -> Path:
    """``probe/dist``, built if stale; one builder at a time across xdist workers."""
    with FileLock(Path(tempfile.gettempdir()) / "bgharness-probe-build.lock", timeout=900):
        if _build_needed():
            if not (PROBE / "node_modules" / "typescript").is_dir():
                _npm("ci", "--no-audit", "--no-fund", timeout_s=600)
            _npm("run", "build", timeout_s=300)
    return PROBE / "dist"


def _node(script: str, *args: str, stdin: str = "") -> str:
    assert NODE is not None
    done = subprocess.run([NODE, str(PROBE / "scripts" / script), *args], input=stdin, capture_output=True,
                          encoding="utf-8", timeout=60, check=False)
    assert done.returncode == 0, f"node {script} failed ({done.returncode}):\n{done.stderr}"
    return done.stdout


def _node_lines(cases: list[tuple[str, Fields]]) -> list[str]:
    payload = json.dumps([[event, list(fields.items())] for event, fields in cases])
    # split("\n"), not splitlines(): JSON.stringify leaves U+2028, U+0085 … raw, and splitlines() splits on them.
    return [json.loads(line) for line in _node("format-lines.mjs", stdin=payload).split("\n")[:-1]]


# -- the formatter, value by value ----------------------------------------------------------------
VALUES: list[str | int] = [
    "sync-orders", 0, 3, -7, 840, "", " ", "nightly backup", "a=b", "=", '"', 'say "hi"', "\\", "C:\\tmp\\",
    '\\"', "tab\there", "two\nlines", "\r", "été", "日本語", "emoji\U0001f600", "nbsp\u00a0x", "\u3000",
    "fs\x1cx", "nel\x85x", "bom\ufeffx", "line\u2028sep", "ends with space ", "key=value with space",
    '{"json": true}', "\x00nul", "$HOME", "#", "--bgprobe-run-task",
]


def _random_values(count: int) -> list[str]:
    """Seeded strings over the characters quoting cares about (a bare word ending in a newline among them)."""
    rng = random.Random(20261128)
    alphabet = 'ab=" \\\t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2000\u200b\u2028\u3000\ufeffé日\U0001f600-_.:/'
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(count)]


def test_formatter_matches_the_lab_value_by_value(built: Path) -> None:
    values: list[str | int] = [*VALUES, *_random_values(400), "abc\n", "a-b_c\n"]
    cases: list[tuple[str, Fields]] = [("task_start", {"task": v, "run": 1}) for v in values]
    for (event, fields), line in zip(cases, _node_lines(cases), strict=True):
        assert line == format_probe_line(event, fields), f"value {fields['task']!r}"


def test_formatter_keeps_field_order(built: Path) -> None:
    fields: Fields = {"task": "sync-orders", "run": 3, "result": "success", "duration_ms": 840, "extra_key": "x y"}
    [line] = _node_lines([("task_end", fields)])
    assert line == format_probe_line("task_end", fields)
    assert line == 'BgProbe v1 task_end task=sync-orders run=3 result=success duration_ms=840 extra_key="x y"'


def test_formatter_trailing_newline(built: Path) -> None:
    [line] = _node_lines([("wake", {"reason": "abc\n"})])
    assert line == format_probe_line("wake", {"reason": "abc\n"}) == 'BgProbe v1 wake reason="abc\n"'


# -- an app's runs through the real probe ----------------------------------------------------------
# What probe/scripts/app-run.mjs does, as the lab's app would print it.
EXPECTED: list[tuple[str, Fields]] = [
    ("task_start", {"task": "sync-orders", "run": 1, "trigger": "workmanager"}),
    ("task_end", {"task": "sync-orders", "run": 1, "result": "success", "duration_ms": 840}),
    ("task_start", {"task": "sync-orders", "run": 2, "trigger": "workmanager"}),
    ("task_end", {"task": "sync-orders", "run": 2, "result": "failed", "duration_ms": 840}),
    ("task_start", {"task": "nightly backup", "run": 1, "trigger": "workmanager"}),
    ("task_error", {"task": "nightly backup", "run": 1, "error": 'Error: disk "full" = yes \\ no'}),
    ("task_start", {"task": "geo fence", "run": 1, "trigger": "geofence"}),
    ("task_end", {"task": "geo fence", "run": 1, "result": "success", "duration_ms": 0}),
    ("wake", {"reason": "push", "task": "sync-orders"}),
    ("wake", {"reason": "boot"}),
    ("task_start", {"task": "long", "run": 1, "trigger": "workmanager"}),
    ("task_expired", {"task": "long", "run": 1}),
]


def _event(line: str) -> tuple[str, dict[str, str], Event | None]:
    record = parse_probe(line)
    assert record is not None, f"not a probe line: {line!r}"
    return record.event, record.fields, probe_event(record, raw=line)


@pytest.fixture(scope="module")
def app_run(built: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    documents = tmp_path_factory.mktemp("documents")
    return _node("app-run.mjs", str(documents)).split("\n")[:-1], documents / RING_BUFFER_FILE


def test_app_lines_are_the_lab_lines(app_run: tuple[list[str], Path]) -> None:
    lines, _ = app_run
    assert lines == [format_probe_line(event, fields) for event, fields in EXPECTED]


def test_app_lines_parse_to_the_lab_events(app_run: tuple[list[str], Path]) -> None:
    lines, _ = app_run
    prefix = "11-28 08:15:02.311  4321  4350 I ReactNativeJS: "  # as logcat shows console.log
    for line, (event, fields) in zip(lines, EXPECTED, strict=True):
        lab = prefix + format_probe_line(event, fields)
        got_event, got_fields, got = _event(prefix + line)
        want_event, want_fields, want = _event(lab)
        assert (got_event, got_fields) == (want_event, want_fields)
        assert got == want
    kinds = [(e.kind, e.task, e.reason) for e in (_event(line)[2] for line in lines) if e is not None]
    assert kinds == [
        ("task_start", "sync-orders", "workmanager"), ("task_end", "sync-orders", "success"),
        ("task_start", "sync-orders", "workmanager"), ("task_end", "sync-orders", "failed"),
        ("task_start", "nightly backup", "workmanager"), ("task_end", "nightly backup", "error"),
        ("task_start", "geo fence", "geofence"), ("task_end", "geo fence", "success"),
        ("wake", "sync-orders", "push"), ("wake", None, "boot"),
        ("task_start", "long", "workmanager"), ("task_end", "long", "expired"),
    ]


def test_app_ring_reads_as_the_lab_ring(app_run: tuple[list[str], Path]) -> None:
    _, ring = app_run
    # As both drivers' ring_buffer read it (`run-as <pkg> cat files/bgprobe.jsonl`, house_arrest).
    entries = parse_ring(ring.read_bytes())
    assert [{k: v for k, v in e.items() if k != "time"} for e in entries] == [
        {"event": event, **fields} for event, fields in EXPECTED
    ]
    assert [list(e) for e in entries] == [["event", *fields, "time"] for _, fields in EXPECTED]  # the lab's key order
    times = [e["time"] for e in entries]
    assert all(isinstance(t, int) for t in times)
    assert times == sorted(int(str(t)) for t in times)
