"""Selection: filters narrow (AND), repeated values of one filter widen (OR)."""

from __future__ import annotations

import pytest

from harness.config import AppConfig, Config, DeviceConfig, LabConfig
from harness.errors import ConfigError
from harness.pool import select

CFG = Config(
    path="devices.toml",
    devices=(
        DeviceConfig("pixel-8", "android", "google", "Pixel 8", "14", tags=("doze", "sim")),
        DeviceConfig("redmi-12", "android", "xiaomi", "Redmi 12", "13", tags=("oem-killer",)),
        DeviceConfig("reno-10", "android", "oppo", "Reno 10", "13", tags=("oem-killer", "sim")),
        DeviceConfig("iphone-15", "ios", "apple", "iPhone 15", "17.5", tags=("sim",)),
    ),
    app=AppConfig(name="Courier"),
    lab=LabConfig(),
)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["pixel-8", "redmi-12", "reno-10", "iphone-15"]),
        ({"platform": "android"}, ["pixel-8", "redmi-12", "reno-10"]),
        ({"platform": "IOS"}, ["iphone-15"]),
        ({"oem": ["xiaomi", "oppo"]}, ["redmi-12", "reno-10"]),
        ({"oem": "xiaomi", "platform": "android"}, ["redmi-12"]),
        ({"oem": "apple", "platform": "android"}, []),
        ({"device": ["iphone-15", "pixel-8"]}, ["pixel-8", "iphone-15"]),
        ({"device": "pixel-8", "tags": ["oem-killer"]}, []),
        ({"tags": ["doze", "oem-killer"]}, ["pixel-8", "redmi-12", "reno-10"]),
        ({"tags": ["sim"], "platform": "android"}, ["pixel-8", "reno-10"]),
        ({"tags": ("sim",), "oem": ["oppo", "apple"], "platform": ["ios"]}, ["iphone-15"]),
    ],
)
def test_filters(filters: dict[str, object], expected: list[str]) -> None:
    assert [d.name for d in select(CFG, **filters)] == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        ({"device": ["pixel-8", "pixel-9"]}, "'pixel-9'"),
        ({"platform": "windows"}, "'windows'"),
        ({"oem": "nokla"}, "'nokla'"),
    ],
)
def test_unknown_values_are_config_errors_naming_what_exists(filters: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        select(CFG, **filters)  # type: ignore[arg-type]
    assert named in str(caught.value) and "known:" in str(caught.value)
