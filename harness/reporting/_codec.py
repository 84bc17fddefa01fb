"""The model as ``results.jsonl`` lines, and back.

One JSON object per line, told apart by ``type``: ``run`` (the header), ``selected`` (the tests
pytest is about to run), ``result`` (one finished test) and ``finish``. Decoders raise ``ValueError``
on a line of the wrong shape; the reader counts it as damaged and moves on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import cast

from harness.logs.events import KINDS, EventKind
from harness.reporting._model import OUTCOMES, Outcome, Result, Selected, TimelineItem

__all__ = ["SCHEMA", "Finish", "Header", "Line", "decode", "encode", "finish_line", "header_line", "result_line",
           "selected_line"]

SCHEMA = 1


@dataclass(frozen=True, slots=True)
class Header:
    run_id: str
    started_at: float
    harness_version: str
    lab_seed: int | None


@dataclass(frozen=True, slots=True)
class Finish:
    finished_at: float


Line = Header | tuple[Selected, ...] | Result | Finish


def encode(line: Mapping[str, object]) -> bytes:
    """One whole line: json.dumps escapes newlines inside strings, so the only one is the last."""
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def header_line(header: Header) -> dict[str, object]:
    return {"type": "run", "schema": SCHEMA, "run_id": header.run_id, "started_at": header.started_at,
            "harness_version": header.harness_version, "lab_seed": header.lab_seed}


def selected_line(tests: Iterable[Selected]) -> dict[str, object]:
    return {"type": "selected",
            "tests": [{"nodeid": t.nodeid, "scenario": t.scenario, "device": t.device} for t in tests]}


def finish_line(finished_at: float) -> dict[str, object]:
    return {"type": "finish", "finished_at": finished_at}


def result_line(r: Result) -> dict[str, object]:
    return {"type": "result", "nodeid": r.nodeid, "scenario": r.scenario, "device": r.device,
            "outcome": r.outcome, "device_props": r.device_props, "duration_s": r.duration_s,
            "started_at": r.started_at, "ended_at": r.ended_at, "message": r.message,
            "explanation": r.explanation, "killer": r.killer, "artifacts": r.artifacts,
            "timeline": [_item_json(i) for i in r.timeline], "device_s": r.device_s,
            "plan_device_s": r.plan_device_s, "tier": r.tier, "verdict": r.verdict, "evidence": list(r.evidence),
            "window": list(r.window) if r.window is not None else None}


def _item_json(item: TimelineItem) -> dict[str, object]:
    out: dict[str, object] = {"time": item.time, "kind": item.kind, "label": item.label}
    for key, value in (("state", item.state), ("subject", item.subject), ("killer", item.killer)):
        if value is not None:
            out[key] = value
    return out


def decode(text: str) -> Line | None:
    """A parsed line; None for a type this version does not know (written by a newer harness)."""
    obj = json.loads(text)
    if not isinstance(obj, dict):
        raise ValueError("a results.jsonl line is not a JSON object")
    kind = obj.get("type")
    if kind == "run":
        return Header(_str(obj, "run_id"), _num(obj, "started_at"), _str(obj, "harness_version"),
                      _opt_int(obj, "lab_seed"))
    if kind == "selected":
        return tuple(_selected(t) for t in _list(obj, "tests"))
    if kind == "result":
        return _result(obj)
    if kind == "finish":
        return Finish(_num(obj, "finished_at"))
    return None


def _selected(obj: object) -> Selected:
    if isinstance(obj, str):  # a bare node id is a valid selection too
        return Selected.of(obj)
    d = _dict(obj)
    return Selected(_str(d, "nodeid"), _str(d, "scenario"), _opt_str(d, "device"))


def _result(d: dict[str, object]) -> Result:
    outcome = _str(d, "outcome")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    return Result(
        nodeid=_str(d, "nodeid"), scenario=_str(d, "scenario"), device=_str(d, "device"),
        outcome=cast(Outcome, outcome), device_props=_str_dict(d, "device_props"),
        duration_s=_num(d, "duration_s"), started_at=_num(d, "started_at"), ended_at=_num(d, "ended_at"),
        message=_str(d, "message"), explanation=_str(d, "explanation"), killer=_opt_str(d, "killer"),
        artifacts=_str_dict(d, "artifacts"), timeline=tuple(_item(i) for i in _list(d, "timeline")),
        device_s=_opt_num(d, "device_s"), plan_device_s=_opt_num(d, "plan_device_s"), tier=_opt_str(d, "tier"),
        verdict=_opt_str(d, "verdict") or "", evidence=tuple(str(e) for e in _list(d, "evidence")),
        window=_window(d))


def _window(d: dict[str, object]) -> tuple[float, float] | None:
    value = d.get("window")
    if value is None:
        return None
    pair = _list(d, "window")
    if len(pair) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair):
        raise ValueError("window: expected [start, end]")
    return float(pair[0]), float(pair[1])  # type: ignore[arg-type]


def _item(obj: object) -> TimelineItem:
    d = _dict(obj)
    kind = _str(d, "kind")
    if kind not in KINDS:
        raise ValueError(f"unknown timeline kind {kind!r}")
    return TimelineItem(_num(d, "time"), cast(EventKind, kind), _str(d, "label"), _opt_str(d, "state"),
                        _opt_str(d, "subject"), _opt_str(d, "killer"))


def _dict(obj: object) -> dict[str, object]:
    if not isinstance(obj, dict):
        raise ValueError(f"expected an object, got {type(obj).__name__}")
    return cast(dict[str, object], obj)


def _list(d: dict[str, object], key: str) -> list[object]:
    value = d.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key}: expected a list")
    return cast(list[object], value)


def _str(d: dict[str, object], key: str) -> str:
    value = d.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string")
    return value


def _opt_str(d: dict[str, object], key: str) -> str | None:
    value = d.get(key)
    return None if value is None else _str(d, key)


def _num(d: dict[str, object], key: str) -> float:
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key}: expected a number")
    return float(value)


def _opt_num(d: dict[str, object], key: str) -> float | None:
    return None if d.get(key) is None else _num(d, key)


def _opt_int(d: dict[str, object], key: str) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key}: expected an integer")
    return value


def _str_dict(d: dict[str, object], key: str) -> dict[str, str]:
    value = _dict(d.get(key, {}))
    return {str(k): str(v) for k, v in value.items() if v is not None}
