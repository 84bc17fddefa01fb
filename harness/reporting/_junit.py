"""``junit.xml``: one testsuite, one testcase per selected test, for CI dashboards.

Outcomes map the way pytest maps its own: an expected kill is like an xfail (``<skipped>``), an
unexpected survival like a strict xpass (``<failure>``). Selected tests that never reported are
``<skipped type="not_run">`` so the dashboard still lists them.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.reporting._model import DEVICE_PROPS, Result, Run, Selected
from harness.reporting._text import clean

__all__ = ["junit_tree", "write_junit"]

_SUITE = "bgharness"


def write_junit(run: Run, path: Path) -> None:
    tree = ET.ElementTree(junit_tree(run))
    ET.indent(tree)
    tmp = path.with_name(path.name + ".tmp")
    tree.write(tmp, encoding="utf-8", xml_declaration=True)
    tmp.replace(path)  # a CI job reading junit.xml mid-write sees the old file or the new, never half


def junit_tree(run: Run) -> ET.Element:
    counts = run.counts()
    suite = ET.Element("testsuite", {
        "name": _SUITE,
        "tests": str(len(run.results) + counts["not_run"]),
        "failures": str(counts["failed"] + counts["unexpected_survival"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"] + counts["expected_kill"] + counts["not_run"]),
        "time": f"{run.duration_s:.3f}",
        "timestamp": _iso(run.started_at),
    })
    props = ET.SubElement(suite, "properties")
    for name, value in (("run_id", run.run_id), ("harness_version", run.harness_version),
                        ("lab_seed", "" if run.lab_seed is None else str(run.lab_seed)),
                        ("interrupted", str(run.interrupted).lower())):
        ET.SubElement(props, "property", name=name, value=value)
    for result in run.results:
        suite.append(_testcase(result))
    for test in run.not_run():
        suite.append(_not_run(test, run.interrupted))
    return suite


def _names(nodeid: str) -> tuple[str, str]:
    """``scenarios/test_doze.py::TestX::test_a[p]`` → (``scenarios.test_doze.TestX``, ``test_a[p]``), as pytest does."""
    parts = nodeid.split("::")
    module = parts[0].removesuffix(".py").replace("/", ".").replace("\\", ".")
    return ".".join([module, *parts[1:-1]]), parts[-1]


def _testcase(r: Result) -> ET.Element:
    classname, name = _names(r.nodeid)
    case = ET.Element("testcase", classname=classname, name=name, time=f"{r.duration_s:.3f}")
    props = ET.SubElement(case, "properties")
    values = {"device": r.device, **{k: r.device_props.get(k, "") for k in DEVICE_PROPS}, "outcome": r.outcome}
    if r.killer is not None:
        values["killer"] = r.killer
    for key, value in values.items():
        ET.SubElement(props, "property", name=key, value=clean(value))
    body = clean("\n\n".join(part for part in (r.message, _why(r)) if part))
    first = body.splitlines()[0] if body else ""
    if r.outcome in ("failed", "unexpected_survival", "error"):
        tag = "error" if r.outcome == "error" else "failure"
        failure = ET.SubElement(case, tag, type=r.outcome, message=first or r.outcome.replace("_", " "))
        failure.text = body
    elif r.outcome in ("skipped", "expected_kill"):
        default = f"expected kill by {r.killer}" if r.outcome == "expected_kill" else "skipped"
        ET.SubElement(case, "skipped", type=r.outcome, message=first or default).text = body or None
    return case


def _why(r: Result) -> str:
    return f"why: {r.explanation}" if r.explanation else ""


def _not_run(test: Selected, interrupted: bool) -> ET.Element:
    classname, name = _names(test.nodeid)
    case = ET.Element("testcase", classname=classname, name=name, time="0.000")
    why = "not run: the run was interrupted" if interrupted else "not run"
    ET.SubElement(case, "skipped", type="not_run", message=why)
    return case


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="seconds")
