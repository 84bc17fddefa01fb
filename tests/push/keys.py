"""Test credentials: an APNs .p8 and an FCM service-account JSON, written as the consoles hand them out."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

KEY_ID = "ABCDE12345"
TEAM_ID = "TEAM123456"
PROJECT = "courier-test"


def _pem(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def write_private(path: Path, data: bytes, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


@dataclass
class ApnsKeyFile:
    path: Path
    key: ec.EllipticCurvePrivateKey


def apns_key(tmp: Path, mode: int = 0o600) -> ApnsKeyFile:
    key = ec.generate_private_key(ec.SECP256R1())
    return ApnsKeyFile(write_private(tmp / f"AuthKey_{KEY_ID}.p8", _pem(key), mode), key)


@dataclass
class ServiceAccountFile:
    path: Path
    key: rsa.RSAPrivateKey
    info: dict[str, str]


def service_account(tmp: Path, token_uri: str, *, name: str = "sa.json",
                    key_id: str = "0123abcd") -> ServiceAccountFile:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info = {"type": "service_account", "project_id": PROJECT, "private_key_id": key_id,
            "private_key": _pem(key).decode(), "client_email": f"sender@{PROJECT}.iam.gserviceaccount.com",
            "client_id": "1234567890", "token_uri": token_uri}
    return ServiceAccountFile(write_private(tmp / name, json.dumps(info).encode()), key, info)
