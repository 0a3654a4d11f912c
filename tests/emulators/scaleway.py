"""The Scaleway Instances API v1 endpoints the official SDK (``scaleway``) calls for cloud burst, stateful.

Answers are built with the field names of the SDK's own types (``scaleway.instance.v1.types.Server``,
``ServerIp``, ``VolumeServer``, ``ServerType``): a test checks that each key sent is one of them. Auth is
the ``X-Auth-Token`` header (the secret key), as the SDK sends it. Errors answer ``{"message", "type"}`` like
the real API.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.emulators.base import Emulator, Reply, Request

ZONE = r"(?P<zone>[a-z]{2}-[a-z]{3}-\d)"
SERVER = r"(?P<id>[0-9a-f-]{36})"


class ScalewayEmulator(Emulator):
    """Instances in memory: :attr:`servers` (id -> server dict), :attr:`volumes`, :attr:`ips`,
    :attr:`user_data` ((server id, key) -> bytes), :attr:`actions` ((server id, action) in order)."""

    def __init__(self, secret_key: str, address: str = "127.0.0.1", hourly_price: float = 0.125):
        super().__init__()
        self.secret_key, self.address, self.hourly_price = secret_key, address, hourly_price
        self.servers: dict[str, dict[str, Any]] = {}
        self.volumes: set[str] = set()
        self.ips: set[str] = set()
        self.user_data: dict[tuple[str, str], bytes] = {}
        self.actions: list[tuple[str, str]] = []
        self._mac = itertools.count(1)
        base = rf"/instance/v1/zones/{ZONE}"
        self.route("GET", base + r"/products/servers", self._types)
        self.route("POST", base + r"/servers", self._create)
        self.route("GET", base + r"/servers", self._list)
        self.route("GET", base + rf"/servers/{SERVER}", self._get)
        self.route("DELETE", base + rf"/servers/{SERVER}", self._delete)
        self.route("POST", base + rf"/servers/{SERVER}/action", self._action)
        self.route("PATCH", base + rf"/servers/{SERVER}/user_data/(?P<key>[\w-]+)", self._set_user_data)
        self.route("DELETE", base + r"/ips/(?P<ip>[0-9a-f-]{36})", self._delete_ip)
        self.route("DELETE", base + r"/volumes/(?P<vol>[0-9a-f-]{36})", self._delete_volume)

    # -- helpers ---------------------------------------------------------------------------------------
    def authorize(self, request: Request) -> Reply | None:
        token = next((v for k, v in request.headers.items() if k.lower() == "x-auth-token"), None)
        if token != self.secret_key:
            return Reply(401, {"message": "authentication is denied", "type": "denied_authentication"})
        return None

    @staticmethod
    def _not_found(kind: str, ident: str) -> Reply:
        return Reply(404, {"message": "resource is not found", "resource": kind, "resource_id": ident,
                           "type": "not_found"})

    def _match(self, request: Request, pattern: str) -> dict[str, str]:
        import re

        return re.fullmatch(r"/instance/v1/zones/" + ZONE + pattern, request.path).groupdict()

    def add_server(self, name: str, tags: list[str], created: datetime, zone: str = "fr-par-1") -> str:
        """A server made outside MMS (or by an MMS that died), ``running``; its id."""
        server = self._make_server(name, "POP2-HC-8C-16G", tags, zone, created)
        server["state"] = "running"
        return server["id"]

    def _make_server(self, name: str, kind: str, tags: list[str], zone: str, created: datetime | None = None
                ) -> dict[str, Any]:
        server_id, volume_id, ip_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        stamp = (created or datetime.now(UTC)).isoformat()
        self.volumes.add(volume_id)
        self.ips.add(ip_id)
        server = {
            "id": server_id, "name": name, "organization": str(uuid.UUID(int=1)), "project": str(uuid.UUID(int=2)),
            "allowed_actions": ["poweron", "backup"], "tags": tags, "commercial_type": kind,
            "dynamic_ip_required": True, "hostname": name, "protected": False,
            "public_ips": [{"id": ip_id, "address": self.address, "gateway": "", "netmask": "32", "family": "inet",
                            "dynamic": True, "provisioning_mode": "dhcp", "tags": [], "ipam_id": "",
                            "state": "attached"}],
            "mac_address": f"de:00:00:00:00:{next(self._mac):02x}", "state": "stopped", "boot_type": "local",
            "volumes": {"0": {"id": volume_id, "boot": True, "volume_type": "sbs_volume", "zone": zone,
                              "name": f"{name}-boot", "state": "available"}},
            "maintenances": [], "state_detail": "", "arch": "x86_64", "private_nics": [], "zone": zone,
            "filesystems": [], "end_of_service": False, "creation_date": stamp, "routed_ip_enabled": True,
            "enable_ipv6": False, "image": None, "modification_date": stamp, "location": None, "ipv6": None,
            "security_group": None, "placement_group": None, "private_ip": None,
            "public_ip": None, "admin_password_encryption_ssh_key_id": None,
            "admin_password_encrypted_value": None,
        }
        self.servers[server_id] = server
        return server

    # -- handlers --------------------------------------------------------------------------------------
    def _types(self, request: Request) -> Reply:
        kind = {"monthly_price": round(self.hourly_price * 730, 2), "hourly_price": self.hourly_price,
                "alt_names": [], "per_volume_constraint": None, "volumes_constraint": None, "ncpus": 8, "gpu": 0,
                "ram": 16 * 1024 ** 3, "arch": "x86_64", "baremetal": False, "network": None, "capabilities": None,
                "scratch_storage_max_size": None, "block_bandwidth": 786432000, "end_of_service": False,
                "gpu_info": None, "scratch_storage_max_volumes_count": None}
        return Reply(200, {"servers": {"POP2-HC-8C-16G": kind}, "total_count": 1})

    def _create(self, request: Request) -> Reply:
        body = request.json() or {}
        if not body.get("commercial_type") or not body.get("name"):
            return Reply(400, {"message": "Validation Error", "fields": {"commercial_type": ["required"]},
                               "type": "invalid_arguments"})
        server = self._make_server(body["name"], body["commercial_type"], body.get("tags") or [],
                              self._match(request, r"/servers")["zone"])
        return Reply(201, {"server": server})

    def _list(self, request: Request) -> Reply:
        wanted = set((request.arg("tags") or "").split(",")) - {""}
        found = [s for s in self.servers.values() if wanted <= set(s["tags"])]
        return Reply(200, {"servers": found, "total_count": len(found)})

    def _get(self, request: Request) -> Reply:
        ident = self._match(request, rf"/servers/{SERVER}")["id"]
        server = self.servers.get(ident)
        if server is None:
            return self._not_found("instance_server", ident)
        if server["state"] == "starting":
            server["state"] = "running"  # it boots between two looks
            server["allowed_actions"] = ["poweroff", "terminate", "reboot", "stop_in_place", "backup"]
        return Reply(200, {"server": server})

    def _delete(self, request: Request) -> Reply:
        ident = self._match(request, rf"/servers/{SERVER}")["id"]
        server = self.servers.get(ident)
        if server is None:
            return self._not_found("instance_server", ident)
        if server["state"] != "stopped":
            return Reply(400, {"message": "instance must be stopped", "type": "precondition_failed"})
        del self.servers[ident]
        return Reply(204, b"")

    def _action(self, request: Request) -> Reply:
        ident = self._match(request, rf"/servers/{SERVER}/action")["id"]
        server = self.servers.get(ident)
        if server is None:
            return self._not_found("instance_server", ident)
        action = (request.json() or {}).get("action")
        self.actions.append((ident, action))
        if action == "poweron" and server["state"] == "stopped":
            server["state"] = "starting"
        elif action == "terminate" and server["state"] == "running":
            del self.servers[ident]  # the server, its local/SBS volumes and its dynamic IP go
            for volume in server["volumes"].values():
                self.volumes.discard(volume["id"])
            for ip in server["public_ips"]:
                if ip["dynamic"]:
                    self.ips.discard(ip["id"])
        else:
            return Reply(400, {"message": f"action {action} not allowed in state {server['state']}",
                               "type": "precondition_failed"})
        task = {"id": str(uuid.uuid4()), "description": action, "status": "pending", "href_from": "",
                "href_result": "", "progress": 0, "zone": server["zone"], "started_at": None, "terminated_at": None}
        return Reply(202, {"task": task})

    def _set_user_data(self, request: Request) -> Reply:
        found = self._match(request, rf"/servers/{SERVER}/user_data/(?P<key>[\w-]+)")
        if found["id"] not in self.servers:
            return self._not_found("instance_server", found["id"])
        self.user_data[(found["id"], found["key"])] = request.body
        return Reply(204, b"")

    def _delete_ip(self, request: Request) -> Reply:
        ident = self._match(request, r"/ips/(?P<ip>[0-9a-f-]{36})")["ip"]
        if ident not in self.ips:
            return self._not_found("instance_ip", ident)
        self.ips.discard(ident)
        return Reply(204, b"")

    def _delete_volume(self, request: Request) -> Reply:
        ident = self._match(request, r"/volumes/(?P<vol>[0-9a-f-]{36})")["vol"]
        if ident not in self.volumes:
            return self._not_found("instance_volume", ident)
        self.volumes.discard(ident)
        return Reply(204, b"")
