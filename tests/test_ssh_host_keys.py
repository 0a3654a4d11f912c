"""SSH host keys pinned on first use, a changed key refused with both fingerprints until trusted, and the
paramiko fast path's fallback (issue 10, item 7), on a real OpenSSH sshd."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import paramiko
import pytest

from app.utils.clients import sftp as sftp_module
from app.utils.clients.errors import HostKeyChanged
from app.utils.clients.sftp import SftpClient
from app.utils.stores.host_key_manager import HostKeyStore, fingerprint
from app.utils.transfer import SftpPuller, SftpTarget
from tests.services.sshd import SshServer
from tests.torrents import sha256_of, write_file

ROOT = Path(__file__).resolve().parent.parent


def _client(server: SshServer, store: HostKeyStore) -> SftpClient:
    return SftpClient(server.host, server.port, server.username, key_path=str(server.key_path), host_keys=store)


def _server_fingerprint(server: SshServer) -> str:
    line = (server.dir / "host_ed25519.pub").read_text().split()
    return fingerprint(paramiko.Ed25519Key(data=__import__("base64").b64decode(line[1])).asbytes())


def test_first_use_pins_the_key_a_changed_key_is_refused(sshd, tmp_path: Path) -> None:
    store = HostKeyStore(tmp_path / "instance" / "ssh_host_keys.json")
    first = _client(sshd, store)
    first.connect().close()
    assert first.host_key["new"] is True and first.host_key["fingerprint"] == _server_fingerprint(sshd)
    second = _client(sshd, store)
    second.connect().close()
    assert second.host_key["new"] is False
    # the seedbox now presents another key (re-installed, or someone in the middle)
    impostor = paramiko.RSAKey.generate(2048)
    store.pin(sshd.host, sshd.port, impostor.get_name(), impostor.asbytes())
    with pytest.raises(HostKeyChanged) as caught:
        _client(sshd, store).connect()
    assert caught.value.pinned == fingerprint(impostor.asbytes())
    assert caught.value.presented == _server_fingerprint(sshd)
    assert caught.value.pinned in caught.value.message and caught.value.presented in caught.value.message


def test_the_pipeline_refuses_a_changed_key_and_the_user_trusts_it_explicitly(api, sshd) -> None:
    mms = api.client.application.extensions["mms"]
    api.call("PUT", "/api/settings", json={"values": {
        "sftp_host": sshd.host, "sftp_port": sshd.port, "sftp_username": sshd.username,
        "sftp_key_path": str(sshd.key_path), "sftp_remote_path": str(sshd.dir)}})
    report = api.call("POST", "/api/settings/test/sftp").json
    assert report["ok"] is True and _server_fingerprint(sshd) in report["message"], report
    assert "first use" in report["message"]
    assert api.call("GET", "/api/settings/sftp/host-key").json["pinned"]["fingerprint"] == _server_fingerprint(sshd)
    impostor = paramiko.RSAKey.generate(2048)
    mms.host_keys.pin(sshd.host, sshd.port, impostor.get_name(), impostor.asbytes())
    refused = api.call("POST", "/api/settings/test/sftp").json
    assert refused["ok"] is False and refused["code"] == "host_key_changed"
    assert refused["host_key"] == {"pinned": fingerprint(impostor.asbytes()), "presented": _server_fingerprint(sshd)}
    # transfers refuse too, with the same message
    target = SftpTarget(sshd.host, sshd.port, sshd.username, key_path=str(sshd.key_path),
                        host_keys_path=mms.host_keys.path)
    from app.utils.transfer import TransferError

    with pytest.raises(TransferError, match="host key"):
        SftpPuller(target).pull(str(sshd.dir), Path(mms.instance_path) / "staging")
    wrong = api.call("POST", "/api/settings/sftp/host-key/trust", json={"fingerprint": "SHA256:not-the-one"})
    assert wrong.status_code == 409
    trusted = api.call("POST", "/api/settings/sftp/host-key/trust",
                       json={"fingerprint": refused["host_key"]["presented"]})
    assert trusted.status_code == 200 and trusted.json["pinned"]["fingerprint"] == _server_fingerprint(sshd)
    assert api.call("POST", "/api/settings/test/sftp").json["ok"] is True


def test_bulk_reads_fall_back_when_paramiko_lacks_the_private_hooks(sshd, tmp_path: Path, monkeypatch) -> None:
    assert sftp_module.fast_path_available()  # the paramiko the tests cover has them
    monkeypatch.setattr(sftp_module, "fast_path_available", lambda: False)
    source = write_file(tmp_path / "seedbox" / "Fallback.2020.mkv", 5 * 1024 * 1024 + 321)
    target = SftpTarget(sshd.host, sshd.port, sshd.username, key_path=str(sshd.key_path))
    [pulled] = SftpPuller(target).pull(str(source), tmp_path / "staging")
    assert sha256_of(pulled) == sha256_of(source)


def test_nothing_is_read_from_paramiko_at_import() -> None:
    code = ("import paramiko, paramiko.buffered_pipe as b\n"
            "del paramiko.Transport._preferred_ciphers\n"
            "del b.BufferedPipe._buffer_frombytes\n"
            "import app.utils.clients.sftp as s\n"
            "assert not s.fast_path_available()\n"
            "print('ok')\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         check=False)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
