"""Live updates (issue 17, item 5): the /api/events stream on a real HTTP server carries what MMS publishes,
each event to its audience (a user sees their own requests, not the pipeline), notifications as toasts in the
reader's language, resumes after Last-Event-ID (a reset when events were lost), and holds at most
``live_max_streams`` threads: past them a stream answers at once and tells the browser when to come back."""

from __future__ import annotations

import threading

import pytest
import requests

from app.live import service as live_service
from tests.live_server import LiveServer
from tests.sse import Stream, signed_in
from tests.waiting import wait_for

PASSWORD = "a-long-password"


@pytest.fixture
def server(make_app):
    app = make_app()
    live = LiveServer(app)
    yield app, live.url
    live_service.shutdown(app)
    live.stop()


def _publish(app, kind: str, **data) -> None:
    app.extensions["mms"].events.publish(kind, **data)


def test_events_reach_the_stream_and_resume_after_the_last_id(server) -> None:
    app, url = server
    admin = signed_in(url, "admin", PASSWORD, setup=True)
    stream = Stream(admin, url)
    wait_for(lambda: "connected" in stream.comments, timeout=10, what="the stream to open")
    assert stream.retry == 2000
    _publish(app, "pipeline.state", info_hash="A" * 40, state="imported", title="Heat", release="Heat.1995")
    frame = stream.next("pipeline.state")
    assert frame["data"]["info_hash"] == "A" * 40 and frame["data"]["state"] == "imported"
    toast = stream.next("toast")
    assert toast["data"]["event"] == "imported" and toast["data"]["title"] == "Importé"  # French, the default
    assert "Heat" in toast["data"]["text"]
    last = toast["id"]
    stream.close()
    # two events while the browser is away: it gets exactly those when it comes back with its last id
    _publish(app, "job.finished", job="backup", status="ok")
    _publish(app, "pipeline.added", info_hash="B" * 40, title="Ronin")
    again = Stream(admin, url, last_event_id=last)
    kinds = [again.next()["event"] for _ in range(3)]
    assert kinds == ["job.finished", "pipeline.added", "toast"]
    again.close()
    # an id of another run of MMS (a restart): the page is told to reload its state
    other = Stream(admin, url, last_event_id="ffffff-3")
    assert other.next()["event"] == "reset"
    other.close()


def test_each_event_reaches_its_audience(server) -> None:
    app, url = server
    admin = signed_in(url, "admin", PASSWORD, setup=True)
    users = app.extensions["mms"].users
    users.create_user("paul", PASSWORD, "user")
    users.create_user("anna", PASSWORD, "user")
    paul = Stream(signed_in(url, "paul", PASSWORD), url)
    watcher = Stream(admin, url)
    for stream in (paul, watcher):
        wait_for(lambda s=stream: "connected" in s.comments, timeout=10, what="the streams to open")
    _publish(app, "pipeline.state", info_hash="C" * 40, state="transferring", title="Heat")
    _publish(app, "request.changed", id="r1", owner="anna", title="Heat", state="approved", previous="pending")
    _publish(app, "request.changed", id="r2", owner="paul", title="Ronin", state="approved", previous="pending")
    _publish(app, "request_approved", owner="paul", msgid="%(subject)s", params={"subject": "Ronin — paul"})
    _publish(app, "cloud_burst.run", id="run1", state="scanning")
    assert [watcher.next()["event"] for _ in range(6)] == ["pipeline.state", "request.changed", "request.changed",
                                                          "request_approved", "toast", "cloud_burst.run"]
    mine = paul.next("request.changed")
    assert mine["data"]["id"] == "r2"  # anna's request, the pipeline and cloud burst are not his to see
    toast = paul.next("toast")
    assert toast["data"]["event"] == "request_approved" and "Ronin" in toast["data"]["text"]
    _publish(app, "request.changed", id="r3", owner="paul", title="Thief", state="pending", previous=None)
    assert paul.next()["data"]["id"] == "r3"
    paul.close()
    watcher.close()


def test_an_anonymous_stream_is_refused(server) -> None:
    _app, url = server
    answer = requests.get(url + "/api/events", headers={"Accept": "text/event-stream"}, timeout=5)
    assert answer.status_code == 401 and answer.json()["error"]["code"]


def test_streams_past_the_setting_answer_at_once_and_come_back_later(server) -> None:
    app, url = server
    app.extensions["mms_live"].slots = threading.BoundedSemaphore(1)
    admin = signed_in(url, "admin", PASSWORD, setup=True)
    held = Stream(admin, url)
    wait_for(lambda: "connected" in held.comments, timeout=10, what="the first stream")
    assert app.extensions["mms_live"].open_streams == 1
    _publish(app, "job.started", job="backup", trigger="manual")
    first = held.next("job.started")
    _publish(app, "job.finished", job="backup", status="ok")
    # the second browser gets what it missed since its last id, is told to come back in live_poll_s, and closes
    polling = Stream(admin, url, last_event_id=first["id"])
    assert polling.ended.wait(10)
    assert polling.retry == 10_000
    assert [f["event"] for f in polling.drain()] == ["job.finished"]
    polling.close()
    held.close()
    _publish(app, "job.started", job="ping", trigger="manual")  # the server writes, sees the closed socket
    wait_for(lambda: app.extensions["mms_live"].open_streams == 0, timeout=10, what="the slot to be freed")
    again = Stream(admin, url)
    wait_for(lambda: "connected" in again.comments, timeout=10, what="a stream in the freed slot")
    again.close()


def test_a_disabled_account_loses_its_stream(server, monkeypatch) -> None:
    monkeypatch.setattr(live_service, "HEARTBEAT_S", 0.2)
    app, url = server
    signed_in(url, "admin", PASSWORD, setup=True)
    app.extensions["mms"].users.create_user("paul", PASSWORD, "user")
    stream = Stream(signed_in(url, "paul", PASSWORD), url)
    wait_for(lambda: "ping" in stream.comments, timeout=10, what="a heartbeat")
    app.extensions["mms"].users.update_user("paul", disabled=True)
    assert stream.ended.wait(10)
    stream.close()
