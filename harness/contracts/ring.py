"""The probe's ring-buffer file (docs/probe-line.md): its last events, one JSON object per line.

Each entry holds the probe line's keys plus ``event`` and ``time`` (ms since 1970), in the order the probe writes
them (``probe/src/ring.ts``); the ring keeps the newest ``RING_SIZE`` and the run counter is derived from it, so
it survives process death. The harness pulls it with ``run-as <pkg> cat files/bgprobe.jsonl`` on Android and
through house_arrest on iOS; the lab's app writes it in the same place.
"""

from __future__ import annotations

import json
from typing import Literal

__all__ = ["RING_BUFFER_FILE", "RING_SIZE", "parse_ring", "ring_line", "ring_path"]

RING_BUFFER_FILE = "bgprobe.jsonl"
RING_SIZE = 200  # probe/src/ring.ts DEFAULT_RING_SIZE
# Where the file is: the app's files dir (Context.getFilesDir()) on Android, its Documents on iOS (expo-file-system
# Paths.document is the one directory on both); relative to the app's data directory / data container.
_DIRECTORY = {"android": "files", "ios": "Documents"}


def ring_path(platform: Literal["android", "ios"]) -> str:
    """The ring buffer's path inside the app's data directory (Android) or data container (iOS)."""
    return f"{_DIRECTORY[platform]}/{RING_BUFFER_FILE}"


def ring_line(entry: dict[str, object]) -> str:
    """One entry as the probe writes it: compact JSON (``JSON.stringify``), without its newline."""
    return json.dumps(entry, separators=(",", ":"), ensure_ascii=False)


def parse_ring(data: bytes | str) -> list[dict[str, object]]:
    """The entries of a ring file, oldest first; lines that are not JSON objects are skipped, as the probe does."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    out: list[dict[str, object]] = []
    for line in text.split("\n"):
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out
