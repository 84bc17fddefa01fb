"""``[farm]`` in devices.toml and HARNESS_FARM_URL: which wins, what is refused, what is never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import load_config
from harness.config._farm import farm_url, redact_url
from harness.errors import ConfigError
from tests.pool.conftest import ROOT


def _config(tmp_path: Path, farm: str) -> Path:
    path = tmp_path / "devices.toml"
    path.write_text(farm + "\n" + (ROOT / "devices.toml").read_text())  # first: a bare key after a table is in it
    return path


def test_the_environment_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(_config(tmp_path, '[farm]\nurl = "postgresql://harness@db-a/farm"\nquarantine_s = 600\n'))
    monkeypatch.delenv("HARNESS_FARM_URL", raising=False)
    assert (farm_url(cfg), cfg.farm.quarantine_s) == ("postgresql://harness@db-a/farm", 600.0)
    monkeypatch.setenv("HARNESS_FARM_URL", "postgresql://harness@db-b/farm")
    assert farm_url(cfg) == "postgresql://harness@db-b/farm"
    monkeypatch.setenv("HARNESS_FARM_URL", "")
    assert farm_url(load_config(ROOT / "devices.toml")) is None  # no farm: the embedded stores


@pytest.mark.parametrize(("farm", "said"), [
    ('[farm]\nurl = "mysql://u:secret@db/x"\n', "must start with postgresql://"),
    ('[farm]\nurl = 5\n', "key 'url' has the wrong type"),
    ('[farm]\nquarantine_s = -1\n', "quarantine_s must be positive"),
    ('[farm]\nhost = "db"\n', "unknown key 'host'"),
    ('farm = "postgresql://db"\n', "[farm]: must be a table"),
])
def test_a_bad_farm_table_is_one_clear_error(tmp_path: Path, farm: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, farm))
    assert said in str(caught.value) and "secret" not in str(caught.value)


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://harness:s3cret@db.lab:5432/farm", "postgresql://harness:***@db.lab:5432/farm"),
    ("postgresql://harness@db.lab/farm", "postgresql://harness@db.lab/farm"),
    ("postgresql://:only-pw@db.lab/farm", "postgresql://:***@db.lab/farm"),
])
def test_passwords_are_never_shown(url: str, shown: str) -> None:
    assert redact_url(url) == shown
