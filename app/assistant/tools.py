"""The chat's tools (Ollama tool calling, ``api.md`` "Chat request (Streaming with tools)"): what each does,
its JSON schema, and the lowest role that may use it. Tools that read answer data; tools that would change
something (``propose_*``) only record a proposal the user confirms in the page (:func:`confirm_proposal`):
nothing changes without that click. A requester (role ``user``) has the reading tools on the library and
``propose_request`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.assistant import facts as facts_module
from app.assistant.report import ReportRefused
from app.auth.roles import at_least
from app.extensions import managers
from app.utils.messages import N_

#: Rows a reading tool answers at most.
ROWS = 15


def _search_library(query: str) -> list[dict[str, Any]]:
    from app.upgrades.service import library_items
    from app.utils.text import fold

    words = fold(query).split()
    out = []
    for item in library_items(managers().settings.load()):
        if all(w in fold(item["title"]) for w in words):
            current = item["current"]
            out.append({"key": item["key"], "title": item["title"], "year": item.get("year"),
                        "season": item.get("season"), "audio": current.audio_class, "resolution": current.resolution,
                        "codec": current.codec, "files": len(item["files"]), "size_bytes": current.size})
    return out[:ROWS]


def _library_stats() -> dict[str, Any]:
    from app.quality.service import summary

    measured = facts_module.measure()
    quality = summary()
    return {"score": measured["score"], "library_items": measured["library_items"],
            "signals": {s["id"]: s["count"] for s in measured["signals"]},
            "files_by_audio": quality["audio"], "files_by_resolution": quality["resolution"]}


def _watch_history(title: str) -> list[dict[str, Any]]:
    from app.archive.service import search

    found = search(text=title, page_size=ROWS)
    return [{"title": r["title"], "year": r.get("year"), "media_type": r["media_type"], "plays": r["plays"],
             "in_library": r.get("in_library"),
             "accounts": [{"name": h.get("name"), "plays": h.get("plays"), "last": h.get("last")}
                          for h in r.get("history") or []]} for r in found["items"]]


def _follows() -> list[dict[str, Any]]:
    from app.follows.service import follows

    return [{"title": f["title"], "year": f.get("year"), "tvdb_id": f.get("tvdb_id"), "mode": f["mode"],
             "episodes": len(f.get("episodes", {}))} for f in follows()][:ROWS]


def _search_releases(query: str, kind: str = "movie", season: int | None = None) -> list[dict[str, Any]]:
    from app.search.service import SearchParams, search_answered

    params = SearchParams(query=query, kind="tvsearch" if kind == "tv" else "movie", season=season)
    answer = search_answered(params)
    return [{"result_id": r["id"], "release": r["name"], "score": r["score"], "size_bytes": r.get("size"),
             "seeders": r.get("seeders"), "audio": r.get("audio_class"), "resolution": r.get("resolution")}
            for r in answer["results"][:ROWS]]


def _upgrades() -> list[dict[str, Any]]:
    from app.upgrades.service import candidates

    return [{"candidate_id": c["id"], "title": c["title"], "release": c["release"], "audio": c.get("audio_class")}
            for c in candidates("pending")][:ROWS]


def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _integer(description: str) -> dict[str, Any]:
    return {"type": "integer", "description": description}


#: name -> (lowest role, description, parameters, required, function or None for a proposal)
TOOLS: dict[str, tuple[str, str, dict[str, Any], list[str], Callable[..., Any] | None]] = {
    "search_library": ("user", "Chercher dans la bibliothèque par titre (films et saisons, langue audio, "
                       "résolution, codec).", {"query": _string("mots du titre")}, ["query"], _search_library),
    "library_stats": ("user", "Statistiques de la bibliothèque : score de santé, nombres par problème, fichiers "
                      "par langue audio et par résolution.", {}, [], _library_stats),
    "watch_history": ("power", "Historique de visionnage archivé d'un titre (lectures, comptes, dernière vue).",
                      {"title": _string("mots du titre")}, ["title"], _watch_history),
    "list_follows": ("power", "Les séries suivies.", {}, [], _follows),
    "search_releases": ("power", "Chercher des releases sur les indexeurs.",
                        {"query": _string("titre"), "kind": {"type": "string", "enum": ["movie", "tv"]},
                         "season": _integer("saison (séries)")}, ["query"], _search_releases),
    "list_upgrades": ("power", "Les améliorations en attente (VOSTFR→MULTI, 720p→4K...).", {}, [], _upgrades),
    "propose_request": ("user", "Proposer une demande de film ou de saisons ; l'utilisateur confirme.",
                        {"kind": {"type": "string", "enum": ["movie", "tv"]}, "tmdb_id": _integer("id TMDB"),
                         "seasons": {"type": "array", "items": {"type": "integer"}}}, ["kind", "tmdb_id"], None),
    "propose_grab": ("power", "Proposer d'envoyer une release trouvée par search_releases ; l'utilisateur "
                     "confirme.", {"result_id": _string("result_id d'un résultat"), "title": _string("titre"),
                                   "kind": {"type": "string", "enum": ["movie", "tv"]}, "tmdb_id": _integer("id TMDB"),
                                   "tvdb_id": _integer("id TheTVDB (séries)"), "year": _integer("année"),
                                   "season": _integer("saison")}, ["result_id", "title", "kind"], None),
    "propose_follow": ("power", "Proposer de suivre une série ; l'utilisateur confirme.",
                       {"tvdb_id": _integer("id TheTVDB")}, ["tvdb_id"], None),
    "propose_upgrade": ("power", "Proposer d'appliquer une amélioration en attente ; l'utilisateur confirme.",
                        {"candidate_id": _string("candidate_id de list_upgrades")}, ["candidate_id"], None),
    "propose_trailer": ("power", "Proposer de chercher et garder la meilleure bande-annonce d'un film ou d'une "
                        "série ; l'utilisateur confirme.", {"kind": {"type": "string", "enum": ["movie", "tv"]},
                                                             "external_id": _integer("id TMDB (film) ou TheTVDB")},
                        ["kind", "external_id"], None),
}


#: Each tool for people (the chat shows what the assistant consulted or proposes).
LABELS = {"search_library": N_("searched the library"), "library_stats": N_("read the library's figures"),
          "watch_history": N_("read the watch history"), "list_follows": N_("read the followed series"),
          "search_releases": N_("searched the indexers"), "list_upgrades": N_("read the upgrades waiting"),
          "propose_request": N_("request the title TMDB %(tmdb_id)s"), "propose_grab": N_("send %(title)s"),
          "propose_follow": N_("follow the series TheTVDB %(tvdb_id)s"),
          "propose_upgrade": N_("apply the upgrade %(candidate_id)s"),
          "propose_trailer": N_("find and keep the trailer of %(kind)s %(external_id)s")}


def label(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """How the chat names a tool call: ``{"msgid", "params"}``."""
    from app.i18n import gettext

    params = {k: v for k, v in (arguments or {}).items() if isinstance(v, str | int)}
    if "kind" in params:
        params["kind"] = gettext("the series") if params["kind"] == "tv" else gettext("the movie")
    return {"msgid": LABELS.get(name, name), "params": params}


def allowed(role: str) -> list[str]:
    """The tools a role may use."""
    return [name for name, spec in TOOLS.items() if at_least(role, spec[0])]


def schemas(role: str) -> list[dict[str, Any]]:
    """The ``tools`` parameter of ``/api/chat`` for a role."""
    return [{"type": "function", "function": {"name": name, "description": TOOLS[name][1],
                                              "parameters": {"type": "object", "properties": TOOLS[name][2],
                                                             "required": TOOLS[name][3]}}}
            for name in allowed(role)]


def run(name: str, arguments: dict[str, Any], role: str) -> tuple[Any, dict[str, Any] | None]:
    """Run a reading tool: ``(result, None)``; a proposal tool: ``(what to tell the model, the proposal)``.
    A tool the role may not use, or unknown, answers an error the model reads (nothing runs)."""
    spec = TOOLS.get(name)
    if spec is None:
        return {"error": f"unknown tool {name}"}, None
    if name not in allowed(role):
        return {"error": "this tool is not allowed for the user's role"}, None
    params = {k: v for k, v in (arguments or {}).items() if k in spec[2]}
    missing = [k for k in spec[3] if params.get(k) in (None, "")]
    if missing:
        return {"error": f"missing arguments: {', '.join(missing)}"}, None
    if spec[4] is not None:
        return spec[4](**params), None
    proposal = {"tool": name, "arguments": params, "state": "pending", "result": None}
    return {"proposal": "recorded; it is done only if the user confirms it in the page"}, proposal


def confirm_proposal(proposal: dict[str, Any], username: str, role: str) -> Any:
    """Do what a proposal says (the user clicked "confirm"); what it gave. Raises the services' refusals,
    ``UpstreamError``, :class:`ReportRefused` when the role does not allow it any more."""
    name, args = proposal["tool"], proposal["arguments"]
    if name not in allowed(role):
        raise ReportRefused(N_("your role cannot do this"), status=403)
    if name == "propose_request":
        from app.media_requests.service import NewRequest, create

        made = create(username, role, NewRequest(kind=args["kind"], tmdb_id=int(args["tmdb_id"]),
                                                 seasons=list(args.get("seasons") or [])))
        return {"request": made["id"], "state": made["state"]}
    if name == "propose_grab":
        from app.seedbox.service import SendItem, send_one
        from app.utils.stores.mapping_manager import Mapping

        mapping = Mapping(media_type=args["kind"], title=args["title"], year=args.get("year"),
                          tmdb_id=args.get("tmdb_id"), tvdb_id=args.get("tvdb_id"), season=args.get("season"))
        entry = send_one(SendItem(result_id=args["result_id"]), mapping)
        return {"info_hash": entry["info_hash"], "release": entry["release_name"]}
    if name == "propose_follow":
        from app.follows.service import NewFollow, add, tvdb_lookup

        return {"follow": add(NewFollow(**tvdb_lookup(int(args["tvdb_id"]))))["id"]}
    if name == "propose_upgrade":
        from app.upgrades.service import apply

        return {"state": apply(args["candidate_id"], by="user")["state"]}
    if name == "propose_trailer":
        from app.trailers.service import media_of, start_bulk

        media = media_of(args["kind"], args["external_id"])
        return {"run": start_bulk("find_best", [media["key"]])["id"]}
    raise ReportRefused(N_("no action for %(kind)s on this target"), kind=name)
