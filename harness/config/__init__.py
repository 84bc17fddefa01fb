"""``devices.toml``: the device pool, the app under test and the lab, parsed once into frozen objects."""

from harness.config._load import load_config
from harness.config._model import AppConfig, Config, DeviceConfig, LabConfig, TaskConfig
from harness.config._push import CollectorConfig, PushConfig

__all__ = ["AppConfig", "CollectorConfig", "Config", "DeviceConfig", "LabConfig", "PushConfig", "TaskConfig",
           "load_config"]
