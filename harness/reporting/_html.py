"""The HTML report of a run: ``index.html`` (summary and survival matrix) and one page per test
under ``tests/`` (outcome, device, failure text and why, timeline picture, artifacts).

Pages must read offline from a CI artifact zip: no CDN, no script, no external stylesheet; every
text that came from a test or a device goes through ``esc``.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from harness.reporting._layout import INDEX, TESTS, slug
from harness.reporting._matrix import LABELS, Cell, Matrix, survival_matrix
from harness.reporting._model import DEVICE_PROPS, STATUSES, Result, Run, Selected, Status, TimelineItem
from harness.reporting._text import clean, utc_clock, utc_stamp
from harness.reporting._timeline import draw_timeline, pictured

__all__ = ["COLOURS", "detail_href", "esc", "page", "write_atomic", "write_html"]


def write_html(run: Run, run_dir: Path) -> Path:
    """The detail pages with their timeline pictures (for the results that did not pass), then index.html
    (returned)."""
    tests = run_dir / TESTS
    tests.mkdir(parents=True, exist_ok=True)
    for r in run.results:
        name = slug(r.nodeid)
        picture = tests / f"{name}.png"
        # Pictures drawn as each test ended (RunWriter.add, in the xdist worker) are not drawn again.
        drawn = picture.exists() or (pictured(r.outcome) and draw_timeline(
            r.timeline, picture, title=f"{r.scenario} @ {r.device}", window=r.window))
        write_atomic(tests / f"{name}.html", result_html(run, r, f"{name}.png" if drawn else None))
    for s in run.not_run():
        write_atomic(tests / f"{slug(s.nodeid)}.html", not_run_html(run, s))
    index = run_dir / INDEX
    write_atomic(index, index_html(run, wake_counts(run, run_dir)))  # last: its links point at the pages above
    return index


# -- page shell ---------------------------------------------------------------------------------
# Status → (background, text). Also the terminal's and the trend picture's colours.
COLOURS: dict[str, tuple[str, str]] = {
    "passed": ("#c8e6c9", "#1b5e20"),
    "failed": ("#ffcdd2", "#b71c1c"),
    "expected_kill": ("#ffe0b2", "#e65100"),
    "unexpected_survival": ("#e1bee7", "#4a148c"),
    "error": ("#ff8a65", "#3e2723"),
    "skipped": ("#eeeeee", "#616161"),
    "not_run": ("#ffffff", "#9e9e9e"),
}

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em;color:#212121}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.4em 0 .4em}
a{color:#0d47a1}code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre{background:#fafafa;border:1px solid #e0e0e0;padding:.7em;overflow:auto;white-space:pre-wrap}
table{border-collapse:collapse}th,td{border:1px solid #e0e0e0;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5;font-weight:600}.dev small{display:block;font-weight:400;color:#757575}
td.cell{text-align:center;min-width:7em}td.cell a{color:inherit;text-decoration:none;display:block}
td.cell a.sub{display:inline-block;margin:0 .15em;padding:0 .3em;border:1px solid #0003;border-radius:3px}
td.none{color:#bdbdbd}.not_run{border-style:dashed}.meta td:first-child{color:#757575}
.badge{display:inline-block;padding:.05em .5em;border-radius:3px;font-weight:600;margin-right:.3em}
.warn{background:#fff8e1;border:1px solid #ffe082;padding:.5em .8em}img{max-width:100%;border:1px solid #eee}
"""


def _status_css() -> str:
    return "".join(f".{s}{{background:{bg};color:{fg}}}" for s, (bg, fg) in COLOURS.items())


def page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{_CSS}{_status_css()}</style></head>\n<body>\n{body}\n</body></html>\n")


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def badge(status: Status, extra: str = "") -> str:
    tail = f" · {esc(extra)}" if extra else ""
    return f'<span class="badge {status}">{esc(LABELS[status])}{tail}</span>'


def link(path: str, text: str, **attrs: str) -> str:
    """An ``<a>`` to a relative path (quoted for the URL, then escaped for the attribute)."""
    more = "".join(f' {k.rstrip("_")}="{esc(v)}"' for k, v in attrs.items())
    return f'<a href="{esc(quote(path, safe="/#"))}"{more}>{esc(text)}</a>'


