"""Roles in [[app.task]]: parsed, checked against the task's kind, one task per role; a role no task plays
skips its scenarios with a reason that names the key to add."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import Config, load_config
from harness.config._roles import ROLES, app_fingerprint, unmapped_reason
from harness.errors import ConfigError
from tests.labkit import ROOT

APP = '''[app]
name = "X"
android_package = "org.x"
'''


def _load(tmp_path: Path, tasks: str) -> Config:
    path = tmp_path / "devices.toml"
    path.write_text(APP + tasks)
    return load_config(path)


def test_the_shipped_file_maps_every_role_to_the_demo_apps_tasks() -> None:
    app = load_config(ROOT / "devices.toml").app
    assert {role: app.role_name(role) for role in ROLES} == {
        "periodic": "sync-orders", "fetch": "refresh-feed", "overnight": "nightly-upload", "push": "on-push",
        "location": "courier-location", "geofence": "depot-geofence"}


@pytest.mark.parametrize(("tasks", "message"), [
    ('[[app.task]]\nname = "a"\nkind = "push"\nrole = "pushy"\n',
     "[[app.task]] 'a': unknown role 'pushy'"),
    ('[[app.task]]\nname = "a"\nkind = "push"\nrole = "periodic"\n',
     "[[app.task]] 'a': role 'periodic' needs kind 'background-task' or 'job', not 'push'"),
    ('[[app.task]]\nname = "a"\nkind = "push"\nrole = "push"\n[[app.task]]\nname = "b"\nkind = "push"\nrole = "push"\n',
     "[[app.task]] 'b': role 'push' is already played by task 'a'"),
    ('[[app.task]]\nname = "a"\nkind = "push"\nrole = 3\n', "key 'role' must be a string, got 3"),
])
def test_a_bad_role_is_one_clear_error(tmp_path: Path, tasks: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, tasks)
    assert message in str(err.value)
    assert "\n" not in str(err.value).strip()


def test_an_unmapped_role_says_which_task_could_play_it(tmp_path: Path) -> None:
    cfg = _load(tmp_path, '[[app.task]]\nname = "inbox"\nkind = "background-task"\n')
    app = cfg.app
    assert app.role_name("periodic") == ""
    assert "task 'inbox' has kind 'background-task': add role = \"periodic\" to it" in unmapped_reason(app, "periodic")
    assert 'add role = "geofence" to the [[app.task]] of kind geofence' in unmapped_reason(app, "geofence")
    with pytest.raises(KeyError, match="unknown role 'bogus'"):
        unmapped_reason(app, "bogus")


def test_the_fingerprint_changes_with_any_task(tmp_path: Path) -> None:
    one = _load(tmp_path, '[[app.task]]\nname = "a"\nkind = "push"\n').app
    two = _load(tmp_path, '[[app.task]]\nname = "a"\nkind = "push"\nduration_s = 3\n').app
    assert app_fingerprint(one) != app_fingerprint(two)
    again = _load(tmp_path, '[[app.task]]\nname = "a"\nkind = "push"\n').app
    assert app_fingerprint(one) == app_fingerprint(again)
