"""The field corpus (tests/logs/field/): real captures from public threads, each with the events it must yield.

A capture file is a header, a ``---`` line, and the capture exactly as it was posted::

    source: https://github.com/owner/repo/issues/N
    platform: android 11, Samsung One UI
    format: threadtime
    note: free text (why an expectation is what it is)
    expect: kill package=org.example pid=4548 killer=samsung
    control: negative        (optional: lines that look like kills but are not; no event at all)
    heldout: yes             (optional: a capture added after the parsers were written, scored apart)
    ---
    <the capture>

Each ``expect`` line names an event kind and the fields the capture itself proves (``package``, ``pid``,
``killer``, ``job_id``, ``task``, ``reason``); fields left out are not checked. The expectations were written
from the capture, before the parser read it. Scoring runs the body through ``harness logs``' own path
(``capture_events``) and matches expected to produced events one to one, per family:

- kills (kill, force_stop, freeze): recall (with the right killer) and precision;
- runs (job_*, task_*, work_result, activity): recall;
- process (process_start, process_died): recall;
- other (push, work_scheduled, doze, boot, wake): recall, reported only.

Captures marked ``heldout: yes`` were gathered after the parsers were written, with their expectations
written before the parser read them; ``report`` scores them apart as well, since the rest of the corpus is what
the parsers were tuned on and so overstates how they read a capture they have never seen.

``python -m tests.logs.field_corpus`` prints the scores (``--heldout`` for the held-out captures only).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from harness.logs.cli_logs import capture_events
from harness.logs.events import KINDS, Event

FIELD = Path(__file__).parent / "field"
YEAR = 2021  # captures print no year; any fixed one keeps times comparable

FAMILIES: dict[str, frozenset[str]] = {
    "kills": frozenset({"kill", "force_stop", "freeze"}),
    "runs": frozenset({"job_start", "job_stop", "job_timeout", "task_start", "task_end", "work_result",
                       "activity"}),
    "process": frozenset({"process_start", "process_died"}),
    "other": frozenset({"push", "work_scheduled", "doze", "boot", "wake"}),
}
FIELDS = ("package", "pid", "killer", "job_id", "task", "reason")
_INT_FIELDS = frozenset({"pid", "job_id"})


def family_of(kind: str) -> str:
    return next(name for name, kinds in FAMILIES.items() if kind in kinds)


@dataclass(frozen=True, slots=True)
class Expected:
    kind: str
    fields: dict[str, str | int]

    def matches(self, event: Event) -> bool:
        return event.kind == self.kind and all(getattr(event, k) == v for k, v in self.fields.items())

    def __str__(self) -> str:
        return " ".join([self.kind, *(f"{k}={v}" for k, v in self.fields.items())])


@dataclass(frozen=True, slots=True)
class Capture:
    path: Path
    source: str
    header: dict[str, str]
    expected: tuple[Expected, ...]
    negative: bool
    body: str

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def heldout(self) -> bool:
        """Added after the parsers were written: its score is the parser's score on a capture it has not seen."""
        return self.header.get("heldout") == "yes"


def parse_expect(text: str) -> Expected:
    kind, *pairs = shlex.split(text)  # a value with spaces is quoted: reason="priority 10"
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    fields: dict[str, str | int] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in FIELDS:
            raise ValueError(f"bad field {pair!r}; use one of {', '.join(FIELDS)}")
        fields[key] = int(value) if key in _INT_FIELDS else value
    return Expected(kind, fields)


def load(path: Path) -> Capture:
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n---\n")
    if not sep:
        raise ValueError(f"{path.name}: no '---' line between the header and the capture")
    header: dict[str, str] = {}
    expected: list[Expected] = []
    negative = False
    for line in head.splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "expect":
            expected.append(parse_expect(value))
        elif key == "control":
            negative = value == "negative"
        else:
            header[key] = value
    if "source" not in header:
        raise ValueError(f"{path.name}: no source")
    return Capture(path, header["source"], header, tuple(expected), negative, body)


def corpus() -> list[Capture]:
    return [load(p) for p in sorted(FIELD.glob("*.txt"))]


@dataclass
class Outcome:
    capture: Capture
    events: list[Event]
    skipped: int
    missed: list[Expected] = field(default_factory=list)
    matched: list[tuple[Expected, Event]] = field(default_factory=list)
    extra: list[Event] = field(default_factory=list)  # produced, in a scored family, matched by nothing


def run(capture: Capture) -> Outcome:
    events, skipped = capture_events(capture.body, year=YEAR)
    out = Outcome(capture, events, skipped)
    free = list(events)
    for exp in capture.expected:
        hit = next((e for e in free if exp.matches(e)), None)
        if hit is None:
            out.missed.append(exp)
        else:
            free.remove(hit)
            out.matched.append((exp, hit))
    out.extra = free
    return out


@dataclass
class Score:
    expected: int = 0
    found: int = 0
    produced: int = 0  # kills only: every kill-family event the parser reported
    correct: int = 0  # kills only: those that an expectation matched

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.produced if self.produced else 1.0


def score(outcomes: list[Outcome]) -> dict[str, Score]:
    scores = {name: Score() for name in FAMILIES}
    for out in outcomes:
        for exp in out.capture.expected:
            scores[family_of(exp.kind)].expected += 1
        for exp, _ in out.matched:
            scores[family_of(exp.kind)].found += 1
        kills = scores["kills"]
        kills.produced += sum(1 for e in out.events if e.kind in FAMILIES["kills"])
        kills.correct += sum(1 for exp, _ in out.matched if exp.kind in FAMILIES["kills"])
    return scores


def _score_lines(title: str, outcomes: list[Outcome]) -> list[str]:
    lines = [f"{title}: {len(outcomes)} captures, "
             f"{sum(1 for o in outcomes if o.capture.negative)} negative controls, "
             f"{sum(o.skipped for o in outcomes)} unrecognised lines skipped"]
    for name, s in score(outcomes).items():
        line = f"  {name:8s} recall {s.recall:.3f} ({s.found}/{s.expected})"
        if name == "kills":
            line += f"  precision {s.precision:.3f} ({s.correct}/{s.produced})"
        lines.append(line)
    return lines


def report(outcomes: list[Outcome]) -> str:
    lines = _score_lines("field corpus", outcomes)
    heldout = [o for o in outcomes if o.capture.heldout]
    if heldout and len(heldout) < len(outcomes):
        lines += _score_lines("held-out", heldout)
    bad = [o for o in outcomes if o.missed or (o.capture.negative and o.events)
           or any(e.kind in FAMILIES["kills"] for e in o.extra)]
    for o in bad:
        lines.append(f"  {o.capture.name}:")
        lines += [f"    missed   {m}" for m in o.missed]
        lines += [f"    extra    {e.kind} package={e.package} pid={e.pid} killer={e.killer} line={e.line}"
                  for e in o.extra if e.kind in FAMILIES["kills"] or o.capture.negative]
    return "\n".join(lines)


if __name__ == "__main__":
    args = sys.argv[1:]
    only = [a for a in args if a != "--heldout"]
    caps = [c for c in corpus() if (not only or any(o in c.name for o in only))
            and ("--heldout" not in args or c.heldout)]
    print(report([run(c) for c in caps]))