def write_atomic(path: Path, text: str) -> None:
    """Replace the file whole, so a browser refreshing mid-render never sees half a page."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# -- index.html ---------------------------------------------------------------------------------
def detail_href(nodeid: str) -> str:
    """The detail page of a test, relative to the run folder."""
    return f"{TESTS}/{slug(nodeid)}.html"


def wake_counts(run: Run, run_dir: Path) -> list[dict[str, object]]:
    """Per device and reason: pushes sent, wakes counted, and the pushes that did not wake the app split in two.
    Expected drops are those of a cell that passed (its own assertions wanted the drop: a force-stopped app, iOS's
    budget, a user force-quit) or of an expected kill; unexpected ones are those of a cell that failed or erred."""
    totals: dict[tuple[str, str], list[int]] = {}
    whys: dict[tuple[str, str], set[str]] = {}
    for r in run.results:
        rel = r.artifacts.get("wake-counts.json")
        if rel is None:
            continue
        try:
            rows = json.loads((run_dir / rel).read_text())
        except (OSError, ValueError):
            continue
        for row in rows if isinstance(rows, list) else []:
            key = (str(row.get("device", r.device)), str(row.get("reason", "?")))
            acc = totals.setdefault(key, [0, 0, 0, 0])
            sent, woke = int(row.get("sent") or 0), int(row.get("wakes") or 0)
            acc[0], acc[1] = acc[0] + sent, acc[1] + woke
            missing = max(0, sent - woke)
            expected = r.outcome in ("passed", "expected_kill")
            acc[2 if expected else 3] += missing
            if missing and expected:
                whys.setdefault(key, set()).add(_drop_why(r))
    return [{"device": d, "reason": reason, "sent": sent, "wakes": wakes, "missing": expected + unexpected,
             "expected": expected, "unexpected": unexpected, "why": ", ".join(sorted(whys.get((d, reason), ())))}
            for (d, reason), (sent, wakes, expected, unexpected) in sorted(totals.items())]


def _drop_why(r: Result) -> str:
    if r.outcome == "expected_kill":
        return f"killed ({r.killer or 'OEM'})"
    name = r.scenario
    for words, why in ((("force_stop",), "force-stopped"), (("throttle", "budget"), "throttled"),
                       (("force_quit",), "quit")):
        if any(w in name for w in words):
            return why
    return f"wanted by {name}"


def _wake_table(rows: list[dict[str, object]]) -> str:
    head = ("<tr><th>device</th><th>reason</th><th>sent</th><th>wakes counted</th><th>expected drops</th>"
            "<th>unexpected drops</th></tr>")
    body = "".join(_wake_row(r) for r in rows)
    return ("<h2>Wake counts</h2><p>Silent pushes sent to each phone and the wakes the app reported. Expected drops "
            "are pushes a passing cell meant to go unanswered (a force-stopped app, iOS's budget, a user force-quit) "
            "or that an expected kill swallowed; unexpected drops are those of failed cells.</p>"
            f"<table>{head}{body}</table>")


def _wake_row(r: dict[str, object]) -> str:
    why = f" <small>({esc(r['why'])})</small>" if r["why"] else ""
    flag = ' class="failed"' if r["unexpected"] else ""
    return (f"<tr><td>{esc(r['device'])}</td><td>{esc(r['reason'])}</td><td>{esc(r['sent'])}</td>"
            f"<td>{esc(r['wakes'])}</td><td>{esc(r['expected'])}{why}</td><td{flag}>{esc(r['unexpected'])}</td></tr>")


def index_html(run: Run, wakes: list[dict[str, object]] | None = None) -> str:
    matrix = survival_matrix(run)
    parts = [f"<h1>Run {esc(run.run_id)}</h1>", _summary(run), _matrix_table(run, matrix)]
    if wakes:
        parts.append(_wake_table(wakes))
    if matrix.unplaced:
        items = "".join(f"<li>{link(detail_href(s.nodeid), s.nodeid)}</li>" for s in matrix.unplaced)
        parts.append(f"<h2>Not run, device not yet chosen ({len(matrix.unplaced)})</h2><ul>{items}</ul>")
    return page(f"bgharness run {run.run_id}", "\n".join(parts))


def _summary(run: Run) -> str:
    counts = run.counts()
    state = "interrupted" if run.interrupted else "complete"
    rows = [("started", utc_stamp(run.started_at)), ("duration", _duration(run.duration_s)),
            ("state", state), ("harness", run.harness_version),
            ("lab seed", "—" if run.lab_seed is None else str(run.lab_seed)),
            ("tests", f"{len(run.results)} finished of {len(run.selected) or len(run.results)} selected")]
    meta = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
    status_counts = "".join(f'<span class="badge {s}" data-status="{s}">{esc(LABELS[s])}: {counts[s]}</span>'
                            for s in STATUSES if counts[s])
    warn = ""
    if run.interrupted:
        warn = ('<p class="warn">This run did not finish (interrupted, crashed, or still running): '
                f"{counts['not_run']} selected test(s) have no result.</p>")
    if run.damaged_lines:
        warn += f'<p class="warn">{run.damaged_lines} line(s) of results.jsonl were cut short and skipped.</p>'
    return f'<table class="meta">{meta}</table>\n<p class="counts">{status_counts or "no results"}</p>{warn}'


def _duration(seconds: float) -> str:
    minutes, s = divmod(round(seconds), 60)
    h, m = divmod(minutes, 60)
    return f"{h}h {m:02d}m {s:02d}s" if h else f"{m}m {s:02d}s"


def _matrix_table(run: Run, matrix: Matrix) -> str:
    if not matrix.scenarios:
        return "<p>No tests.</p>"
    head = "".join(f'<th class="dev">{esc(d)}<small>{esc(_device_line(run, d))}</small></th>' for d in matrix.devices)
    rows = []
    for scenario in matrix.scenarios:
        cells = "".join(_cell(matrix.cell(scenario, d), scenario, d) for d in matrix.devices)
        rows.append(f"<tr><th>{esc(scenario)}</th>{cells}</tr>")
    return (f'<h2>Survival matrix</h2>\n<table class="matrix"><thead><tr><th>scenario</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _device_line(run: Run, device: str) -> str:
    props = next((r.device_props for r in run.results if r.device == device), {})
    return " · ".join(props[k] for k in DEVICE_PROPS[1:4] if props.get(k))


def _cell(cell: Cell | None, scenario: str, device: str) -> str:
    data = f'data-scenario="{esc(scenario)}" data-device="{esc(device)}"'
    if cell is None:
        return f'<td class="cell none" {data} title="not tried on this device">—</td>'
    status = cell.status
    if len(cell.entries) == 1:
        entry = cell.entries[0]
        inner = link(detail_href(entry.nodeid), _label(status, entry.result.killer if entry.result else None),
                     title=entry.nodeid)
    else:  # several parametrizations of the scenario on this device: the worst, then each one
        subs = " ".join(link(detail_href(e.nodeid), str(n), class_=f"sub {e.status}", title=f"{e.nodeid}: {e.status}")
                        for n, e in enumerate(cell.entries, 1))
        inner = f"{esc(LABELS[status])}<br>{subs}"
    return f'<td class="cell {status}" data-status="{status}" {data}>{inner}</td>'


def _label(status: Status, killer: str | None) -> str:
    return f"{LABELS[status]} · {killer}" if killer and status != "passed" else LABELS[status]


# -- tests/<slug>.html ---------------------------------------------------------------------------
_UP = "../index.html"


def result_html(run: Run, r: Result, picture: str | None) -> str:
    """The page of a finished test; ``picture`` is its timeline PNG's file name, beside the page."""
    props = [("device", r.device), *((k, r.device_props.get(k, "")) for k in DEVICE_PROPS),
             *((k, v) for k, v in r.device_props.items() if k not in DEVICE_PROPS),
             ("killer", r.killer or "—"), ("started", utc_stamp(r.started_at)), ("ended", utc_stamp(r.ended_at)),
             ("duration", f"{r.duration_s:.1f} s"), ("run", run.run_id)]
    # The answer first: the verdict, why, the evidence, the timeline with the window; the traceback last, folded.
    parts = [_head(r.scenario, r.device, r.nodeid), f"<p>{badge(r.outcome, r.killer or '')}</p>", _verdict(r)]
    if r.explanation:
        parts.append(f"<h2>Why</h2><pre class=\"explanation\">{esc(clean(r.explanation))}</pre>")
    if r.evidence:
        parts.append(f"<h2>Evidence</h2><pre class=\"evidence\">{esc(clean(chr(10).join(r.evidence)))}</pre>")
    parts.append(_timeline(r.timeline, picture, r.nodeid))
    parts += ["<h2>Device</h2>", _table(props), _artifacts(r.artifacts)]
    if r.message and r.outcome != "skipped":
        parts.append(f"<details class=\"traceback\"><summary>Traceback and full message</summary>"
                     f"<pre class=\"message\">{esc(clean(r.message))}</pre></details>")
    return page(f"{r.scenario} @ {r.device}", "\n".join(parts))


