"""Notifications through Apprise for real (issue 17, item 4): Apprise sends to a local HTTP receiver
(``json://``) and to an ntfy-compatible local endpoint (``ntfy://``). Events published by the pipeline reach
the targets that want them; 40 imports go as one message; a failing target is logged, retried later, shown on
the health summary, and never slows the pipeline nor the other targets."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.notifications import service
from app.utils.stores.mapping_manager import Mapping


class Receiver:
    """A local HTTP endpoint recording each POST (path, JSON body); ``status`` is what it answers."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    receiver.received.append((self.path, json.loads(body or b"{}")))
                except ValueError:
                    receiver.received.append((self.path, {"raw": body.decode("utf-8", "replace")}))
                answer = json.dumps({"id": "abc", "time": 1, "event": "message", "topic": "mms"}).encode()
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made = [Receiver(), Receiver()]
    yield made
    for r in made:
        r.stop()


def _later(seconds: int = 61) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _import(app, n: int) -> None:
    mapping = Mapping(media_type="movie", title=f"Film {n}", year=2020, tmdb_id=1000 + n)
    info_hash = f"{n:040X}"
    mms = app.extensions["mms"]
    mms.mapping.add(info_hash, f"Film.{n}.2020.MULTi.1080p.WEB.x264-GRP", mapping)
    for state in ("completed", "transferring", "transferred", "importing", "imported"):
        mms.mapping.transition(info_hash, state)


def test_forty_imports_go_as_one_message_and_each_target_gets_its_events(app, receivers) -> None:
    json_rx, ntfy_rx = receivers
    with app.app_context():
        service.add(service.TargetIn(name="Maison", url=f"json://127.0.0.1:{json_rx.port}/hook",
                                     events=["imported", "import_failed"]))
        service.add(service.TargetIn(name="ntfy", url=f"ntfy://127.0.0.1:{ntfy_rx.port}/mms",
                                     events=["grabbed"]))
        for n in range(40):
            _import(app, n)
        assert service.flush(datetime.now(UTC)) == {"sent": 0, "failed": 0, "waiting": 80}  # grouped: not yet
        counts = service.flush(_later())
    assert counts == {"sent": 2, "failed": 0, "waiting": 0}
    [(path, message)] = json_rx.received
    assert path == "/hook" and message["title"] == "MMS · Importé (40)"
    assert "• Film 0" in message["message"] and "… et 30 de plus" in message["message"]
    [(_, grabbed)] = ntfy_rx.received
    assert grabbed["topic"] == "mms" and "Envoyée au client torrent (40)" in grabbed["title"]


def test_a_failing_target_is_retried_later_and_never_blocks(app, receivers) -> None:
    good, bad = receivers
    bad.status = 500
    with app.app_context():
        service.add(service.TargetIn(name="Bon", url=f"json://127.0.0.1:{good.port}/", events=["imported"]))
        broken = service.add(service.TargetIn(name="Cassé", url=f"json://127.0.0.1:{bad.port}/",
                                              events=["imported"]))
        _import(app, 1)
        counts = service.flush(_later())
        assert counts == {"sent": 1, "failed": 1, "waiting": 1}
        assert len(good.received) == 1 and len(bad.received) == 1
        [item] = service.store().read()["queue"]
        assert item["attempts"] == 1 and item["target"] == broken["id"] and "500" in item["error"]
        assert [p["subject"] for p in service.problems(app)] == ["Cassé"]
        # not retried before its back-off; retried after it, and delivered once the target is back
        assert service.flush(_later(62))["failed"] == 0 and len(bad.received) == 1
        bad.status = 200
        assert service.flush(_later(61 + 61))["sent"] == 1
        assert len(bad.received) == 2 and service.store().read()["queue"] == []
        assert service.problems(app) == []
        assert [(r["name"], r["ok"]) for r in service.recent()] == [("Cassé", True), ("Cassé", False), ("Bon", True)]


def test_targets_over_the_api_with_a_test_message_and_masked_secrets(api, receivers) -> None:
    rx = receivers[0]
    bad = api.call("POST", "/api/notifications/targets", json={"name": "x", "url": "nope://what", "events": []})
    assert bad.status_code == 422 and "url" in bad.json["error"]["fields"]
    unknown = api.call("POST", "/api/notifications/targets",
                       json={"name": "x", "url": f"json://127.0.0.1:{rx.port}/", "events": ["nope"]})
    assert unknown.status_code == 422 and "events" in unknown.json["error"]["fields"]
    added = api.call("POST", "/api/notifications/targets",
                     json={"name": "Discord", "url": "discord://123456/secret-webhook-token", "events": ["imported"]})
    assert added.status_code == 201 and "secret-webhook-token" not in added.text
    local = api.call("POST", "/api/notifications/targets",
                     json={"name": "Local", "url": f"json://127.0.0.1:{rx.port}/t", "events": []}).json
    sent = api.call("POST", f"/api/notifications/targets/{local['id']}/test")
    assert sent.status_code == 200 and sent.json == {"ok": True, "error": None}
    assert rx.received[0][1]["message"] == "Notification de test de MediaManagerSuite"
    page = api.client.get("/notifications")
    assert page.status_code == 200 and "secret-webhook-token" not in page.text and "Discord" in page.text
    changed = api.call("PUT", f"/api/notifications/targets/{local['id']}", json={"events": ["backup_failed"],
                                                                               "enabled": False})
    assert changed.json["events"] == ["backup_failed"] and changed.json["enabled"] is False
    assert api.call("DELETE", f"/api/notifications/targets/{local['id']}").status_code == 204
    assert api.call("DELETE", f"/api/notifications/targets/{local['id']}").status_code == 404


def test_a_failed_backup_and_a_failed_cloud_burst_reach_their_targets(app, receivers, monkeypatch) -> None:
    from app.configuration import service as configuration

    rx = receivers[0]
    with app.app_context():
        service.add(service.TargetIn(name="Alertes", url=f"json://127.0.0.1:{rx.port}/",
                                     events=["backup_failed", "cloud_burst_failed"]))

        def broken() -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(configuration, "create_backup", broken)
        with pytest.raises(OSError):
            configuration.run_scheduled_backup()
        app.extensions["mms"].events.publish(
            "cloud_burst_failed", msgid="cloud burst run %(id)s failed: %(reason)s",
            params={"id": "ab12cd34", "reason": {"msgid": "the run passed its time limit (%(hours)s h)",
                                                 "params": {"hours": "72"}}})
        app.extensions["mms"].events.publish("something.else", title="ignored")
        assert service.flush(_later()) == {"sent": 2, "failed": 0, "waiting": 0}
    bodies = sorted(message["message"] for _path, message in rx.received)
    assert bodies[0] == "l'exécution cloud burst ab12cd34 a échoué : l'exécution a dépassé sa durée maximale (72 h)"
    assert "la sauvegarde a échoué" in bodies[1] and "No space left" in bodies[1]
