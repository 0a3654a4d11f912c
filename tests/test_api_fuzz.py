"""Every /api endpoint, fuzzed (issue 10, item 9): bodies generated from each route's pydantic model
(hypothesis-jsonschema), hostile shapes (deep nesting, huge strings, NUL bytes, wrong types, not JSON),
random path parameters and query strings. Any 500 or non-JSON answer fails. Bounded: a fixed number of
examples per route, upstream services pointed at closed loopback ports so every call fails fast."""

from __future__ import annotations

import inspect
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from tests.conftest import ApiClient, create_admin
from tests.services.common import free_port

EXAMPLES_PER_ROUTE = 12
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
                     lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children,
                                                                                       max_size=4), max_leaves=12)
_hostile = st.sampled_from([
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 40 + b"1" + b"}" * 40,
    b'{"values": {"media_root": "/x\\u0000y"}}',
    b'{"names": ["' + b"A" * 20000 + b'"]}',
    b"not json at all",
    b"",
    b"\xff\xfe\x00garbage",
    b'{"paths": ["../../etc/passwd", "/etc/shadow"]}',
    b'{"paths": [null, 3, {"x": 1}]}',
    b"[]",
    b"1e999999",
])


def from_schema(schema: dict, root: dict | None = None, depth: int = 0) -> st.SearchStrategy:
    """Values that mostly fit a pydantic JSON schema (types, enums, properties, ``$ref``, ``anyOf``),
    sometimes pushed past its limits (longer strings, larger numbers)."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return from_schema(root["$defs"][name], root, depth + 1)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return st.one_of([from_schema(s, root, depth + 1) for s in schema[key]])
    kind = schema.get("type")
    if depth > 6:
        return st.none()
    if kind == "string":
        return st.text(max_size=min(schema.get("maxLength", 60) + 5, 600))
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum", -10) - 1, max_value=schema.get("maximum", 10**6) + 1)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = from_schema(schema.get("items", {}), root, depth + 1)
        return st.lists(items, max_size=min(schema.get("maxItems", 5), 5))
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        extra = schema.get("additionalProperties")
        values = (st.dictionaries(st.text(max_size=20), from_schema(extra, root, depth + 1), max_size=3)
                  if isinstance(extra, dict) else st.just({}))
        return st.builds(lambda fixed, optional, more: {**more, **fixed, **optional},
                         st.fixed_dictionaries({k: from_schema(v, root, depth + 1) for k, v in props.items()
                                                if k in required}),
                         st.fixed_dictionaries({}, optional={k: from_schema(v, root, depth + 1)
                                                             for k, v in props.items() if k not in required}),
                         values)
    return _json



def _routes(app) -> list[tuple[str, str, object]]:
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        model = None
        source = inspect.getsource(view)
        found = re.search(r"parse_(?:body|query)\((\w+)\)", source)
        if found:
            model = view.__globals__.get(found.group(1))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.rule, method, model))
    return out


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    app = create_app({"TESTING": True, "INSTANCE_PATH": base / "instance", "BACKUP_PATH": base / "backups",
                      "SCHEDULER_ENABLED": False})
    closed = f"http://127.0.0.1:{free_port()}"
    app.extensions["mms"].settings.save({
        "plex_url": closed, "plex_token": "t", "sonarr_url": closed, "sonarr_api_key": "k", "radarr_url": closed,
        "radarr_api_key": "k", "prowlarr_url": closed, "prowlarr_api_key": "k", "qbittorrent_url": closed,
        "rtorrent_url": f"scgi://127.0.0.1:{free_port()}", "tmdb_url": closed, "tmdb_api_key": "k",
        "tvdb_url": closed, "tvdb_api_key": "k", "ollama_url": closed, "sftp_host": "127.0.0.1",
        "sftp_port": free_port(), "sftp_username": "u", "service_timeout_s": 1, "media_root": str(base / "media"),
        "staging_path": str(base / "staging"), "trailer_youtube_search": "off"})  # no test reaches YouTube
    client = app.test_client()
    create_admin(client)
    yield app, ApiClient(client)
    app.extensions["mms"].jobs.shutdown()


def _path(rule: str, values: list[str]) -> str:
    parts = iter(values)
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", lambda _m: quote(next(parts), safe="") or "x", rule)


#: Streams answer their own format when they succeed (errors stay JSON): server-sent events, NDJSON.
STREAMS = {"/api/events": "text/event-stream", "/api/assistant/chat": "application/x-ndjson"}


def _check(response, what) -> None:
    streamed = STREAMS.get(what[1].split("?")[0]) if response.status_code == 200 else None
    if streamed:
        assert response.mimetype == streamed, (what, response.content_type)
        response.close()
        return
    assert response.status_code != 500, (what, response.status_code, response.get_data()[:300])
    assert response.is_json, (what, response.status_code, response.content_type)




def pytest_generate_tests(metafunc):
    if "route" in metafunc.fixturenames:
        import tempfile
        from pathlib import Path

        base = Path(tempfile.mkdtemp(prefix="mms-fuzz-routes-"))
        app = create_app({"TESTING": True, "INSTANCE_PATH": base / "i", "BACKUP_PATH": base / "b",
                          "SCHEDULER_ENABLED": False})
        routes = _routes(app)
        app.extensions["mms"].jobs.shutdown()
        metafunc.parametrize("route", routes, ids=[f"{m} {r}" for r, m, _ in routes])


def test_every_api_route_answers_json_and_never_500(fuzz_client, route) -> None:
    _app, api = fuzz_client
    rule, method, model = route
    schema_bodies = from_schema(model.model_json_schema()) if model is not None and method != "GET" else _json
    bodies = st.one_of(schema_bodies.map(lambda b: ("json", b)), _json.map(lambda b: ("json", b)),
                       _hostile.map(lambda b: ("raw", b)))
    path_values = st.lists(st.text(max_size=30), min_size=3, max_size=3)
    queries = st.dictionaries(st.sampled_from(["limit", "id", "season", "source", "q", "path", "media_type",
                                               "service", "delete_data"]),
                              st.text(max_size=20), max_size=3)

    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(body=bodies, values=path_values, query=queries)
    def run(body, values, query) -> None:
        url = _path(rule, values)
        kind, payload = body
        kwargs = {"query_string": query}
        if method != "GET":
            if kind == "json":
                kwargs["json"] = payload
            else:
                kwargs["data"] = payload
                kwargs["content_type"] = "application/json"
        _check(api.call(method, url, **kwargs), (method, url, kind, str(payload)[:200]))

    run()


def test_double_slash_and_wrong_query_types_answer_json(fuzz_client) -> None:
    _app, api = fuzz_client
    for url in ("/api//health", "/api/jobs//x", "/api//jobs"):
        response = api.call("GET", url)
        assert response.status_code == 404 and response.is_json, url
    wrong = api.call("GET", "/api/plex/recent?limit=abc")
    assert wrong.status_code == 400 and "limit" in wrong.json["error"]["fields"]
    deep = api.call("PUT", "/api/settings", data=b'{"values":' * 40 + b"1" + b"}" * 40,
                    content_type="application/json")
    assert deep.status_code == 400 and "32" in deep.json["error"]["message"]
    huge = api.call("POST", "/api/releases/parse", json={"names": ["A" * 20_000]})
    assert huge.status_code == 422


def test_deep_bencode_and_deep_multipart_json_are_refused_cheaply(fuzz_client) -> None:
    import io

    _app, api = fuzz_client
    mapping = '{"media_type": "movie", "title": "Film", "tmdb_id": 1}'
    deep_torrent = b"d4:infod4:name1:a" + b"l" * 5000 + b"e" * 5000 + b"ee"
    answer = api.call("POST", "/api/seedbox/upload", content_type="multipart/form-data",
                      data={"torrent": (io.BytesIO(deep_torrent), "x.torrent"), "mapping": mapping})
    assert answer.status_code == 422 and "32" in answer.json["error"]["message"]
    deep_json = "[" * 5000 + "]" * 5000
    answer = api.call("POST", "/api/seedbox/upload", content_type="multipart/form-data",
                      data={"torrent": (io.BytesIO(b"d1:ai1ee"), "x.torrent"), "mapping": deep_json})
    assert answer.status_code == 400 and answer.is_json