def _verdict(r: Result) -> str:
    """One line that says what happened: the expectation that failed, a skip's reason, or the message's last line
    (an assertion's own text) when no expectation spoke."""
    if r.verdict:
        line = r.verdict
    elif r.outcome == "skipped" and r.message:
        line = f"skipped: {r.message}"
    elif r.message:
        tail = [ln for ln in clean(r.message).splitlines() if ln.startswith("E ") or ln.strip()]
        line = next((ln for ln in tail if ln.startswith("E ")), tail[-1] if tail else "")
        line = line.removeprefix("E").strip()
    else:
        return ""
    return f'<p class="verdict"><strong>{esc(line)}</strong></p>'


def not_run_html(run: Run, s: Selected) -> str:
    why = "the run was interrupted before this test reported" if run.interrupted else "this test did not run"
    parts = [_head(s.scenario, s.device or "(device not chosen)", s.nodeid), f"<p>{badge('not_run')}</p>",
             f"<p>Not run: {esc(why)}.</p>"]
    return page(f"{s.scenario} — not run", "\n".join(parts))


def _head(scenario: str, device: str, nodeid: str) -> str:
    return (f"<p>{link(_UP, '← run summary')}</p><h1>{esc(scenario)} @ {esc(device)}</h1>"
            f"<p><code>{esc(nodeid)}</code></p>")


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows if v)
    return f'<table class="meta">{body}</table>'


