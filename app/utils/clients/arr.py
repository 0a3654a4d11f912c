"""What Sonarr v3, Radarr v3 and Prowlarr v1 share: ``/api/vN``, ``X-Api-Key``, commands, result models.

Source: ``shared/specs/sonarr/openapi-v3.json``, ``radarr/openapi-v3.json``,
``prowlarr/openapi-v1.json``. Reads are retried with backoff (idempotent);
commands and additions are sent once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from app.utils.clients.base import CONNECT_TIMEOUT_S, ConnectionReport, HttpClient, not_configured, run_connection_test
from app.utils.clients.errors import UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable
from app.utils.settings_schema import Settings

M = TypeVar("M", bound=BaseModel)

#: Attempts of an idempotent read before giving up (the first try included).
READ_ATTEMPTS = 3

#: Retry policy of idempotent reads: refused/5xx answers, not timeouts (already slow) nor 4xx.
retry_read = retry(
    reraise=True,
    stop=stop_after_attempt(READ_ATTEMPTS),
    wait=wait_exponential(multiplier=0.2, max=2),
    retry=retry_if_exception(lambda e: isinstance(e, UpstreamUnavailable) and not isinstance(e, UpstreamTimeout)),
)


class ArrModel(BaseModel):
    """Base of the *arr result models: camelCase on the wire, snake_case here, unknown keys ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    @property
    def poster_url(self) -> str | None:
        """The ``remoteUrl`` of the poster in ``images`` (``MediaCover`` resource), or ``None``."""
        for image in getattr(self, "images", None) or []:
            if isinstance(image, dict) and image.get("coverType") == "poster" and image.get("remoteUrl"):
                return str(image["remoteUrl"])
        return None


class RootFolder(ArrModel):
    """``GET /rootfolder``: where new series/movies go; ``free_space`` in bytes."""

    id: int
    path: str
    accessible: bool = True
    free_space: int | None = None


class QualityProfile(ArrModel):
    """``GET /qualityprofile``."""

    id: int
    name: str


class Command(ArrModel):
    """``POST/GET /command``: ``status`` is queued, started, completed, failed, aborted, cancelled."""

    id: int
    name: str
    status: str = "queued"
    message: str | None = None
    body: dict[str, Any] = Field(default_factory=dict)


class ManualImportItem(ArrModel):
    """``GET /manualimport``: a file the *arr would import, with what it matched and why it refuses."""

    id: int | None = None
    path: str
    relative_path: str | None = None
    name: str | None = None
    size: int = 0
    season_number: int | None = None
    episodes: list[dict[str, Any]] = Field(default_factory=list)
    series: dict[str, Any] | None = None
    movie: dict[str, Any] | None = None
    quality: dict[str, Any] | None = None
    languages: list[dict[str, Any]] = Field(default_factory=list)
    download_id: str | None = None
    rejections: list[dict[str, Any]] = Field(default_factory=list)


