"""JUnit XML, the HTML matrix and detail pages, timeline pictures and the terminal matrix, all
read back the way their readers read them (xml.etree, an HTML parser, the PNG header)."""

from __future__ import annotations

import io
import json
import struct
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from rich.console import Console

from harness.reporting import Outcome, Run, RunWriter, load_run, print_summary, write_reports
from tests.reporting.sample import DEVICES, SCENARIOS, result, write_sample_run

EXPECTED_CELLS = {
    ("test_periodic_fetch", "pixel-8"): "passed",
    ("test_periodic_fetch", "redmi-note-12"): "expected_kill",
    ("test_periodic_fetch", "galaxy-a54"): "failed",
    ("test_survives_swipe", "pixel-8"): "passed",
    ("test_survives_swipe", "redmi-note-12"): "unexpected_survival",
    ("test_survives_swipe", "galaxy-a54"): "error",
    ("test_after_reboot", "pixel-8"): "skipped",
    ("test_after_reboot", "redmi-note-12"): "not_run",
    ("test_after_reboot", "galaxy-a54"): "none",
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    w = write_sample_run(tmp_path_factory.mktemp("reports"))
    return w.run_dir, load_run(w.run_dir)


class Page(HTMLParser):
    """The parts of a page the tests look at: matrix cells, links, images, and any external reference."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], tuple[str, list[str]]] = {}
        self.links: list[str] = []
        self.images: list[str] = []
        self.tags: set[str] = set()
        self._cell: tuple[str, str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        if tag == "td" and "cell" in a.get("class", "").split():
            self._cell = (a["data-scenario"], a["data-device"])
            self.cells[self._cell] = (a["class"].split()[1], [])
        elif tag == "a":
            self.links.append(a["href"])
            if self._cell is not None:
                self.cells[self._cell][1].append(a["href"])
        elif tag == "img":
            self.images.append(a["src"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# -- JUnit --------------------------------------------------------------------------------------

def test_junit_parses_and_counts_like_pytest(sample: tuple[Path, Run]) -> None:
    suite = ET.parse(sample[0] / "junit.xml").getroot()
    assert suite.tag == "testsuite"
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "9", "failures": "2", "errors": "1", "skipped": "4"}
    suite_props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert suite_props["run_id"] == "sample" and suite_props["lab_seed"] == "7"


def test_junit_testcases_carry_device_properties_and_the_killer(sample: tuple[Path, Run]) -> None:
    suite = ET.parse(sample[0] / "junit.xml").getroot()
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    galaxy = cases["test_periodic_fetch[galaxy-a54]"]
    assert galaxy.get("classname") == "scenarios.test_background"
    props = {p.get("name"): p.get("value") for p in galaxy.findall("properties/property")}
    assert props == {"device": "galaxy-a54", **DEVICES["galaxy-a54"], "outcome": "failed", "killer": "samsung"}
    failure = galaxy.find("failure")
    assert failure is not None and failure.get("type") == "failed"
    # pytest's colour escapes are gone, a NUL (illegal in XML) is replaced, the why follows the message.
    assert failure.get("message") == "AssertionError: task <script>alert(1)</script> did not fire\ufffd"
    assert "why: force-stopped by samsung" in (failure.text or "")
    kinds = {name: [child.tag + ":" + (child.get("type") or "") for child in case if child.tag != "properties"]
             for name, case in cases.items()}
    assert kinds["test_periodic_fetch[redmi-note-12]"] == ["skipped:expected_kill"]
    assert kinds["test_survives_swipe[redmi-note-12]"] == ["failure:unexpected_survival"]
    assert kinds["test_survives_swipe[galaxy-a54]"] == ["error:error"]
    assert kinds["test_after_reboot[redmi-note-12]"] == ["skipped:not_run"]
    assert kinds["test_periodic_fetch[pixel-8]"] == []


# -- HTML ---------------------------------------------------------------------------------------

def test_index_has_every_scenario_device_cell_with_its_class(sample: tuple[Path, Run]) -> None:
    page = Page((sample[0] / "index.html").read_text(encoding="utf-8"))
    assert {key: cls for key, (cls, _) in page.cells.items()} == EXPECTED_CELLS
    assert all(len(links) == 1 for key, (cls, links) in page.cells.items() if cls != "none")


def test_every_link_of_every_page_resolves_to_a_file(sample: tuple[Path, Run]) -> None:
    run_dir = sample[0]
    pages = [run_dir / "index.html", *sorted((run_dir / "tests").glob("*.html"))]
    assert len(pages) == 1 + 7 + 2  # index, 7 results, 2 never run (one with no device yet)
    for path in pages:
        page = Page(path.read_text(encoding="utf-8"))
        for ref in page.links + page.images:
            assert (path.parent / unquote(ref)).is_file(), f"{path.name}: {ref}"


def test_pages_read_offline_and_escape_what_tests_print(sample: tuple[Path, Run]) -> None:
    for path in [sample[0] / "index.html", *(sample[0] / "tests").glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        page = Page(text)
        assert not page.tags & {"script", "link", "iframe"}, path.name
        assert "http://" not in text and "https://" not in text, path.name
    galaxy = next((sample[0] / "tests").glob("*test_periodic_fetch_galaxy-a54*.html")).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in galaxy and "\x1b" not in galaxy
    assert "force-stopped by samsung (MARs #1)" in galaxy


def test_a_detail_page_shows_its_timeline_picture_and_artifacts(sample: tuple[Path, Run]) -> None:
    run_dir = sample[0]
    detail = next((run_dir / "tests").glob("*test_periodic_fetch_redmi-note-12*.html"))
    page = Page(detail.read_text(encoding="utf-8"))
    assert page.images == [detail.with_suffix(".png").name]
    width, height = png_size(detail.with_suffix(".png"))
    assert width > 600 and height > 150
    assert "../artifacts/" in " ".join(page.links)
    text = detail.read_text(encoding="utf-8")
    assert "killed by miui (PowerKeeper)" in text and "00:40:00" in text  # the events table, device time
    # Results without a timeline get no picture, and say so.
    pixel = next((run_dir / "tests").glob("*test_periodic_fetch_pixel-8*.html"))
    assert Page(pixel.read_text(encoding="utf-8")).images == [] and not pixel.with_suffix(".png").exists()


def test_an_interrupted_run_renders_with_its_missing_tests(tmp_path: Path) -> None:
    w = write_sample_run(tmp_path, "cut", finish=False)
    index = write_reports(load_run(w.run_dir), w.run_dir)
    text = index.read_text(encoding="utf-8")
    assert "did not finish" in text
    assert Page(text).cells[("test_after_reboot", "redmi-note-12")][0] == "not_run"
    assert "test_geofence" in text  # not run, and no device chosen: listed under the matrix


def test_an_empty_run_still_renders(tmp_path: Path) -> None:
    w = RunWriter(tmp_path, "empty")
    run = w.finish()
    assert run.results == () and "No tests" in (w.run_dir / "index.html").read_text(encoding="utf-8")


# -- terminal -----------------------------------------------------------------------------------

def test_terminal_summary_shows_the_matrix_in_colour(sample: tuple[Path, Run]) -> None:
    out = io.StringIO()
    console = Console(file=out, width=160, color_system="truecolor", force_terminal=True, record=True)
    print_summary(sample[1], console, sample[0])
    plain = console.export_text()
    for name in (*SCENARIOS, *DEVICES, "expected kill (miui)", "FAIL (samsung)", "unexpected survival", "ERROR",
                 "not run: scenarios/test_geo.py::test_geofence", "index.html"):
        assert name in plain, name
    assert "2 pass, 1 FAIL, 1 expected kill, 1 unexpected survival, 1 ERROR, 1 skip, 2 not run" in plain
    assert "\x1b[" in out.getvalue()  # coloured cells


def test_a_cell_with_several_parametrizations_shows_the_worst_and_links_each(tmp_path: Path) -> None:
    w = RunWriter(tmp_path, "params")
    cases: tuple[tuple[str, Outcome], ...] = (("15min", "passed"), ("1h", "failed"))
    for interval, outcome in cases:
        nid = f"scenarios/test_background.py::test_periodic_fetch[pixel-8-{interval}]"
        w.add(replace(result("test_periodic_fetch", "pixel-8", outcome), nodeid=nid))
    w.finish()
    cls, links = Page((w.run_dir / "index.html").read_text(encoding="utf-8")).cells[("test_periodic_fetch", "pixel-8")]
    assert cls == "failed" and len(links) == 2
    assert all((w.run_dir / unquote(link)).is_file() for link in links)


def test_index_sums_the_push_scenarios_wake_counts_per_device(tmp_path: Path) -> None:
    w = RunWriter(tmp_path, "wakes", lab_seed=1)
    rows = {"pixel-8": [{"device": "pixel-8", "reason": "push", "sent": 3, "wakes": 3}],
            "redmi-note-12": [{"device": "redmi-note-12", "reason": "push", "sent": 4, "wakes": 1}]}
    for n, (device, counts) in enumerate(rows.items()):
        for test in ("test_push_a", "test_push_b"):
            folder = w.artifact_dir(f"scenarios/test_push.py::{test}[{device}]")
            path = folder / "wake-counts.json"
            path.write_text(json.dumps(counts))
            w.add(replace(result(test, device, at=n), nodeid=f"scenarios/test_push.py::{test}[{device}]",
                          artifacts={"wake-counts.json": str(path.relative_to(w.run_dir))}))
    w.finish()
    index = (w.run_dir / "index.html").read_text()
    assert "<h2>Wake counts</h2>" in index
    assert "<td>pixel-8</td><td>push</td><td>6</td><td>6</td><td>0</td><td>0</td>" in index
    # Both cells passed: their drops were what they checked (the wake table splits expected from unexpected).
    assert "<td>redmi-note-12</td><td>push</td><td>8</td><td>2</td><td>6 <small>(wanted by test_push_a, " \
           "wanted by test_push_b)</small></td><td>0</td>" in index


def test_the_wake_table_splits_expected_drops_from_unexpected_ones(tmp_path: Path) -> None:
    w = RunWriter(tmp_path, "drops", lab_seed=1)
    cells = [("test_force_stopped_app_gets_no_push_until_opened", "passed", 2, 1, None),
             ("test_push_wakes_the_app_after_a_long_screen_off", "expected_kill", 1, 0, "miui"),
             ("test_every_push_is_counted", "failed", 3, 1, None)]
    for n, (test, outcome, sent, woke, killer) in enumerate(cells):
        nid = f"scenarios/test_push.py::{test}[xiaomi-13]"
        path = w.artifact_dir(nid) / "wake-counts.json"
        path.write_text(json.dumps([{"device": "xiaomi-13", "reason": "push", "sent": sent, "wakes": woke}]))
        w.add(replace(result(test, "redmi-note-12", at=n), nodeid=nid, outcome=outcome, killer=killer,  # type: ignore[arg-type]
                      artifacts={"wake-counts.json": str(path.relative_to(w.run_dir))}))
    w.finish()
    index = (w.run_dir / "index.html").read_text()
    assert ("<td>xiaomi-13</td><td>push</td><td>6</td><td>2</td><td>2 <small>(force-stopped, killed (miui))</small>"
            '</td><td class="failed">2</td>') in index
