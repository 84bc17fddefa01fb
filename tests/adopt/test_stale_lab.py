"""A lab that models an older [app] than devices.toml (it reads [app] only at start) stops the run, saying so."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import load_config
from harness.errors import LabError
from harness.labctl import lab_state, spawn_lab, stop_lab
from harness.plugin._lab import ensure_lab
from tests.repro.project import make_project


def test_a_lab_started_with_another_app_is_named_with_the_restart(tmp_path: Path) -> None:
    project = make_project(tmp_path, ("pixel-8",), ())
    cfg = load_config(project / "devices.toml")
    spawn_lab(cfg)
    try:
        state = lab_state(cfg)
        assert state is not None and state.get("app_fingerprint")
        ensure_lab(cfg, "run-1", allowed=True)  # the same [app]: the running lab is used

        toml = project / "devices.toml"
        toml.write_text(toml.read_text().replace('[[app.task]]\nname = "depot-geofence"',
                                                 '[[app.task]]\nname = "new-task"\nkind = "push"\n\n'
                                                 '[[app.task]]\nname = "depot-geofence"'))
        changed = load_config(toml)
        assert [t.name for t in changed.app.tasks if t.name == "new-task"]
        with pytest.raises(LabError) as err:
            ensure_lab(changed, "run-2", allowed=True)
        assert "started with another [app]" in str(err.value) and "harness lab down" in str(err.value)
    finally:
        stop_lab(cfg)