def parse_model(service: str, model: type[M], data: Any) -> M:
    """Validate one upstream object; raises :class:`UpstreamBadResponse` naming what is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise UpstreamBadResponse(service, f"unexpected {model.__name__} ({where}: {first['msg']})") from None


def parse_list(service: str, model: type[M], data: Any) -> list[M]:
    """Validate a JSON array of objects; raises :class:`UpstreamBadResponse`."""
    if not isinstance(data, list):
        raise UpstreamBadResponse(service, f"expected a list of {model.__name__}, got {type(data).__name__}")
    return [parse_model(service, model, item) for item in data]


class ArrClient(HttpClient):
    """Base of the *arr clients; subclasses set ``SERVICE``, ``API`` and their settings names."""

    SERVICE = "*arr"
    API = "/api/v3"
    URL_SETTING = ""
    KEY_SETTING = ""

    def __init__(self, base_url: str, api_key: str, **kwargs: Any):
        super().__init__(
            self.SERVICE,
            base_url,
            auth_setting=self.KEY_SETTING.upper(),
            headers={"X-Api-Key": api_key, "Accept": "application/json"},
            **kwargs,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ArrClient:
        """A client for the URL and API key in ``settings``, with the settings' timeout."""
        return cls(getattr(settings, cls.URL_SETTING), getattr(settings, cls.KEY_SETTING),
                   timeout=(CONNECT_TIMEOUT_S, settings.service_timeout_s))

    # -- helpers ---------------------------------------------------------------------------
    @retry_read
    def _get(self, path: str, **params: Any) -> Any:
        return self.get_json(f"{self.API}/{path}", params={k: v for k, v in params.items() if v is not None})

    def _get_list(self, model: type[M], path: str, **params: Any) -> list[M]:
        return parse_list(self.SERVICE, model, self._get(path, **params))

    def _get_one(self, model: type[M], path: str, **params: Any) -> M:
        return parse_model(self.SERVICE, model, self._get(path, **params))

    def _post(self, model: type[M], path: str, body: Any) -> M:
        return parse_model(self.SERVICE, model, self.send_json("POST", f"{self.API}/{path}", body))

    def _move(self, model: type[M], resource: str, item_id: int, root_folder_path: str, path: str) -> M:
        """``PUT /{resource}/{id}?moveFiles=true`` with the item's new ``rootFolderPath`` and ``path`` (the
        service's view of the paths): the service moves the files in its own queue. Sent once."""
        body = self._get(f"{resource}/{int(item_id)}")
        body.update(rootFolderPath=root_folder_path, path=path)
        return parse_model(self.SERVICE, model, self.send_json("PUT", f"{self.API}/{resource}/{int(item_id)}", body,
                                                               params={"moveFiles": "true"}))

    def _delete(self, resource: str, item_id: int, **params: Any) -> None:
        """``DELETE /{resource}/{id}`` (``deleteFiles``, import-list exclusion...). Sent once."""
        self.request("DELETE", f"{self.API}/{resource}/{int(item_id)}",
                     params={k: "true" if v else "false" for k, v in params.items()})

    # -- shared endpoints --------------------------------------------------------------------
    #: ``GET /history/since`` event type of a deleted file, the flag that includes the item, and the item's
    #: external id field (set by subclasses).
    FILE_DELETED: tuple[str, str, str, str] = ("", "", "", "")

    def file_deletions(self, since: datetime) -> list[tuple[int, str]]:
        """Files the service deleted since ``since`` (aware datetime): ``GET /history/since?date=&eventType=``
        (Radarr ``movieFileDeleted``, Sonarr ``episodeFileDeleted``, with the item included), as
        ``[(tmdb or tvdb id, reason)]``; ``reason`` is the service's (``Manual``, ``MissingFromDisk``,
        ``Upgrade``...) or ``""``. Raises ``UpstreamError``."""
        event, include, item, external = self.FILE_DELETED
        records = self._get("history/since", date=since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            eventType=event, **{include: "true"})
        out = []
        for record in records if isinstance(records, list) else []:
            found = (record.get(item) or {}).get(external) if isinstance(record, dict) else None
            if isinstance(found, int) and found > 0:
                out.append((found, str((record.get("data") or {}).get("reason") or "")))
        return out

    def system_status(self) -> dict:
        """``GET {API}/system/status``: ``{"appName", "version", ...}``."""
        status = self._get("system/status")
        if not isinstance(status, dict) or "version" not in status:
            raise UpstreamBadResponse(self.SERVICE, "system/status has no version")
        return status

    def root_folders(self) -> list[RootFolder]:
        """``GET {API}/rootfolder``."""
        return self._get_list(RootFolder, "rootfolder")

    def quality_profiles(self) -> list[QualityProfile]:
        """``GET {API}/qualityprofile``."""
        return self._get_list(QualityProfile, "qualityprofile")

    def command(self, name: str, **body: Any) -> Command:
        """``POST {API}/command`` with ``{"name": name, **body}`` (sent once, not retried)."""
        return self._post(Command, "command", {"name": name, **body})

    def command_status(self, command_id: int) -> Command:
        """``GET {API}/command/{id}``."""
        return self._get_one(Command, f"command/{command_id}")

    def downloaded_scan(self, command: str, path: str, download_client_id: str | None = None,
                        import_mode: str = "Move") -> Command:
        """``DownloadedEpisodesScan`` / ``DownloadedMoviesScan``: import what is in ``path`` (the *arr's view)."""
        body: dict[str, Any] = {"path": path, "importMode": import_mode}
        if download_client_id:
            body["downloadClientId"] = download_client_id
        return self.command(command, **body)

    def manual_import_candidates(self, folder: str, **filters: Any) -> list[ManualImportItem]:
        """``GET {API}/manualimport?folder=...``: what the *arr would import from ``folder``."""
        return self._get_list(ManualImportItem, "manualimport", folder=folder, filterExistingFiles="false",
                              **filters)

    def manual_import(self, files: list[dict[str, Any]], import_mode: str = "move") -> Command:
        """Import chosen files: the ``ManualImport`` command (``files`` as ``GET manualimport`` items
        with the ids the user chose; ``import_mode`` is ``move`` or ``copy``)."""
        return self.command("ManualImport", files=files, importMode=import_mode)

    @classmethod
    def test_connection(cls, settings: Settings) -> ConnectionReport:
        """Reach the service and check the API key; see :class:`ConnectionReport`."""
        if not getattr(settings, cls.URL_SETTING) or not getattr(settings, cls.KEY_SETTING):
            return not_configured(cls.SERVICE, f"{cls.URL_SETTING.upper()} / {cls.KEY_SETTING.upper()}")
        client = cls.from_settings(settings)

        def probe() -> str:
            status = client.system_status()
            return f"{status.get('appName', cls.SERVICE)} {status['version']}"

        return run_connection_test(cls.SERVICE, probe)
