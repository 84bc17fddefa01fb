"""The pair record a trusted host keeps for a lab iPhone, with real certificates.

A real record (``/var/lib/lockdown/<UDID>.plist``, served by usbmuxd's ``ReadPairRecord``) holds PEM
data for a root CA, a host certificate and a device certificate, all three signed by the root, plus
the host and root private keys, ``HostID``, ``SystemBUID``, ``WiFiMACAddress`` and ``EscrowBag``.
The chain is built like pymobiledevice3's (``pmd3:ca.py:generate_pairing_cert_chain``: empty subject
and issuer names, serial 1, v3, CA:TRUE on the root, KeyUsage on the leaves, SHA-256) so every
client that parses it succeeds:

- libimobiledevice needs only ``HostID`` while no TLS is negotiated
  (``limd@1.3.0:common/userpref.c``, ``lockdown.c:pair_record_get_host_id``); its TLS path would read
  ``RootCertificate``/``RootPrivateKey`` (OpenSSL) or the host pair (GnuTLS);
- pymobiledevice3 takes ``HostID`` and ``SystemBUID`` (``pmd3:lockdown.py:validate_pairing``) and
  writes ``HostCertificate`` + ``HostPrivateKey`` into a PEM file for TLS (``ssl_file``).

The device's own key pair is what lockdownd reports as ``DevicePublicKey`` (PKCS#1 PEM, the form
``limd@1.3.0:lockdown.c:lockdownd_get_device_public_key_as_key_data`` and
``pmd3:ca.py:generate_pairing_cert_chain`` load).
"""

from __future__ import annotations

import hashlib
import plistlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

__all__ = ["PairingMaterial", "host_id_for", "make_pairing_material"]

_KEY_BITS = 2048
_VALIDITY_DAYS = 3650
# Certificates start at a fixed instant so a record made on any day validates in any lab run;
# the lab clock starts in 2026 (clock.DEFAULT_EPOCH_S) and real time may be anywhere after 2024.
_NOT_BEFORE = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PairingMaterial:
    """Everything both sides of one host↔device pairing know."""

    host_id: str
    system_buid: str
    wifi_mac: str
    device_public_key_pem: bytes  # what lockdownd answers for DevicePublicKey
    root_cert_pem: bytes
    root_key_pem: bytes
    host_cert_pem: bytes
    host_key_pem: bytes
    device_cert_pem: bytes
    device_key_pem: bytes = field(repr=False)
    escrow_bag: bytes = field(repr=False, default=b"")

    def record(self) -> dict[str, Any]:
        """The pair-record dict as usbmuxd stores it (every certificate and key as PEM data)."""
        return {
            "DeviceCertificate": self.device_cert_pem,
            "EscrowBag": self.escrow_bag,
            "HostCertificate": self.host_cert_pem,
            "HostID": self.host_id,
            "HostPrivateKey": self.host_key_pem,
            "RootCertificate": self.root_cert_pem,
            "RootPrivateKey": self.root_key_pem,
            "SystemBUID": self.system_buid,
            "WiFiMACAddress": self.wifi_mac,
        }

    def record_bytes(self) -> bytes:
        """``PairRecordData``: the record serialised as an XML plist, as usbmuxd keeps it on disk."""
        return plistlib.dumps(self.record(), fmt=plistlib.FMT_XML)


def host_id_for(udid: str, system_buid: str) -> str:
    """A stable, uppercase HostID (the form ``pmd3:pair_records.py:generate_host_id`` produces)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lab-host/{system_buid}/{udid}")).upper()


def make_pairing_material(udid: str, system_buid: str, wifi_mac: str) -> PairingMaterial:
    """Generate the key pairs and the certificate chain of one pairing (~0.2 s: three RSA keys)."""
    root_key = _new_key()
    host_key = _new_key()
    device_key = _new_key()
    root_cert = _root_certificate(root_key)
    host_cert = _leaf_certificate(host_key.public_key(), root_cert, root_key)
    device_cert = _leaf_certificate(device_key.public_key(), root_cert, root_key)
    return PairingMaterial(
        host_id=host_id_for(udid, system_buid),
        system_buid=system_buid,
        wifi_mac=wifi_mac,
        device_public_key_pem=device_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
        root_cert_pem=_cert_pem(root_cert),
        root_key_pem=_key_pem(root_key),
        host_cert_pem=_cert_pem(host_cert),
        host_key_pem=_key_pem(host_key),
        device_cert_pem=_cert_pem(device_cert),
        device_key_pem=_key_pem(device_key),
        escrow_bag=hashlib.sha256(f"escrow/{udid}/{system_buid}".encode()).digest(),
    )


def _new_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)


def _builder(public_key: RSAPublicKey, issuer: x509.Name) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(1)
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_BEFORE + timedelta(days=_VALIDITY_DAYS))
    )


def _root_certificate(root_key: RSAPrivateKey) -> x509.Certificate:
    builder = _builder(root_key.public_key(), x509.Name([]))
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(root_key, hashes.SHA256())


def _leaf_certificate(public_key: RSAPublicKey, root_cert: x509.Certificate,
                      root_key: RSAPrivateKey) -> x509.Certificate:
    usage = x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    builder = _builder(public_key, root_cert.subject)
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    builder = builder.add_extension(usage, critical=True)
    return builder.sign(root_key, hashes.SHA256())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: RSAPrivateKey) -> bytes:
    # PKCS#8, like OpenSSL's PEM_write_bio_PrivateKey (pmd3:ca.py:serialize_private_key_pkcs8_pem).
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
