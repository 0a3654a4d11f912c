"""Image checks (Pillow) and the remote poster proxy: only signed URLs, only image hosts, only real images."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from app.utils.images import MAX_IMAGE_BYTES, ImageCache, ImageRefused, inspect_image, sign_url
from tests.emulators.arr import RadarrEmulator
from tests.emulators.plex import png
from tests.emulators.tmdb import TmdbEmulator


def encoded(fmt: str, size: tuple[int, int] = (30, 45)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(("fmt", "mime", "extension"), [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"),
                                                        ("WEBP", "image/webp", "webp")])
def test_accepted_formats_report_their_dimensions(fmt: str, mime: str, extension: str) -> None:
    info = inspect_image(encoded(fmt))
    assert (info.format, info.mime, info.width, info.height, info.extension) == (fmt, mime, 30, 45, extension)


def test_refused_images_say_why() -> None:
    with pytest.raises(ImageRefused, match="JPEG, PNG and WebP"):
        inspect_image(encoded("GIF"))
    with pytest.raises(ImageRefused, match="damaged or truncated"):
        inspect_image(encoded("JPEG", (400, 400))[:600])
    with pytest.raises(ImageRefused, match="not an image"):
        inspect_image(b"<html>hello</html>")
    with pytest.raises(ImageRefused, match="empty"):
        inspect_image(b"")
    with pytest.raises(ImageRefused, match="larger than 10 MB"):
        inspect_image(b"\x89PNG" + b"\0" * MAX_IMAGE_BYTES)
    # a 30-byte header claiming 100,000 x 100,000 pixels is refused before anything is decoded
    with pytest.raises(ImageRefused):
        inspect_image(png(2, 2).replace(b"\x00\x00\x00\x02\x00\x00\x00\x02", b"\x00\x01\x86\xa0\x00\x01\x86\xa0", 1))


def test_cache_is_bounded_in_bytes() -> None:
    cache = ImageCache(max_bytes=10)
    cache.put("a", b"12345", "image/png")
    cache.put("b", b"12345", "image/png")
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", b"123", "image/png")
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    cache.put("huge", b"x" * 11, "image/png")
    assert cache.get("huge") is None


def test_mapping_posters_come_through_the_proxy(api) -> None:
    with RadarrEmulator() as radarr, TmdbEmulator() as tmdb:
        radarr.add_lookup_movie("Amélie", 2001, 194)
        tmdb.add_movie(194, "Amélie", 2001, translations={"fr-FR": {"title": "Amélie", "overview": "x"}})
        api.call("PUT", "/api/settings", json={"values": {
            "radarr_url": radarr.url, "radarr_api_key": radarr.api_key, "tmdb_url": tmdb.api_url,
            "tmdb_api_key": tmdb.api_key, "tmdb_image_url": tmdb.image_url}})
        found = api.call("GET", "/api/mapping/candidates?q=am%C3%A9lie&media_type=movie").json["candidates"]
        posters = {c["source"]: c["poster"] for c in found}
        assert set(posters) == {"radarr-lookup", "tmdb"} and all(p.startswith("/img/remote?") for p in posters.values())
        for url in posters.values():
            answer = api.call("GET", url)
            assert answer.status_code == 200 and answer.mimetype == "image/png"
            assert inspect_image(answer.data).width == 20
        # Radarr's "original" TMDB URL is fetched as a thumbnail from the configured image server
        assert "/t/p/w185/194.jpg" in tmdb.image_requests
        served = len(tmdb.image_requests)
        assert api.call("GET", posters["tmdb"]).status_code == 200 and len(tmdb.image_requests) == served  # cached

        target = parse_qs(urlsplit(posters["tmdb"]).query)["u"][0]
        forged = api.call("GET", f"/img/remote?u={target}x&s={parse_qs(urlsplit(posters['tmdb']).query)['s'][0]}")
        assert forged.status_code == 400 and len(tmdb.image_requests) == served
        lan = "http://192.0.2.1/admin.png"
        signed = sign_url(lan, api.client.application.secret_key)
        refused = api.call("GET", f"/img/remote?u={lan}&s={signed}")  # signed, but not an image host
        assert refused.status_code == 400 and "hôte" in refused.get_data(as_text=True)
