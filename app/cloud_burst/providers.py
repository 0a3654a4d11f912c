"""Where a burst runs: a Scaleway instance made for the run, or "your own host" (any Linux host over SSH).

Both answer the same calls: :meth:`Provider.hourly_price` (euros per hour, for the estimate),
:meth:`Provider.create` (a machine record, saved in the run before anything else happens, so the machine is
destroyed even if MMS dies right after), :meth:`Provider.wait_address`, :meth:`Provider.destroy` (idempotent:
a machine already gone is not an error) and :meth:`Provider.tagged_machines` (for the watchdog that destroys
MMS machines a run forgot).

Scaleway goes through its official Python SDK (``scaleway``, ``InstanceUtilsV1API``; API reference
"Instances API" v1): ``create_server`` with tags, ``set_server_user_data`` (``cloud-init``),
``server_action(poweron)``, ``get_server``, and at the end ``server_action(terminate)`` (deletes the server
with its local volumes), then ``delete_ip`` for a flexible IP and ``delete_volume`` for any volume left.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.utils.messages import N_, Refusal

#: The tag every machine MMS makes carries (the watchdog only ever destroys machines with it).
TAG = "mms-cloud-burst"
PROVIDERS = ("own_host", "scaleway")


class ProviderError(Refusal):
    """The provider refused or failed (the message says what); raised by every provider call."""

    code = "cloud_burst_provider"
    status = 502


def ssh_key(folder: Path) -> tuple[Path, str]:
    """MMS's own key for burst machines (``folder/ssh_ed25519``, made once, mode 0600): ``(private key path,
    public key line)``. Made with ``cryptography`` (paramiko cannot make Ed25519 keys)."""
    private = folder / "ssh_ed25519"
    public = folder / "ssh_ed25519.pub"
    if not private.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        raw = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
        private.touch(mode=0o600)
        private.write_bytes(raw)
        line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        public.write_text(line.decode() + " mms-cloud-burst\n")
    return private, public.read_text().strip()


def cloud_init(public_key: str) -> bytes:
    """The machine's cloud-init user data: MMS's key for root, Docker, rclone and FUSE installed at boot."""
    return (
        "#cloud-config\n"
        "disable_root: false\n"
        "users:\n  - name: root\n    ssh_authorized_keys:\n"
        f"      - {public_key}\n"
        "package_update: true\n"
        "packages: [docker.io, rclone, fuse3, sqlite3]\n"
        "runcmd:\n  - [systemctl, enable, --now, docker]\n"
    ).encode()


class Provider:
    """The interface; see the module text. ``settings`` is the app's :class:`Settings`."""

    name = ""

    def __init__(self, settings: Any):
        self.settings = settings

    def hourly_price(self) -> float:
        """Euros per hour (0 for your own host)."""
        return 0.0

    def create(self, run_id: str, public_key: str) -> dict[str, Any]:
        """A new machine record ``{"provider", "id", "host", "port", "username", "created_at", ...}``."""
        raise NotImplementedError

    def wait_address(self, machine: dict[str, Any], timeout: float) -> dict[str, Any]:
        """The record with ``host`` set once the machine runs. Raises :class:`ProviderError` after
        ``timeout`` seconds."""
        return machine

    def destroy(self, machine: dict[str, Any]) -> None:
        """Destroy the machine and what was made with it; nothing when it is gone already."""

    def tagged_machines(self) -> list[dict[str, Any]]:
        """MMS's machines at the provider: ``[{"id", "name", "created_at" (ISO), "tags"}]``."""
        return []


class OwnHost(Provider):
    """A Linux host of yours (``cloud_burst_host``): nothing to make or destroy; MMS only cleans its run
    folder there."""

    name = "own_host"

    def create(self, run_id: str, public_key: str) -> dict[str, Any]:
        s = self.settings
        if not s.cloud_burst_host:
            raise ProviderError(N_("set CLOUD_BURST_HOST (the host that runs the scans)"), status=422)
        return {"provider": self.name, "id": s.cloud_burst_host, "host": s.cloud_burst_host,
                "port": s.cloud_burst_ssh_port, "username": s.cloud_burst_ssh_user,
                "key_path": s.cloud_burst_ssh_key_path, "created_at": _now()}


