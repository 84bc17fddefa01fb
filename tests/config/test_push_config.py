"""[push], [collector], [lab] push_port and per-device push tokens in devices.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import CollectorConfig, load_config
from harness.errors import ConfigError

BASE = """
[lab]
push_port = 2300
[app]
android_package = "com.example.app"
ios_bundle_id = "com.example.app"
[[device]]
name = "p8"
platform = "android"
oem = "google"
model = "Pixel 8"
os_version = "15"
serial = "ABC123"
push_token = "tok-1"
[push]
apns_key_path = "keys/AuthKey_ABCDE12345.p8"
apns_key_id = "ABCDE12345"
apns_team_id = "TEAM123456"
apns_environment = "production"
fcm_service_account_env = "FCM_SA_JSON"
fcm_project_id = "courier-prod"
timeout_s = 5
[collector]
port = 9000
device_port = 8765
ios_url = "http://192.168.1.20:9000"
"""


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "devices.toml"
    path.write_text(text)
    return load_config(path), path


def test_push_collector_and_tokens_parse(tmp_path: Path) -> None:
    cfg, _path = _load(tmp_path, BASE)
    push = cfg.push
    assert push is not None
    assert push.apns_key_path == str(tmp_path / "keys/AuthKey_ABCDE12345.p8")  # relative to devices.toml
    assert (push.apns_key_id, push.apns_team_id, push.apns_environment) == ("ABCDE12345", "TEAM123456", "production")
    assert push.apns_base_url == "https://api.push.apple.com"
    assert push.fcm_base_url == "https://fcm.googleapis.com"
    assert (push.fcm_service_account_env, push.fcm_project_id, push.timeout_s) == ("FCM_SA_JSON", "courier-prod", 5.0)
    assert push.has_apns and push.has_fcm
    assert cfg.collector == CollectorConfig(port=9000, device_port=8765, ios_url="http://192.168.1.20:9000")
    assert cfg.lab.push_port == 2300
    assert cfg.device("p8").push_token == "tok-1"


def test_defaults_without_the_tables(tmp_path: Path) -> None:
    text = BASE[: BASE.index("[push]")].replace("push_port = 2300\n", "")
    cfg, _ = _load(tmp_path, text)
    assert cfg.push is None
    assert cfg.collector == CollectorConfig()
    assert (cfg.collector.host, cfg.collector.port, cfg.lab.push_port) == ("127.0.0.1", 0, 2197)


def test_sandbox_is_the_default_environment(tmp_path: Path) -> None:
    cfg, _ = _load(tmp_path, BASE.replace('apns_environment = "production"\n', ""))
    assert cfg.push is not None and cfg.push.apns_base_url == "https://api.sandbox.push.apple.com"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('apns_environment = "production"', 'apns_environment = "staging"'),
         "[push]: unknown apns_environment 'staging'"),
        (lambda t: t.replace('apns_key_id = "ABCDE12345"', 'apns_key_id = "ABC"'),
         "[push]: key 'apns_key_id' must be 10 letters or digits"),
        (lambda t: t.replace('apns_team_id = "TEAM123456"\n', ""), "[push]: missing key 'apns_team_id'"),
        (lambda t: t.replace("timeout_s = 5", "timeout_s = 0"), "[push]: timeout_s must be positive"),
        (lambda t: t.replace("timeout_s = 5", 'timeout_s = "5"'), "[push]: key 'timeout_s' must be a float"),
        (lambda t: t.replace('fcm_project_id = "courier-prod"', 'fcm_url = "fcm.googleapis.com"'),
         "[push]: key 'fcm_url' must be an http:// or https:// URL"),
        (lambda t: t.replace('fcm_service_account_env = "FCM_SA_JSON"',
                             'fcm_service_account_env = "X"\nfcm_service_account_path = "sa.json"'),
         "both 'fcm_service_account_path' and 'fcm_service_account_env' are set"),
        (lambda t: t.replace("timeout_s = 5", "apns_key = \"-----BEGIN\""), "[push]: unknown key 'apns_key'"),
        (lambda t: t.replace("device_port = 8765", "device_port = 0"), "[collector]: device_port must not be 0"),
        (lambda t: t.replace("port = 9000", "port = 70000"), "[collector]: key 'port' must be a TCP port"),
        (lambda t: t.replace('ios_url = "http://192.168.1.20:9000"', 'ios_url = "192.168.1.20"'),
         "[collector]: key 'ios_url' must be an http:// or https:// URL"),
        (lambda t: t.replace("push_port = 2300", 'push_port = "x"'), "[lab]: key 'push_port' must be an integer"),
        (lambda t: t.replace('push_token = "tok-1"', "push_token = 1"), "device 'p8': key 'push_token' must be a str"),
    ],
)
def test_bad_push_config_names_file_table_and_key(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "devices.toml"
    path.write_text(edit(BASE))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)
