"""Secrets stay with their hosts (issue 10, item 5): connection tests and saves with a new host need the
secret typed again, redirects to another host lose credential headers, browser links carry no key."""

from __future__ import annotations

import pytest

from app.utils.clients.base import MappedSession
from app.utils.urls import public_url, same_host
from tests.emulators.arr import SonarrEmulator
from tests.emulators.base import Emulator, Reply


@pytest.fixture
def two_sonarrs():
    with SonarrEmulator() as home, SonarrEmulator() as other:
        yield home, other


def test_connection_test_with_a_new_host_needs_the_key_again(api, two_sonarrs) -> None:
    home, other = two_sonarrs
    assert api.call("PUT", "/api/settings", json={"values": {"sonarr_url": home.url,
                                                            "sonarr_api_key": home.api_key}}).status_code == 200
    for kept in ({}, {"sonarr_api_key": None}, {"sonarr_api_key": ""}, {"sonarr_api_key": "••••••••"}):
        answer = api.call("POST", "/api/settings/test/sonarr", json={"values": {"sonarr_url": other.url, **kept}})
        assert answer.status_code == 422 and "sonarr_api_key" in answer.json["error"]["fields"], kept
    assert other.requests == []  # the saved key never left for the other host
    same = api.call("POST", "/api/settings/test/sonarr", json={"values": {"sonarr_url": home.url + "/"}})
    assert same.status_code == 200 and same.json["ok"] is True  # same host: the saved key is used
    typed = api.call("POST", "/api/settings/test/sonarr",
                     json={"values": {"sonarr_url": other.url, "sonarr_api_key": other.api_key}})
    assert typed.status_code == 200 and typed.json["ok"] is True
    assert {r.headers.get("x-api-key") for r in other.requests} == {other.api_key}


def test_saving_a_new_host_without_the_secret_is_refused(api, two_sonarrs) -> None:
    home, other = two_sonarrs
    api.call("PUT", "/api/settings", json={"values": {"sonarr_url": home.url, "sonarr_api_key": home.api_key}})
    refused = api.call("PUT", "/api/settings", json={"values": {"sonarr_url": other.url}})
    assert refused.status_code == 422 and "sonarr_api_key" in refused.json["error"]["fields"]
    mms = api.client.application.extensions["mms"]
    assert mms.settings.load().sonarr_url == home.url
    ok = api.call("PUT", "/api/settings", json={"values": {"sonarr_url": other.url, "sonarr_api_key": "new-key"}})
    assert ok.status_code == 200 and mms.settings.load().sonarr_api_key == "new-key"


def test_an_indexer_with_a_masked_key_and_a_new_host_is_refused(api) -> None:
    saved = [{"name": "ygg", "url": "https://ygg.example/api", "api_key": "passkey-123"}]
    assert api.call("PUT", "/api/settings", json={"values": {"torznab_indexers": saved}}).status_code == 200
    masked = api.call("GET", "/api/settings").json
    shown = next(f for f in masked["fields"] if f["name"] == "torznab_indexers")["value"]
    assert shown[0]["api_key"] == "••••••••"
    moved = [{**shown[0], "url": "https://evil.example"}]
    refused = api.call("PUT", "/api/settings", json={"values": {"torznab_indexers": moved}})
    assert refused.status_code == 422
    assert "type the api_key again" in refused.json["error"]["fields"]["torznab_indexers"]
    same = [{**shown[0], "url": "https://ygg.example/other"}]
    assert api.call("PUT", "/api/settings", json={"values": {"torznab_indexers": same}}).status_code == 200
    mms = api.client.application.extensions["mms"]
    assert mms.settings.load().torznab_indexers[0].api_key == "passkey-123"


class _Redirector(Emulator):
    def __init__(self, target: str) -> None:
        super().__init__()
        self.route("GET", "/start", lambda r: Reply(302, b"", {"Location": target}))
        self.route("GET", "/landed", lambda r: Reply(200, {"ok": True}))


def test_credential_headers_do_not_follow_a_redirect_to_another_host() -> None:
    with _Redirector("about:blank") as landing:
        # the same server reached under another host name: 127.0.0.1 -> localhost
        other_host = landing.url.replace("127.0.0.1", "localhost") + "/landed"
        with _Redirector(other_host) as start, _Redirector("/landed") as same:
            session = MappedSession("Test")
            session.headers.update({"X-Plex-Token": "plex-secret", "X-Api-Key": "arr-secret"})
            assert session.get(start.url + "/start").json() == {"ok": True}
            assert session.get(same.url + "/start").status_code == 200
            landed = [r for r in landing.requests if r.path == "/landed"]
            assert "x-plex-token" not in landed[0].headers and "x-api-key" not in landed[0].headers
            assert landed[0].headers.get("user-agent")  # the headers were recorded at all
            # a redirect on the same host keeps them
            same_landed = [r for r in same.requests if r.path == "/landed"]
            assert same_landed[0].headers.get("x-api-key") == "arr-secret"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://ygg.example/details/123?apikey=abc&x=1", "https://ygg.example/details/123?x=1"),
    ("https://user:pw@tracker.example/t/9?passkey=zzz", "https://tracker.example/t/9"),
    ("http://prowlarr.lan:9696/5/api?t=details&id=1&apikey=k", "http://prowlarr.lan:9696/5/api?t=details&id=1"),
    ("https://t.example/download/0123456789abcdef0123456789abcdef/file.torrent", None),
    ("magnet:?xt=urn:btih:abc", None),
    ("javascript:alert(1)", None),
    (None, None),
])
def test_public_urls_carry_no_key(url, expected) -> None:
    assert public_url(url) == expected


def test_same_host() -> None:
    assert same_host("http://nas:8989", "http://NAS:8989/sonarr")
    assert not same_host("http://nas:8989", "http://nas:8990")
    assert not same_host("http://nas", "http://evil")
    assert same_host("seedbox.example", "seedbox.example")