class Scaleway(Provider):
    """A Scaleway instance (``scaleway_*`` settings), tagged :data:`TAG` and the run id."""

    name = "scaleway"

    def _api(self):
        from scaleway import Client
        from scaleway.instance.v1.custom_api import InstanceUtilsV1API

        s = self.settings
        if not (s.scaleway_access_key and s.scaleway_secret_key and s.scaleway_project_id):
            raise ProviderError(N_("set SCALEWAY_ACCESS_KEY, SCALEWAY_SECRET_KEY and SCALEWAY_PROJECT_ID"),
                                status=422)
        client = Client(access_key=s.scaleway_access_key, secret_key=s.scaleway_secret_key,
                        default_project_id=s.scaleway_project_id, default_zone=s.scaleway_zone,
                        api_url=s.scaleway_api_url.rstrip("/"))
        try:
            return InstanceUtilsV1API(client)
        except ValueError as exc:  # the SDK's own format checks of the keys
            raise ProviderError(N_("Scaleway refuses the settings: %(reason)s"), reason=str(exc), status=422) from None

    def _call(self, what: str, fn, *args, **kwargs):
        from scaleway_core.api import ScalewayException

        try:
            return fn(*args, **kwargs)
        except ScalewayException as exc:
            if exc.status_code == 404:
                raise
            raise ProviderError(N_("Scaleway refused %(what)s (HTTP %(http)s)"), what=what,
                                http=exc.status_code) from None
        except OSError as exc:
            raise ProviderError(N_("Scaleway does not answer (%(reason)s)"), reason=type(exc).__name__) from None

    def hourly_price(self) -> float:
        api = self._api()
        types = self._call("the price list", api.list_servers_types, zone=self.settings.scaleway_zone)
        kind = types.servers.get(self.settings.scaleway_commercial_type)
        if kind is None:
            raise ProviderError(N_("Scaleway has no instance type %(kind)s in %(zone)s"),
                                kind=self.settings.scaleway_commercial_type, zone=self.settings.scaleway_zone,
                                status=422)
        return float(kind.hourly_price or 0.0)

    def create(self, run_id: str, public_key: str) -> dict[str, Any]:
        s, api = self.settings, self._api()
        made = self._call("the new instance", api.create_server, zone=s.scaleway_zone,
                          commercial_type=s.scaleway_commercial_type, name=f"mms-burst-{run_id}",
                          image=s.scaleway_image, tags=[TAG, f"run:{run_id}"], dynamic_ip_required=True)
        server = made.server
        machine = {"provider": self.name, "id": server.id, "host": "", "port": s.cloud_burst_ssh_port,
                   "username": "root", "key_path": "", "created_at": _now(), "zone": s.scaleway_zone,
                   "volumes": [v.id for v in (server.volumes or {}).values()], "ips": []}
        return machine

    def start(self, machine: dict[str, Any], public_key: str) -> None:
        """Give the machine its cloud-init user data and power it on."""
        api = self._api()
        self._call("the user data", api.set_server_user_data, server_id=machine["id"], key="cloud-init",
                   content=cloud_init(public_key), zone=machine["zone"])
        self._call("power on", api.server_action, server_id=machine["id"], action="poweron", zone=machine["zone"])

    def wait_address(self, machine: dict[str, Any], timeout: float) -> dict[str, Any]:
        api = self._api()
        deadline = time.monotonic() + timeout
        while True:
            server = self._call("the instance", api.get_server, server_id=machine["id"], zone=machine["zone"]).server
            ips = list(server.public_ips or [])
            if server.state == "running" and ips:
                return {**machine, "host": ips[0].address,
                        "ips": [{"id": ip.id, "dynamic": bool(ip.dynamic)} for ip in ips],
                        "volumes": sorted(set(machine.get("volumes", [])) |
                                          {v.id for v in (server.volumes or {}).values()})}
            if time.monotonic() > deadline:
                raise ProviderError(N_("the instance did not start within %(seconds)s s (state %(state)s)"),
                                    seconds=int(timeout), state=str(server.state))
            time.sleep(2)

    def destroy(self, machine: dict[str, Any]) -> None:
        from scaleway_core.api import ScalewayException

        api, zone = self._api(), machine.get("zone") or self.settings.scaleway_zone
        deadline = time.monotonic() + 600
        while True:
            try:
                server = self._call("the instance", api.get_server, server_id=machine["id"], zone=zone).server
            except ScalewayException:  # 404: gone
                break
            if str(server.state) == "running":
                self._call("terminate", api.server_action, server_id=machine["id"], action="terminate", zone=zone)
            elif str(server.state) == "stopped":
                try:
                    self._call("the deletion", api.delete_server, server_id=machine["id"], zone=zone)
                except ScalewayException:
                    break
            if time.monotonic() > deadline:
                raise ProviderError(N_("the instance %(id)s is still there after 10 minutes"), id=machine["id"])
            time.sleep(2)
        for ip in machine.get("ips", []):
            if not ip.get("dynamic"):
                with contextlib.suppress(ScalewayException):
                    self._call("the IP deletion", api.delete_ip, ip=ip["id"], zone=zone)
        for volume in machine.get("volumes", []):
            with contextlib.suppress(ScalewayException):
                self._call("the volume deletion", api.delete_volume, volume_id=volume, zone=zone)

    def tagged_machines(self) -> list[dict[str, Any]]:
        api = self._api()
        listed = self._call("the instance list", api.list_servers, zone=self.settings.scaleway_zone, tags=[TAG])
        return [{"id": s.id, "name": s.name, "tags": list(s.tags or []), "zone": self.settings.scaleway_zone,
                 "created_at": s.creation_date.astimezone(UTC).isoformat(timespec="seconds")
                 if s.creation_date else None} for s in listed.servers]


def provider(settings: Any, name: str | None = None) -> Provider:
    """The provider ``name`` (the ``cloud_burst_provider`` setting by default). Raises :class:`ProviderError`
    for an unknown one."""
    chosen = name or settings.cloud_burst_provider
    if chosen == "scaleway":
        return Scaleway(settings)
    if chosen == "own_host":
        return OwnHost(settings)
    raise ProviderError(N_("unknown provider %(name)s"), name=chosen, status=422)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
