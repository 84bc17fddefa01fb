"""The lab's push credentials and what the gateway knows of them (Apple's and Google's side).

The lab plays both ends of the key exchange: it writes a provider's credentials into its state
directory — an APNs auth key ``AuthKey_<KEYID>.p8`` (PKCS#8 PEM, P-256, as Apple issues it) and an
FCM service-account JSON whose ``token_uri`` is the gateway — and registers their *public* halves,
as Apple and Google hold them. Files are written with mode 0600, and reused across lab restarts.
A configured key file that exists is only read (its public key registered), never replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from harness.config import Config

__all__ = ["ApnsKey", "LabCredentials", "ServiceAccount", "lab_credentials"]

DEFAULT_KEY_ID = "LABKEY0001"
DEFAULT_TEAM_ID = "LABTEAM001"
DEFAULT_PROJECT = "courier-lab"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # google-auth's assertion aud, whatever token_uri is


@dataclass(frozen=True)
class ApnsKey:
    key_id: str
    team_id: str
    public_key: PublicKeyTypes
    path: Path


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    private_key_id: str
    project_id: str
    public_key: PublicKeyTypes
    path: Path


@dataclass(frozen=True)
class LabCredentials:
    apns: ApnsKey | None
    fcm: ServiceAccount | None


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, 0o600)


def _apns_key(path: Path, key_id: str, team_id: str, create: bool) -> ApnsKey | None:
    if not path.exists():
        if not create:
            return None
        key = ec.generate_private_key(ec.SECP256R1())
        _write_private(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return ApnsKey(key_id, team_id, private.public_key(), path)


def _service_account(path: Path, project: str, token_uri: str, create: bool) -> ServiceAccount | None:
    if not path.exists():
        if not create:
            return None
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        email = f"harness-lab@{project}.iam.gserviceaccount.com"
        info = {"type": "service_account", "project_id": project,
                "private_key_id": hashlib.sha1(pem.encode()).hexdigest(), "private_key": pem,
                "client_email": email, "client_id": str(int(hashlib.sha256(email.encode()).hexdigest()[:20], 16)),
                "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
                "universe_domain": "googleapis.com"}
        _write_private(path, json.dumps(info, indent=2).encode())
    info = json.loads(path.read_text())
    if create and info.get("token_uri") != token_uri:  # the lab's own file follows [lab] push_port
        info["token_uri"] = token_uri
        _write_private(path, json.dumps(info, indent=2).encode())
    private = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    return ServiceAccount(info["client_email"], info["private_key_id"], info.get("project_id", project),
                          private.public_key(), path)


def lab_credentials(cfg: Config, token_uri: str) -> LabCredentials:
    """Load (or, inside the lab's state directory, create) the credentials ``[push]`` names."""
    push = cfg.push
    home = Path(cfg.path).resolve().parent / cfg.lab.state_dir / "push"
    key_id = (push.apns_key_id if push else None) or DEFAULT_KEY_ID
    team_id = (push.apns_team_id if push else None) or DEFAULT_TEAM_ID
    project = (push.fcm_project_id if push else None) or DEFAULT_PROJECT
    key_path = Path(push.apns_key_path) if push and push.apns_key_path else home / f"AuthKey_{key_id}.p8"
    sa_path = (Path(push.fcm_service_account_path) if push and push.fcm_service_account_path
               else home / "fcm-service-account.json")
    apns = _apns_key(key_path, key_id, team_id, create=key_path.resolve().is_relative_to(home.resolve()))
    fcm = _service_account(sa_path, project, token_uri, create=sa_path.resolve().is_relative_to(home.resolve()))
    return LabCredentials(apns, fcm)
