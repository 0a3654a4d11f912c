"""Settings: one declaration, precedence env > settings.json > default, validation, masking."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app import create_app
from app.utils.settings_schema import Settings, env_name, secret_fields
from app.utils.stores.settings_manager import SECRET_MASK, SettingsError, SettingsManager

ROOT = Path(__file__).resolve().parent.parent


def _write_settings(instance: Path, data: dict) -> None:
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "settings.json").write_text(json.dumps({"schema_version": 1, "data": data}))


def test_precedence_env_over_file_over_default(tmp_path: Path) -> None:
    _write_settings(tmp_path, {"sonarr_url": "http://file:8989", "backup_keep": 7})
    env = {"SONARR_URL": "http://env:8989"}
    manager = SettingsManager(tmp_path, environ=env)
    settings = manager.load()
    assert settings.sonarr_url == "http://env:8989"
    assert settings.backup_keep == 7
    assert settings.radarr_url == Settings.model_fields["radarr_url"].default
    sources = manager.sources()
    assert (sources["sonarr_url"], sources["backup_keep"], sources["radarr_url"]) == (
        "environment", "settings.json", "default")


def test_env_values_are_typed(tmp_path: Path) -> None:
    env = {"SFTP_PORT": "2222", "SEARCH_FILTER_ALIASES": json.dumps({"quality": {"4K": ["2160p"]}})}
    settings = SettingsManager(tmp_path, environ=env).load()
    assert settings.sftp_port == 2222
    assert settings.search_filter_aliases == {"quality": {"4K": ["2160p"]}}


@pytest.mark.parametrize(("env", "named"), [
    ({"SFTP_PORT": "99999"}, "SFTP_PORT"),
    ({"BACKUP_SCHEDULE": "sometimes"}, "BACKUP_SCHEDULE"),
    ({"SONARR_URL": "ftp://nas"}, "SONARR_URL"),
    ({"SEARCH_FILTER_ALIASES": "{not json"}, "SEARCH_FILTER_ALIASES"),
])
def test_bad_value_fails_start_naming_the_setting(make_app, monkeypatch, env, named) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as caught:
        make_app()
    assert named in str(caught.value)
    assert "environment" in str(caught.value)


def test_bad_value_in_settings_file_names_setting_and_file(tmp_path: Path) -> None:
    _write_settings(tmp_path / "instance", {"backup_keep": 0})
    with pytest.raises(SettingsError, match=r"BACKUP_KEEP \(from settings.json\)"):
        create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance", "BACKUP_PATH": tmp_path / "b",
                    "SCHEDULER_ENABLED": False})


def test_env_template_documents_every_setting() -> None:
    template = (ROOT / ".env.template").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", template, flags=re.M))
    wanted = {env_name(f) for f in Settings.model_fields} | {"ADMIN_PASSWORD", "ADMIN_USERNAME", "SECRET_KEY",
                                                             "HOST", "PORT", "MMS_INSTANCE_PATH", "MMS_BACKUP_PATH"}
    assert wanted - documented == set()
    assert documented - wanted == set()


def test_save_validates_and_writes_nothing_on_error(api) -> None:
    store = api.client.application.extensions["mms"].settings.store
    ok = api.call("PUT", "/api/settings", json={"values": {"backup_keep": 3, "sonarr_url": "http://nas:8989/"}})
    assert ok.status_code == 200, ok.json
    before = store.path.read_bytes()
    bad = api.call("PUT", "/api/settings", json={"values": {"backup_keep": 0, "radarr_url": "http://x"}})
    assert bad.status_code == 422
    assert bad.json["error"]["code"] == "invalid_setting"
    assert "backup_keep" in bad.json["error"]["fields"]
    assert store.path.read_bytes() == before
    unknown = api.call("PUT", "/api/settings", json={"values": {"nope": 1}})
    assert unknown.status_code == 422 and "nope" in unknown.json["error"]["fields"]
    not_json = api.call("PUT", "/api/settings", data="x", content_type="text/plain")
    assert not_json.status_code == 400 and not_json.json["error"]["code"] == "invalid_json"
    settings = api.client.application.extensions["mms"].settings.load()
    assert (settings.backup_keep, settings.sonarr_url) == (3, "http://nas:8989")


def test_field_set_by_environment_cannot_be_changed_in_ui(make_app, monkeypatch) -> None:
    from tests.conftest import ApiClient, create_admin

    monkeypatch.setenv("RADARR_URL", "http://env-radarr:7878")
    app = make_app()
    client = app.test_client()
    create_admin(client)
    api = ApiClient(client)
    response = api.call("PUT", "/api/settings", json={"values": {"radarr_url": "http://other:7878"}})
    assert response.status_code == 422
    assert "environnement" in response.json["error"]["fields"]["radarr_url"]  # said in French, next to the field
    view = {f["name"]: f for f in api.call("GET", "/api/settings").json["fields"]}
    assert view["radarr_url"]["source"] == "environment"
    assert 'name="radarr_url"' in client.get("/configuration").text


def test_secrets_never_reach_the_browser(api) -> None:
    secret = "S3cr3t-sonarr-key-0123456789"
    assert api.call("PUT", "/api/settings", json={"values": {"sonarr_api_key": secret,
                                                             "plex_token": "plex-tok-XYZ"}}).status_code == 200
    view = api.call("GET", "/api/settings")
    assert secret not in view.text and "plex-tok-XYZ" not in view.text
    fields = {f["name"]: f for f in view.json["fields"]}
    assert fields["sonarr_api_key"] == {**fields["sonarr_api_key"], "value": SECRET_MASK, "is_set": True}
    assert {f for f in fields if fields[f]["secret"]} == set(secret_fields())
    page = api.client.get("/configuration").text
    assert secret not in page and "plex-tok-XYZ" not in page
    # a secret sent back as null keeps its value
    api.call("PUT", "/api/settings", json={"values": {"sonarr_api_key": None, "backup_keep": 4}})
    assert api.client.application.extensions["mms"].settings.load().sonarr_api_key == secret


def test_changes_apply_without_restart(api) -> None:
    manager = api.client.application.extensions["mms"].settings
    assert manager.load().tmdb_language == "fr-FR"
    api.call("PUT", "/api/settings", json={"values": {"tmdb_language": "en-US"}})
    assert manager.load().tmdb_language == "en-US"
