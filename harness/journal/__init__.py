"""The restore journal: every change a driver makes to a phone, written to disk before it is made.

Each state-changing verb (battery, screen, Doze, app ops, standby bucket, device_config, hub port power,
location mocks, ``adb reverse``) first records *how to undo it* as data (``Undo``) in the device's
journal, ``<state_dir>/journal/<device>.jsonl``, then acts. The driver's ``restore()`` replays the journal
at teardown; if the run died before its teardown (SIGKILL, OOM, a lost host), the next lease of the phone
replays it (``harness.journal.replay.restore_device``), and ``harness restore`` does it by hand. See
docs/restore.md.

This package is the file and its rules only; ``harness.journal.replay`` builds the drivers that act.
"""

from __future__ import annotations

from pathlib import Path

from harness.config import Config
from harness.journal._journal import Entry, Journal, Replay, journal_path
from harness.journal._undo import KINDS, Undo, UndoKind
from harness.labctl import state_dir

__all__ = ["KINDS", "Entry", "Journal", "Replay", "Undo", "UndoKind", "journal_dir", "journal_for", "journal_path"]


def journal_dir(cfg: Config) -> Path:
    return state_dir(cfg) / "journal"


def journal_for(cfg: Config, device: str) -> Journal:
    """The on-disk journal of ``device`` under the config's state directory."""
    return Journal(device, journal_path(journal_dir(cfg).parent, device))
