"""The restore journal's own rules, on real files and real processes: first change wins, undo newest first, a
failed undo is kept and reported, an entry is on disk (fsynced) before the change, and processes never
interleave lines."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from harness.errors import CommandFailed, HarnessError
from harness.journal import Journal, Undo, journal_path


def _journal(tmp_path: Path, device: str = "pixel-8") -> Journal:
    return Journal.on_disk(tmp_path, device)


class Phone:
    """Carries out undos by remembering them, failing those it is told to fail."""

    def __init__(self, failing: tuple[str, ...] = ()) -> None:
        self.done: list[str] = []
        self.failing = set(failing)

    def __call__(self, undo: Undo) -> None:
        text = undo.describe()
        if text in self.failing:
            raise CommandFailed("pixel-8", text, "exit 255: Error: No UID for com.x in user 0")
        self.done.append(text)


@pytest.mark.parametrize("memory", [False, True], ids=["on-disk", "in-memory"])
def test_the_first_change_of_a_key_keeps_the_undo_to_the_original_state(tmp_path: Path, memory: bool) -> None:
    journal = Journal.in_memory("pixel-8") if memory else _journal(tmp_path)
    first = journal.record("bucket com.x", Undo.shell("am set-standby-bucket com.x active"))
    second = journal.record("bucket com.x", Undo.shell("am set-standby-bucket com.x rare"))
    assert second == first
    assert [e.undo.describe() for e in journal.pending()] == ["am set-standby-bucket com.x active"]


@pytest.mark.parametrize("memory", [False, True], ids=["on-disk", "in-memory"])
def test_undo_runs_newest_first_and_leaves_nothing_behind(tmp_path: Path, memory: bool) -> None:
    journal = Journal.in_memory("pixel-8") if memory else _journal(tmp_path)
    journal.record("appops com.x RUN_ANY_IN_BACKGROUND", Undo.shell("cmd appops set com.x RUN_ANY_IN_BACKGROUND allow"))
    journal.record("battery", Undo.shell("dumpsys battery reset"))
    journal.record("adb reverse tcp:8181", Undo.adb_reverse(8181))
    phone = Phone()
    result = journal.replay(phone)
    assert phone.done == ["adb reverse --remove tcp:8181", "dumpsys battery reset",
                          "cmd appops set com.x RUN_ANY_IN_BACKGROUND allow"]
    assert [e.key for e in result.undone] == ["adb reverse tcp:8181", "battery", "appops com.x RUN_ANY_IN_BACKGROUND"]
    assert result.problems == []
    assert journal.pending() == []
    if not memory:
        assert not journal_path(tmp_path, "pixel-8").exists(), "a clean phone has no journal file"
    journal.record("battery", Undo.shell("dumpsys battery reset --again"))  # a new change after the undo is new
    assert [e.undo.describe() for e in journal.pending()] == ["dumpsys battery reset --again"]


def test_a_failed_undo_is_kept_reported_and_tried_again(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.record("appops com.x RUN_ANY_IN_BACKGROUND", Undo.shell("cmd appops set com.x RUN_ANY_IN_BACKGROUND allow"))
    journal.record("battery", Undo.shell("dumpsys battery reset"))
    result = journal.replay(Phone(failing=("cmd appops set com.x RUN_ANY_IN_BACKGROUND allow",)))
    assert [e.key for e in result.undone] == ["battery"]
    assert len(result.problems) == 1
    assert result.problems[0].startswith("appops com.x RUN_ANY_IN_BACKGROUND: [pixel-8]")
    assert "No UID for com.x" in result.problems[0]

    again = _journal(tmp_path)  # another process reads the same file
    [left] = again.pending()
    assert left.key == "appops com.x RUN_ANY_IN_BACKGROUND"
    assert left.error is not None and "No UID" in left.error
    phone = Phone()
    assert again.replay(phone).problems == []
    assert phone.done == ["cmd appops set com.x RUN_ANY_IN_BACKGROUND allow"]
    assert again.pending() == []


def test_forget_marks_a_change_the_test_put_back_itself(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.record("hub port", Undo.hub_port("127.0.0.1:43424", "LAB0001:3", "s"))
    journal.record("location simulation", Undo.location())
    journal.forget("hub port")
    assert [e.key for e in journal.pending()] == ["location simulation"]


def test_each_entry_is_one_json_line_with_who_made_it(tmp_path: Path) -> None:
    journal = _journal(tmp_path, "iphone/15 pro")
    journal.record("hub port", Undo.hub_port("127.0.0.1:43424", "LAB0001:3", "s"))
    path = journal_path(tmp_path, "iphone/15 pro")
    assert path.name == "iphone%2F15%20pro.jsonl"
    [line] = [json.loads(raw) for raw in path.read_text().splitlines()]
    assert line["op"] == "change" and line["key"] == "hub port"
    assert line["undo"] == {"kind": "hub-port", "args": {"hub": "127.0.0.1:43424", "port": "LAB0001:3", "mode": "s"},
                            "check": True}
    assert line["by"].endswith(f":{os.getpid()}")


def test_a_line_torn_by_a_crash_is_skipped_and_the_next_entry_starts_on_its_own_line(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.record("battery", Undo.shell("dumpsys battery reset"))
    path = journal_path(tmp_path, "pixel-8")
    with path.open("a") as f:
        f.write('{"op": "change", "id": "torn", "key": "screen", "und')  # the process died mid-write
    journal.record("doze", Undo.shell("dumpsys deviceidle unforce"))
    assert [e.key for e in journal.pending()] == ["doze", "battery"]


def _record_then_die(state_dir: str, ready: str) -> None:
    journal = Journal.on_disk(Path(state_dir), "pixel-8")
    journal.record("appops com.x RUN_ANY_IN_BACKGROUND", Undo.shell("cmd appops set com.x RUN_ANY_IN_BACKGROUND allow"))
    Path(ready).write_text("recorded")
    os.kill(os.getpid(), signal.SIGKILL)  # killed between the journal and the change, as a SIGKILLed run is


def test_an_entry_survives_the_process_that_wrote_it_being_killed(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_record_then_die, args=(str(tmp_path), str(tmp_path / "ready")))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    [entry] = _journal(tmp_path).pending()
    assert entry.key == "appops com.x RUN_ANY_IN_BACKGROUND"
    assert entry.by.endswith(f":{child.pid}")


def _record_many(state_dir: str, prefix: str, count: int) -> None:
    journal = Journal.on_disk(Path(state_dir), "pixel-8")
    for i in range(count):
        journal.record(f"{prefix} {i}", Undo.shell(f"echo {prefix} {i}"))
        journal.record(f"shared {i}", Undo.shell(f"echo {prefix} wrote shared {i}"))


def test_processes_writing_one_journal_never_interleave_or_duplicate_a_key(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    children = [ctx.Process(target=_record_many, args=(str(tmp_path), name, 40)) for name in ("a", "b")]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
        assert child.exitcode == 0
    lines = journal_path(tmp_path, "pixel-8").read_text().splitlines()
    assert all(json.loads(line)["op"] == "change" for line in lines)  # every line whole
    keys = [e.key for e in _journal(tmp_path).pending()]
    assert len(keys) == len(set(keys)) == 120  # a 0..39, b 0..39, and each shared key once (the first writer's)


def test_an_undo_that_names_another_platform_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.record("location simulation", Undo.location())

    def android(undo: Undo) -> None:
        raise HarnessError(f"a {undo.kind} entry is not for an Android phone")

    assert journal.replay(android).problems == ["location simulation: a location entry is not for an Android phone"]
    assert len(journal.pending()) == 1


@pytest.mark.parametrize("data", [None, {"kind": "reboot"}, {"kind": "shell", "args": {"command": 3}}])
def test_an_undo_that_is_not_understood_is_refused(data: object) -> None:
    with pytest.raises(ValueError):
        Undo.from_json(data)


def test_an_entry_missing_an_argument_is_reported_and_kept(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.record("adb reverse", Undo("adb-reverse", {}))

    def android(undo: Undo) -> None:
        int(undo.arg("device_port"))

    [problem] = journal.replay(android).problems
    assert problem == "adb reverse: an undo of kind adb-reverse needs 'device_port', this one has []"
    assert [e.undo.describe() for e in journal.pending()] == ["adb reverse --remove tcp:?"]
