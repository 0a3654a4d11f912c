"""Owner of ``instance/ssh_host_keys.json``: the seedbox's SSH host key, pinned on first use.

Keyed like OpenSSH's known_hosts (``host`` for port 22, ``[host]:port`` otherwise); a record is
``{"key_type": "ssh-ed25519", "key": base64 of the public key blob, "fingerprint": "SHA256:...",
"trusted_at": ISO 8601 UTC}``. The path is plain text (picklable), so transfer worker processes open
the same store.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from app.utils.stores.json_store import JsonStore

HOST_KEYS_FILE = "ssh_host_keys.json"


def host_entry(host: str, port: int) -> str:
    """The known_hosts name of ``host:port`` (``[host]:port`` unless the port is 22)."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key_blob: bytes) -> str:
    """OpenSSH's SHA-256 fingerprint of a public key blob: ``SHA256:`` + unpadded base64."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key_blob).digest()).decode().rstrip("=")


class HostKeyStore:
    """Pinned host keys; ``path`` is ``instance/ssh_host_keys.json``."""

    def __init__(self, path: Path | str):
        self.path = str(path)
        self.store = JsonStore(Path(path), schema_version=1)

    def get(self, host: str, port: int) -> dict | None:
        """The pinned record of ``host:port``, or ``None``."""
        return self.store.read().get(host_entry(host, port))

    def pin(self, host: str, port: int, key_type: str, key_blob: bytes) -> dict:
        """Pin (or re-pin, after the user trusted a new key) the key of ``host:port``; returns the record."""
        record = {"key_type": key_type, "key": base64.b64encode(key_blob).decode(),
                  "fingerprint": fingerprint(key_blob),
                  "trusted_at": datetime.now(UTC).isoformat(timespec="seconds")}

        def apply(data: dict) -> None:
            data[host_entry(host, port)] = record

        self.store.update(apply)
        return dict(record)

    def forget(self, host: str, port: int) -> None:
        """Drop the pinned key of ``host:port``."""
        self.store.update(lambda data: data.pop(host_entry(host, port), None))
