"""known_kill is strict: once the OEM stops killing (Autostart and "No restrictions" set from the shell,
as a lab technician would), the expected-kill cell becomes a failure."""

from __future__ import annotations

import re

import pytest

from tests.labkit import ROOT
from tests.plugin.test_plugin_lab_run import private_config

pytest_plugins = ["pytester"]

EXEMPT_FROM_THE_SHELL = '''
import pytest

PKG = "com.example.courier"


@pytest.fixture(autouse=True)
def miui_exempts_the_app(android):
    android.transport.shell(f"settings put secure lab.miui.autostart.{PKG} 1")
    android.transport.shell(f"settings put secure lab.miui.battery_saver.{PKG} no_restrictions")
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    config = re.sub(r"(?m)^clock_rate = \d+", "clock_rate = 600", private_config(pytester.path), count=1)  # [lab]
    (pytester.path / "devices.toml").write_text(config)
    (pytester.path / "scenarios").mkdir()
    scenario = (ROOT / "scenarios" / "test_periodic_sync.py").read_text()
    (pytester.path / "scenarios" / "test_periodic_sync.py").write_text(scenario)
    return pytester


def run(project: pytest.Pytester) -> pytest.RunResult:
    return project.runpytest_subprocess("scenarios", "--device", "xiaomi-13", "-k", "task_fires_in_background",
                                        "-p", "no:cacheprovider", "-rxXf",
                                        timeout=240)


def test_the_xiaomi_kill_is_an_expected_kill_attributed_to_miui(project: pytest.Pytester) -> None:
    result = run(project)
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["*XFAIL*test_periodic_task_fires_in_background[[]xiaomi-13[]]*expected kill by miui*"])


def test_with_autostart_set_from_the_shell_the_cell_fails_strictly(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "conftest.py").write_text(EXEMPT_FROM_THE_SHELL)
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*known_kill is strict*expected to be killed by miui*the task survived*"])
