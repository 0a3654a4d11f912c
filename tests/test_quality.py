"""The quality of what is on disk (issue 15, item 3): real files made by ffmpeg with tagged audio and
subtitle tracks, probed by the real ffprobe; the French audio class, resolution, codec and HDR of each; the
cache on path + size + mtime; filters; unreadable files reaching the summaries; the API's errors."""

from __future__ import annotations

import os

import pytest

from tests.media import make_tagged_video

FILES = {
    "Films/Heat (1995)/Heat.1995.mkv": dict(audio=[("fre", "VFF"), ("eng", "")], size="1920x800"),
    "Films/Amelie (2001)/Amelie.2001.mkv": dict(audio=[("fre", "")], size="1280x720"),
    "Films/Incendies (2010)/Incendies.mkv": dict(audio=[("fre", "VFQ")], size="1280x720"),
    "Films/Dune (2021)/Dune.2021.mkv": dict(audio=[("fre", "VFF"), ("fre", "VFQ")], size="3840x1600",
                                            codec="libx265", hdr=True),
    "Series/The Expanse/S01E01.mkv": dict(audio=[("eng", "")], subtitles=["fre"], size="1280x720"),
    "Series/The Expanse/S01E02.mkv": dict(audio=[("eng", "")], size="720x404"),
}


@pytest.fixture
def library(api, tmp_path):
    root = tmp_path / "media"
    for name, spec in FILES.items():
        make_tagged_video(root / name, **spec)
    (root / "Films" / "Broken (2000)").mkdir(parents=True)
    (root / "Films" / "Broken (2000)" / "Broken.mkv").write_bytes(os.urandom(4096))  # not media
    (root / "Films" / "Heat (1995)" / "Heat.1995.fr.srt").write_text("1\n")  # a sidecar: never probed
    (root / ".hidden").mkdir()
    make_tagged_video(root / ".hidden" / "x.mkv", audio=[("eng", "")])
    api.call("PUT", "/api/settings", json={"values": {"movies_path": str(root / "Films"),
                                                      "tv_path": str(root / "Series")}})
    return root


def test_scan_measures_each_file(api, library) -> None:
    counts = api.call("POST", "/api/quality/scan").json
    assert counts == {"files": 7, "probed": 6, "cached": 0, "failed": 1, "removed": 0}
    items = {i["path"].rsplit("/", 1)[-1]: i for i in api.call("GET", "/api/quality/files").json["items"]}
    assert {k: (v["audio_class"], v["resolution"], v["codec"], v["hdr"]) for k, v in items.items()} == {
        "Heat.1995.mkv": ("MULTI", "1080p", "x264", ""),  # 1920×800: a scope 1080p
        "Amelie.2001.mkv": ("VFF", "720p", "x264", ""),
        "Incendies.mkv": ("VFQ", "720p", "x264", ""),
        "Dune.2021.mkv": ("VF2", "2160p", "x265", "HDR10"),
        "S01E01.mkv": ("VOSTFR", "720p", "x264", ""),
        "S01E02.mkv": ("VO", "SD", "x264", ""),
    }
    assert items["Heat.1995.mkv"]["audio_languages"] == ["fre", "eng"]
    assert items["S01E01.mkv"]["subtitle_languages"] == ["fre"]
    assert items["Dune.2021.mkv"]["bitrate"] > 0 and items["Dune.2021.mkv"]["duration"] == pytest.approx(0.5, abs=0.1)
    broken = api.call("GET", "/api/quality/files?errors=true").json["items"]
    assert [b["path"].rsplit("/", 1)[-1] for b in broken] == ["Broken.mkv"] and broken[0]["error"]
    problems = api.call("GET", "/api/health").json["problems"]
    assert any(p.get("subject") == "ffprobe" and p["detail"] == "1" for p in problems), problems


def test_second_scan_reads_the_cache_and_follows_changes(api, library) -> None:
    api.call("POST", "/api/quality/scan")
    assert api.call("POST", "/api/quality/scan").json == {"files": 7, "probed": 0, "cached": 7, "failed": 1,
                                                          "removed": 0}  # the unreadable file stays counted
    # Amélie replaced by a MULTI file (new size and mtime): measured again; an episode deleted: forgotten
    amelie = library / "Films/Amelie (2001)/Amelie.2001.mkv"
    make_tagged_video(amelie, audio=[("fre", ""), ("eng", "")], size="1920x1080", seconds=0.7)
    os.utime(amelie, ns=(amelie.stat().st_atime_ns, amelie.stat().st_mtime_ns + 10**9))
    (library / "Series/The Expanse/S01E02.mkv").unlink()
    counts = api.call("POST", "/api/quality/scan").json
    assert counts == {"files": 6, "probed": 1, "cached": 5, "failed": 1, "removed": 1}
    found = api.call("GET", "/api/quality/files?q=amelie").json["items"]
    assert [(f["audio_class"], f["resolution"]) for f in found] == [("MULTI", "1080p")]


def test_filters(api, library) -> None:
    api.call("POST", "/api/quality/scan")

    def names(query: str) -> list[str]:
        answer = api.call("GET", f"/api/quality/files?{query}")
        assert answer.status_code == 200, answer.json
        return sorted(i["path"].rsplit("/", 1)[-1] for i in answer.json["items"])

    assert names("audio=VOSTFR") == ["S01E01.mkv"]
    assert names("audio=VOSTFR,VO") == ["S01E01.mkv", "S01E02.mkv"]  # no French audio
    assert names("max_resolution=720p") == ["Amelie.2001.mkv", "Incendies.mkv", "S01E01.mkv", "S01E02.mkv"]
    assert names("codec=x265") == ["Dune.2021.mkv"]
    assert names("codec=x264&min_gb=8") == []  # x264 over 8 GB: none in this small library
    heat = library / "Films/Heat (1995)/Heat.1995.mkv"
    assert names(f"codec=x264&min_gb={heat.stat().st_size / 1024**3 * 0.99}") == ["Heat.1995.mkv"]

    bad = api.call("GET", "/api/quality/files?audio=FRENCH&max_resolution=8K")
    assert bad.status_code == 400 and set(bad.json["error"]["fields"]) == {"audio.0", "max_resolution"}
    assert " or " not in bad.json["error"]["fields"]["max_resolution"]  # all French


def test_the_page_in_french(api, library) -> None:
    empty = api.call("GET", "/quality").get_data(as_text=True)
    assert "Rien n'a encore été mesuré." in empty
    api.call("POST", "/api/quality/scan")
    page = api.call("GET", "/quality?audio=VOSTFR").get_data(as_text=True)
    assert "S01E01.mkv" in page and "Amelie" not in page and "1 fichier" in page
    assert "1 fichier ne peut pas être lu par ffprobe." in page
    assert "VOSTFR uniquement" in page and "x264 de plus de 8 Go" in page


def test_a_scan_at_a_time(api, app, library) -> None:
    from app.quality import service

    assert service._scan_lock.acquire(blocking=False)
    try:
        busy = api.call("POST", "/api/quality/scan")
        assert busy.status_code == 409 and busy.json["error"]["code"] == "scan_running"
    finally:
        service._scan_lock.release()