def _timeline(items: tuple[TimelineItem, ...], picture: str | None, nodeid: str) -> str:
    if not items:
        return "<h2>Timeline</h2><p>No timed device events were recorded for this test.</p>"
    img = f'<p><img src="{esc(picture)}" alt="timeline of {esc(nodeid)}"></p>' if picture else ""
    rows = "".join(f"<tr><td>{utc_clock(i.time)}</td><td>{esc(i.kind)}</td><td>{esc(clean(i.label))}</td></tr>"
                   for i in items)
    opened = "" if picture else " open"  # a passed test has no picture (``pictured``): its events show at once
    return (f"<h2>Timeline</h2>{img}<details{opened}><summary>{len(items)} events (device time)</summary>"
            f'<table class="events"><tr><th>time</th><th>kind</th><th>what</th></tr>{rows}</table></details>')


def _artifacts(artifacts: dict[str, str]) -> str:
    if not artifacts:
        return ""
    items = "".join(f"<li>{_artifact_link(name, path)}</li>" for name, path in artifacts.items())
    return f'<h2>Artifacts</h2><ul class="artifacts">{items}</ul>'


def _artifact_link(name: str, path: str) -> str:
    """Artifacts are relative to the run folder, and this page sits one level down in ``tests/``."""
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute():
        return f"{esc(name)}: <code>{esc(path)}</code> (outside the run folder)"
    return link(str(PurePosixPath("..") / PureWindowsPath(path).as_posix()), name, title=path)
