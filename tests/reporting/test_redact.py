"""Secrets never reach a report: each shape of secret, the configured ones, and RunWriter applying both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.config import load_config
from harness.reporting import Redactor, Result, RunWriter, config_secrets, load_run, redact
from tests.labkit import ROOT

FCM = "UQiPXhYacgXJKzD2_V-t1g:APA91bM_S2ZR7OeBOM8QuhWSxo9gFCr8W3rAJgUksEYfSn6RLz_8df89yMO5LXRQdoGcfzWNPk"
JWT = "eyJhbGciOiJFUzI1NiIsImtpZCI6IkxBQktFWTAwMDEifQ.eyJpc3MiOiJMQUJURUFNMDAxIiwiaWF0IjoxfQ.MEUCIQDx3fQ_sig-part"
PEM = "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg\n-----END PRIVATE KEY-----"


@pytest.mark.parametrize(("text", "secret"), [
    (f"send to {FCM} failed", FCM),
    (f"authorization: bearer {JWT}", JWT),
    (f"jwt {JWT}", JWT),
    (f"key file:\n{PEM}\n", "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg"),
    ('{"type": "service_account", "private_key_id": "9f8e7d6c5b4a39281706f5e4d3c2b1a0"}',
     "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    ("Authorization: Bearer ya29.a0AfH6SMBx-lab-access-token-0001", "ya29.a0AfH6SMBx-lab-access-token-0001"),
    # the case-blind shapes, in a case their literal pre-check must still see
    ("AUTHORIZATION: KEY=AAAAlab-legacy-server-key", "AAAAlab-legacy-server-key"),
    ("sent with BeArEr s3cr3t.lab.opaque-token_01", "s3cr3t.lab.opaque-token_01"),
])
def test_every_shape_of_secret_is_redacted(text: str, secret: str) -> None:
    clean = redact(text)
    assert secret not in clean and "redacted" in clean


def test_ordinary_text_is_left_alone() -> None:
    text = "task 'sync-orders' did not fire within 30m; job 7 waits on CONNECTIVITY (L42: JobScheduler ...)"
    assert redact(text) == text


def test_configured_apns_tokens_and_key_lines_are_redacted(tmp_path: Path) -> None:
    cfg = load_config(ROOT / "devices.toml")
    apns = next(d.push_token for d in cfg.devices if d.platform == "ios" and d.push_token)
    assert apns is not None and redact(f"token {apns}") == f"token {apns}"  # 64 hex digits: no shape to catch
    secrets = config_secrets(cfg)
    assert apns in secrets and all(d.push_token in secrets for d in cfg.devices if d.push_token)
    assert apns not in Redactor(secrets).text(f"token {apns}")


def test_the_writer_redacts_results_and_artifacts(tmp_path: Path) -> None:
    apns = "135602f2fec27978cf797eaa5f09bab1170bfb922db844df3251dd51eccef960"
    writer = RunWriter(tmp_path, "20261207-120000-abcdef", redactor=Redactor((apns,)))
    folder = writer.artifact_dir("t.py::test_x[iphone-12]")
    (folder / "syslog.txt").write_text(f"app registered for pushes: {apns}\nsend {FCM}\n")
    writer.add(Result("t.py::test_x[iphone-12]", "test_x", "iphone-12", "failed",
                      message=f"AssertionError: App(device=DeviceConfig(push_token='{apns}')) {JWT}",
                      explanation=f"token {FCM}",
                      artifacts={"syslog.txt": str((folder / "syslog.txt").relative_to(writer.run_dir))}))
    writer.finish()
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".txt", ".jsonl", ".html", ".xml", ".json"):
            text = path.read_text(errors="replace")
            for secret in (apns, FCM, JWT):
                assert secret not in text, path
    result = load_run(writer.run_dir).results[0]
    assert "[redacted]" in result.message and json.dumps(result.explanation)
