"""A test's timeline as a PNG: lanes on one device-time axis.

Lanes, top to bottom: the app process (alive spans; kills and force-stops as red markers labelled
with the killer), Doze (state bands, deep above light), jobs (JobScheduler runs, timeouts,
WorkManager marks) and the app's tasks (start ▶ / end ■). A reboot is a dashed line across all lanes.

matplotlib is imported when a picture is drawn, not when the package is imported: the plugin and
xdist workers that only stream results never pay for it. Figures are built without pyplot (no
global figure registry, nothing to close, safe in threads) on the Agg canvas.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.reporting._model import TimelineItem

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["DOZE_COLOURS", "LANES", "PICTURED", "Lane", "Span", "doze_bands", "draw_timeline", "label_rows",
           "lane_spans", "pictured", "time_ticks"]

# The outcomes whose detail page gets a timeline picture: those someone opens the page to understand. A passed test
# keeps its events table; drawing a PNG for each costs more than the test itself on a virtual clock (issue 22).
PICTURED: frozenset[str] = frozenset({"failed", "error", "expected_kill", "unexpected_survival"})


def pictured(outcome: str) -> bool:
    """Whether a result with this outcome gets a timeline picture (``PICTURED``)."""
    return outcome in PICTURED


# -- spans: pure pairing rules, testable without drawing ----------------------------------------
@dataclass(frozen=True, slots=True)
class Span:
    start: float
    end: float
    subject: str | None
    state: str | None = None  # Doze: the state held over the span
    open_start: bool = False  # begun before the first item (the process was already alive)
    open_end: bool = False  # still going at the last item


@dataclass(frozen=True, slots=True)
class Lane:
    name: str
    starts: frozenset[str]
    ends: frozenset[str]  # end the span of the same subject (or all, for an item without a subject)
    closers: frozenset[str] = frozenset()  # end every open span, never begin one (a reboot)


LANES: tuple[Lane, ...] = (
    # A force-stop (no pid) ends every process of the package; a reboot ends everything.
    Lane("process", frozenset({"process_start"}), frozenset({"process_died", "kill", "force_stop"}),
         frozenset({"boot"})),
    # WorkManager's job ends when its worker's result is in (SystemJobService finishes the job then); its own
    # job_stop is rarely logged at the default level, and a bar to the next start would draw a 3 s run as minutes.
    Lane("jobs", frozenset({"job_start"}), frozenset({"job_stop"}), frozenset({"boot", "force_stop", "work_result"})),
    Lane("tasks", frozenset({"task_start"}), frozenset({"task_end"}), frozenset({"boot", "force_stop", "kill"})),
)


def lane_spans(items: Sequence[TimelineItem], lane: Lane, t0: float, t1: float) -> list[Span]:
    """Pair each start with the next end of its subject. An end with no start seen for its subject
    began before the capture (from ``t0``); a start with no end is still going (to ``t1``); a start whose end was
    lost (another start of its subject came first) is drawn at its start only, never stretched to the next run.
    An end also ends an open start that named no subject (Expo's worker line of the same run)."""
    spans: list[Span] = []
    open_: dict[str | None, float] = {}
    seen: set[str | None] = set()
    for item in sorted(items, key=lambda i: i.time):
        if item.kind in lane.starts:
            if item.subject in open_:  # a second start without a stop: the first one's end was lost
                lost = open_.pop(item.subject)
                spans.append(Span(lost, lost, item.subject, open_end=True))
            open_[item.subject] = item.time
            seen.add(item.subject)
        elif item.kind in lane.ends:
            if item.subject is not None and item.subject in open_:
                spans.append(Span(open_.pop(item.subject), item.time, item.subject))
                if None in open_:
                    spans.append(Span(open_.pop(None), item.time, None))
            elif open_ and item.subject is None:
                spans.extend(Span(start, item.time, subject) for subject, start in open_.items())
                open_.clear()
            elif item.subject not in seen and not (item.subject is None and seen):
                spans.append(Span(t0, item.time, item.subject, open_start=True))
            seen.add(item.subject)
        elif item.kind in lane.closers:
            spans.extend(Span(start, item.time, subject) for subject, start in open_.items())
            open_.clear()
    spans.extend(Span(start, t1, subject, open_end=True) for subject, start in open_.items())
    return sorted(spans, key=lambda s: s.start)


def doze_bands(items: Sequence[TimelineItem], t1: float) -> list[Span]:
    """Each Doze state from its item to the next item of the same mode (deep / light), or ``t1``.
    A boot ends every band: DeviceIdleController starts ACTIVE again."""
    bands: list[Span] = []
    current: dict[str | None, TimelineItem] = {}
    for item in sorted((i for i in items if i.kind in ("doze", "boot")), key=lambda i: i.time):
        ending = list(current.values()) if item.kind == "boot" else [current.get(item.subject)]
        bands.extend(Span(b.time, item.time, b.subject, b.state) for b in ending if b is not None)
        if item.kind == "boot":
            current.clear()
        else:
            current[item.subject] = item
    bands.extend(Span(i.time, t1, i.subject, i.state, open_end=True) for i in current.values())
    return sorted(bands, key=lambda s: s.start)


# -- the picture ------------------------------------------------------------------------------
_ROWS = {"process": 3.0, "doze": 2.0, "jobs": 1.0, "tasks": 0.0}
_SPAN_COLOURS = {"process": "#66bb6a", "jobs": "#42a5f5", "tasks": "#ab47bc"}
_RED = "#d32f2f"

# DeviceIdleController's states (deep and light); ACTIVE is drawn as nothing.
DOZE_COLOURS: dict[str, str] = {
    "INACTIVE": "#e0e0e0", "IDLE_PENDING": "#cfd8dc", "PRE_IDLE": "#cfd8dc", "SENSING": "#b0bec5",
    "LOCATING": "#90a4ae", "QUICK_DOZE_DELAY": "#b0bec5", "WAITING_FOR_NETWORK": "#90a4ae",
    "IDLE": "#37474f", "IDLE_MAINTENANCE": "#a5d6a7", "OVERRIDE": "#6a1b9a",
}
_DOZE_OTHER = "#9e9e9e"


def draw_timeline(items: Sequence[TimelineItem], path: Path, *, title: str = "",
                  window: tuple[float, float] | None = None) -> bool:
    """Draw the items to ``path`` (PNG), with ``window`` (the failed wait's mark to deadline) shaded. False, and
    no file, when there is nothing to draw."""
    if not items:
        return False
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - matplotlib loads only when a picture is drawn
    from matplotlib.figure import Figure  # noqa: PLC0415 - matplotlib loads only when a picture is drawn

    t0, t1 = _range(items, window)
    fig = Figure(figsize=(11, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    min_w = (t1 - t0) / 400  # narrower than a pixel or two: drawn as a tick at its start, never widened
    if window is not None:
        ax.axvspan(window[0], window[1], color="#fff59d", alpha=0.45, zorder=0, label="expected window")
    for lane in LANES:
        _bars(ax, lane.name, lane_spans(items, lane, t0, t1), min_w)
    _doze(ax, doze_bands(items, t1), min_w)
    _markers(ax, items, (t1 - t0) / 30)
    _axes(ax, t0, t1, title)
    _legend(ax)
    # A constrained layout instead of bbox_inches="tight": "tight" renders the figure twice.
    fig.savefig(path, format="png")
    return True


def _range(items: Sequence[TimelineItem], window: tuple[float, float] | None = None) -> tuple[float, float]:
    times = [i.time for i in items] + (list(window) if window is not None else [])
    lo, hi = min(times), max(times)
    pad = max(30.0, (hi - lo) * 0.03)  # a single item still gets a minute of axis
    return lo - pad, hi + pad


# Tick steps a person reads at a glance, in seconds.
_STEPS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def time_ticks(t0: float, t1: float, most: int = 10) -> list[tuple[float, str]]:
    """Round device times between t0 and t1 (at most ``most``), labelled HH:MM, or HH:MM:SS
    when the step is under a minute. UTC, because device times are encoded with timegm."""
    step = next((s for s in _STEPS if (t1 - t0) / s <= most), _STEPS[-1] * (1 + int((t1 - t0) / (86400 * most))))
    first = math.ceil(t0 / step) * step
    fmt = "%H:%M:%S" if step < 60 else "%H:%M"
    ticks = []
    t = float(first)
    while t <= t1:
        ticks.append((t, time.strftime(fmt, time.gmtime(t))))
        t += step
    return ticks


def _bars(ax: Axes, lane: str, spans: list[Span], min_w: float) -> None:
    y = _ROWS[lane]
    height = 0.5 if lane != "tasks" else 0.25
    for s in spans:
        if s.end - s.start < min_w:  # a 3-second run on an hours-long axis: its real width, marked by a tick
            ax.plot([s.start], [y], marker="|", color=_SPAN_COLOURS[lane], markersize=12, markeredgewidth=2)
            continue
        # Hatched: the span began before the capture or was still going at its end.
        ax.broken_barh([(s.start, s.end - s.start)], (y - height / 2, height),
                       facecolors=_SPAN_COLOURS[lane], edgecolor="#333333", linewidth=0.4,
                       hatch="//" if s.open_start or s.open_end else None)
        if lane == "jobs" and s.subject is not None:
            ax.text(s.start, y + 0.3, f"#{s.subject}", fontsize=6, va="bottom")


def _doze(ax: Axes, bands: list[Span], min_w: float) -> None:
    for band in bands:
        state = band.state or "?"
        if state == "ACTIVE":
            continue
        y0 = _ROWS["doze"] - 0.25 if band.subject == "light" else _ROWS["doze"]  # deep above, light below
        ax.broken_barh([(band.start, max(band.end - band.start, min_w))], (y0, 0.25),
                       facecolors=DOZE_COLOURS.get(state, _DOZE_OTHER), alpha=0.5 if band.subject == "light" else 1.0,
                       label=_doze_label(band))


def _legend(ax: Axes) -> None:
    """One legend for everything drawn: the window, the lanes' bars and markers, the Doze states seen."""
    from matplotlib.lines import Line2D  # noqa: PLC0415 - matplotlib loads only when a picture is drawn
    from matplotlib.patches import Patch  # noqa: PLC0415 - matplotlib loads only when a picture is drawn

    handles, labels = ax.get_legend_handles_labels()
    drawn = dict(zip(labels, handles, strict=True))
    keys: list[tuple[str, object]] = [
        ("process alive", Patch(facecolor=_SPAN_COLOURS["process"])),
        ("job running", Patch(facecolor=_SPAN_COLOURS["jobs"])),
        ("task running", Patch(facecolor=_SPAN_COLOURS["tasks"])),
        ("began before / still going", Patch(facecolor="white", edgecolor="#333333", hatch="//")),
        ("kill / force-stop / freeze", Line2D([], [], marker="X", color=_RED, linestyle="")),
        ("task start / end", Line2D([], [], marker=">", color="#6a1b9a", linestyle="")),
    ]
    entries = {**{k: h for k, h in drawn.items() if k == "expected window"}, **dict(keys),
               **{k: h for k, h in drawn.items() if k != "expected window"}}
    ax.legend(list(entries.values()), list(entries.keys()), fontsize=6.5, loc="upper left",
              bbox_to_anchor=(1.005, 1.0), frameon=False)


def _doze_label(band: Span) -> str:
    return f"{band.subject or 'deep'} {band.state or '?'}"


def label_rows(xs: Sequence[float], gap: float, rows: int = 3) -> list[int | None]:
    """For labels at ``xs`` (in order): the row each one goes on so that no two labels closer than ``gap`` share
    a row, or None when every row is taken there (the marker stays, unlabelled)."""
    last: list[float | None] = [None] * rows
    placed: list[int | None] = []
    for x in xs:
        row = next((r for r in range(rows) if last[r] is None or x - (last[r] or 0.0) >= gap), None)
        if row is not None:
            last[row] = x
        placed.append(row)
    return placed


def _markers(ax: Axes, items: Sequence[TimelineItem], gap: float) -> None:
    stops = [i for i in items if i.kind in ("kill", "force_stop", "freeze")]
    rows = label_rows([i.time for i in stops], gap)
    for item, row in zip(stops, rows, strict=True):
        marker = {"kill": "X", "force_stop": "s", "freeze": "D"}[item.kind]
        ax.plot([item.time], [_ROWS["process"]], marker=marker, color=_RED, markersize=9, zorder=5)
        if row is not None:
            what = {"kill": "kill", "force_stop": "force-stop", "freeze": "freeze"}[item.kind]
            ax.annotate(f"{what}: {item.killer or 'unknown'}", (item.time, _ROWS["process"] + 0.3 + 0.22 * row),
                        fontsize=7, color=_RED, ha="center", va="bottom")
    for item in items:
        x = item.time
        if item.kind in ("kill", "force_stop", "freeze"):
            continue
        elif item.kind == "process_died":
            ax.plot([x], [_ROWS["process"]], marker="x", color="#212121", markersize=6, zorder=5)
        elif item.kind == "job_timeout":
            ax.plot([x], [_ROWS["jobs"]], marker="v", color="#ef6c00", markersize=7, zorder=5)
        elif item.kind in ("work_scheduled", "work_result"):
            ax.plot([x], [_ROWS["jobs"] - 0.35], marker="|" if item.kind == "work_scheduled" else "o",
                    color="#546e7a", markersize=6, zorder=5)
        elif item.kind in ("task_start", "task_end"):
            ax.plot([x], [_ROWS["tasks"]], marker=">" if item.kind == "task_start" else "s", color="#6a1b9a",
                    markersize=6, zorder=5)
        elif item.kind == "boot":
            ax.axvline(x, color="#424242", linestyle="--", linewidth=1)
            ax.text(x, _ROWS["process"] + 0.55, "boot", fontsize=7, ha="center")


def _axes(ax: Axes, t0: float, t1: float, title: str) -> None:
    ax.set_xlim(t0, t1)
    ax.set_ylim(-0.6, 4.3)
    ax.set_yticks(list(_ROWS.values()), ["app process", "Doze\n(deep / light)", "jobs", "tasks"])
    ticks = time_ticks(t0, t1)
    ax.set_xticks([t for t, _ in ticks], [label for _, label in ticks])
    ax.set_xlabel("device time")
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
