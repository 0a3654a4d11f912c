"""yt-dlp for real on the download path (its generic extractor on a local page serving an ffmpeg-made video,
remuxed to MKV, renamed in place); YouTube's search input as yt-dlp-shaped entries; errors by kind."""

from __future__ import annotations

import http.server
import subprocess
import threading
from pathlib import Path

import pytest
from yt_dlp.utils import DownloadError

from app.utils.clients.errors import UpstreamBotCheck, UpstreamUnavailable, VideoUnavailable
from app.utils.clients.youtube import YouTubeClient, classify, video_id
from tests.media import make_video


class VideoSite:
    """A page with a <video> on 127.0.0.1, as a video host would serve it."""

    def __init__(self, folder: Path):
        self.folder = folder
        (folder / "index.html").write_text('<html><head><title>Heat bande annonce VF</title></head><body>'
                                           '<video src="/trailer.mp4" controls></video></body></html>')
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder), **k)  # noqa: E731
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.RequestHandlerClass.log_message = lambda *a: None
        self.url = f"http://127.0.0.1:{self.server.server_port}/index.html"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    make_video(folder / "trailer.mp4", 2.0)
    served = VideoSite(folder)
    yield served
    served.stop()


def test_download_remuxes_to_mkv_and_leaves_only_the_final_file(site, tmp_path) -> None:
    target = tmp_path / "Movies" / "Heat (1995)"
    target.mkdir(parents=True)
    seen = []
    path = YouTubeClient().download(site.url, target, "Heat (1995)-trailer", max_bytes=50_000_000,
                                    on_progress=lambda done, total: seen.append(done))
    assert path == target / "Heat (1995)-trailer.mkv" and path.stat().st_size > 0
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=format_name", "-of", "csv=p=0",
                            str(path)], capture_output=True, text=True, check=True)
    assert "matroska" in probe.stdout
    assert sorted(p.name for p in target.iterdir()) == ["Heat (1995)-trailer.mkv"]  # no .part, no work folder
    assert seen and seen[-1] > 0


def test_a_failed_download_leaves_nothing(site, tmp_path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UpstreamUnavailable):
        YouTubeClient().download(site.url.replace("index.html", "missing.html"), target, "x", max_bytes=1_000_000)
    assert list(target.iterdir()) == []
    with pytest.raises(VideoUnavailable):
        YouTubeClient().download(site.url, target, "x", max_bytes=100)  # larger than the limit
    assert list(target.iterdir()) == []
    with pytest.raises(VideoUnavailable):
        YouTubeClient().download(site.url, target, "x", max_bytes=50_000_000, max_duration_s=1)  # 2 s > 1 s
    assert list(target.iterdir()) == []


def test_video_ids_from_links() -> None:
    for link in ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://youtu.be/dQw4w9WgXcQ?t=3",
                 "youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
                 "dQw4w9WgXcQ"):
        assert video_id(link) == "dQw4w9WgXcQ", link
    for bad in ("https://evil.example/watch?v=dQw4w9WgXcQ", "https://www.youtube.com/watch?v=short",
                "javascript:alert(1)", "https://www.youtube.com/channel/UC123"):
        with pytest.raises(ValueError):
            video_id(bad)


def test_errors_by_kind() -> None:
    bot = classify(DownloadError("ERROR: [youtube] abc: Sign in to confirm you’re not a bot. Use --cookies..."))
    assert isinstance(bot, UpstreamBotCheck) and bot.setting == "TRAILER_COOKIES_FILE"
    assert isinstance(classify(DownloadError("HTTP Error 429: Too Many Requests")), UpstreamUnavailable)
    assert classify(DownloadError("ERROR: Private video. Sign in if you've been granted access")).reason == "private"
    assert classify(DownloadError("ERROR: Sign in to confirm your age. This video may be inappropriate for some "
                                  "users.")).reason == "age_restricted"
    assert classify(DownloadError("ERROR: Video unavailable. This video has been removed by the uploader")
                    ).reason == "removed"
