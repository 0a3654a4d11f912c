"""rTorrent's data is deleted over SFTP (never d.delete_tied), and only inside the seedbox download folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.seedbox.service import torrent_client
from app.utils.clients.sftp import SftpClient, remove_tree
from app.utils.clients.torrent import TorrentSource
from tests.services.rtorrent import RTorrentServer
from tests.services.sshd import SshServer
from tests.torrents import make_torrent, write_file
from tests.waiting import wait_for


def test_remove_with_data_goes_through_sftp(make_app, tmp_path: Path) -> None:
    rt, sshd = RTorrentServer(tmp_path / "rt"), SshServer(tmp_path)
    try:
        folder = rt.downloads / "Show.S01.MULTi.1080p.WEB.x264-GRP"
        write_file(folder / "e1.mkv", 20_000)
        write_file(folder / "sub" / "e2.mkv", 20_000)
        keep = write_file(rt.downloads / "Other.mkv", 1000)
        app = make_app()
        mms = app.extensions["mms"]
        mms.settings.save({"torrent_client": "rtorrent", "rtorrent_url": rt.url, "sftp_host": sshd.host,
                           "sftp_port": sshd.port, "sftp_username": sshd.username, "sftp_key_path": str(sshd.key_path),
                           "sftp_remote_path": str(rt.downloads)})
        with app.app_context():
            client = torrent_client()
            data, info_hash = make_torrent(folder)
            client.add(TorrentSource.from_torrent(data), label="mms", save_path=str(rt.downloads))
            wait_for(lambda: any(t.info_hash == info_hash and t.complete for t in client.torrents()), timeout=30,
                     what="complete")
            client.remove(info_hash, delete_data=True)
        assert not folder.exists() and keep.exists()
        sftp = SftpClient(sshd.host, sshd.port, sshd.username, key_path=str(sshd.key_path))
        for outside in (str(tmp_path), str(rt.downloads), str(rt.downloads / ".." / "rtorrent.rc")):
            with pytest.raises(ValueError):
                remove_tree(sftp, outside, str(rt.downloads))
        assert remove_tree(sftp, str(rt.downloads / "missing"), str(rt.downloads)) == 0
    finally:
        try:
            sshd.stop()
        finally:
            rt.stop()
