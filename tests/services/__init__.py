"""Real components started for the tests on 127.0.0.1 (qbittorrent-nox, rtorrent, OpenSSH sshd)."""
