"""The plugin as pytest users meet it: options, markers, parametrization and skips (pytester)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]

SCENARIO = """
import pytest

def test_any(device):
    pass

@pytest.mark.oem("xiaomi", "samsung")
def test_oem_only(device):
    pass

@pytest.mark.platform("ios")
def test_ios_only(device):
    pass

def test_android_fixture(android):
    pass

@pytest.mark.oem("nokia")
def test_no_match(device):
    pass

def test_plain():
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_scenarios=SCENARIO)
    (pytester.path / "devices.toml").write_text((ROOT / "devices.toml").read_text())
    return pytester


def collected(result: pytest.RunResult) -> list[str]:
    return [line.strip() for line in result.outlines if "::" in line]


def test_device_is_parametrized_over_matching_devices(project: pytest.Pytester) -> None:
    result = project.runpytest("--co", "-q")
    ids = collected(result)
    assert "test_scenarios.py::test_any[pixel-8]" in ids
    assert "test_scenarios.py::test_any[iphone-15]" in ids
    # which phones, not in which order: the plugin hands phones out heaviest first (harness.plan)
    assert {i for i in ids if "test_oem_only" in i} == {"test_scenarios.py::test_oem_only[xiaomi-13]",
                                                        "test_scenarios.py::test_oem_only[samsung-s23]"}
    assert {i for i in ids if "test_ios_only" in i} == {"test_scenarios.py::test_ios_only[iphone-12]",
                                                        "test_scenarios.py::test_ios_only[iphone-15]"}
    assert len([i for i in ids if "test_android_fixture" in i]) == 5  # android implies platform android (5 phones)
    assert "test_scenarios.py::test_plain" in ids


def test_options_filter_devices(project: pytest.Pytester) -> None:
    ids = collected(project.runpytest("--co", "-q", "--oem", "google", "--oem", "apple"))
    assert {i for i in ids if "test_any" in i} == {"test_scenarios.py::test_any[pixel-8]",
                                                   "test_scenarios.py::test_any[iphone-12]",
                                                   "test_scenarios.py::test_any[iphone-15]"}
    ids = collected(project.runpytest("--co", "-q", "--device", "oppo-find-x6"))
    assert [i for i in ids if "test_any" in i] == ["test_scenarios.py::test_any[oppo-find-x6]"]


def test_a_test_matching_no_device_is_skipped_with_the_reason(project: pytest.Pytester) -> None:
    result = project.runpytest("-rs", "-k", "no_match", "-p", "no:randomly")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no device in devices.toml matches this test (oem=nokia)*"])


def test_unknown_device_option_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--co", "-q", "--device", "nokia-3310")
    assert result.ret != 0
    result.stdout.no_fnmatch_line("*test_any[[]nokia*")
    assert "nokia-3310" in "\n".join(result.outlines + result.errlines)


def test_markers_are_registered(project: pytest.Pytester) -> None:
    result = project.runpytest("--markers")
    result.stdout.fnmatch_lines(["*platform(*names)*", "*known_kill(oem, reason)*"])


def test_cells_are_grouped_by_phone_heaviest_phone_first(project: pytest.Pytester) -> None:
    """xdist hands out phones in collection order: the phone with the most planned time comes first, and a phone's
    cells stay together in the order the file has them."""
    ids = [i for i in collected(project.runpytest("--co", "-q")) if "[" in i and "[no-device]" not in i]
    phones = [i.rsplit("[", 1)[1].rstrip("]") for i in ids]
    groups = [p for n, p in enumerate(phones) if n == 0 or phones[n - 1] != p]
    assert len(groups) == len(set(groups)), f"a phone's cells are split: {groups}"
    assert groups[0] in ("xiaomi-13", "samsung-s23")  # the two phones with the extra test_oem_only cell
