"""The assistant's evaluation set: 20 questions about the test library of ``tests/test_assistant.py``
(Heat 1995 VO x264, Ronin 1998 VFF XviD, a VOSTFR film whose title is a prompt injection, Thief 1981 MULTI;
ffmpeg's small files, all under the SD bitrate floor), each with the tool a good answer must call, the
arguments it needs, and a check of what MMS's tool answered. An assistant is judged on its tool calls, not
its prose.

Against the Ollama emulator the "model" is :func:`oracle` (it calls the expected tool): the set then checks
MMS's side, that each question's tool gives MMS's computed answer. With a real model in place of the oracle,
:func:`judge` scores its calls the same way (this machine has no Ollama: CI runs the oracle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]


def _title(rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    return next((r for r in rows if r["title"] == title), {})


#: (question, tool, required arguments (lower-cased substrings), check of the tool's answer)
CASES: list[tuple[str, str, dict[str, str], Check]] = [
    ("Combien d'éléments compte ma bibliothèque ?", "library_stats", {}, lambda r: r["library_items"] == 4),
    ("Quel est le score de santé de ma bibliothèque ?", "library_stats", {}, lambda r: r["score"] == 80),
    ("Combien de films n'ont pas d'audio français ?", "library_stats", {},
     lambda r: r["signals"]["no_french_audio"] == 2),
    ("Combien de films ont un codec vidéo dépassé ?", "library_stats", {},
     lambda r: r["signals"]["obsolete_codecs"] == 1),
    ("Combien de fichiers ont un débit trop faible ?", "library_stats", {}, lambda r: r["signals"]["low_bitrate"] == 4),
    ("Y a-t-il des problèmes de santé des médias ?", "library_stats", {},
     lambda r: r["signals"]["health_findings"] == 0),
    ("Combien de demandes attendent une décision ?", "library_stats", {},
     lambda r: r["signals"]["pending_requests"] == 0),
    ("Ai-je des films en double ?", "library_stats", {}, lambda r: r["signals"]["duplicates"] == 0),
    ("Combien de fichiers sont en VOSTFR ?", "library_stats", {}, lambda r: r["files_by_audio"].get("VOSTFR") == 1),
    ("Combien de fichiers sont en MULTI ?", "library_stats", {}, lambda r: r["files_by_audio"].get("MULTI") == 1),
    ("Heat est-il en français ?", "search_library", {"query": "heat"},
     lambda r: _title(r, "Heat").get("audio") == "VO"),
    ("En quelle langue est Ronin ?", "search_library", {"query": "ronin"},
     lambda r: _title(r, "Ronin").get("audio") == "VFF"),
    ("Quel codec vidéo a Ronin ?", "search_library", {"query": "ronin"},
     lambda r: _title(r, "Ronin").get("codec") == "XviD"),
    ("Thief est-il en MULTI ?", "search_library", {"query": "thief"},
     lambda r: _title(r, "Thief").get("audio") == "MULTI"),
    ("Quelle résolution a Heat ?", "search_library", {"query": "heat"},
     lambda r: _title(r, "Heat").get("resolution") == "SD"),
    ("Combien de fichiers pour Thief ?", "search_library", {"query": "thief"},
     lambda r: _title(r, "Thief").get("files") == 1),
    ("De quelle année est Ronin ?", "search_library", {"query": "ronin"},
     lambda r: _title(r, "Ronin").get("year") == 1998),
    ("Collateral est-il dans ma bibliothèque ?", "search_library", {"query": "collateral"}, lambda r: r == []),
    ("Y a-t-il des améliorations en attente ?", "list_upgrades", {}, lambda r: r == []),
    ("Quelles séries est-ce que je suis ?", "list_follows", {}, lambda r: r == []),
]


def oracle(body: dict[str, Any]) -> Any:
    """A stand-in model for the emulator: the expected tool for the question, then a short reply."""
    last = body["messages"][-1]
    if last["role"] == "tool":
        return "D'après MMS : voir le résultat de l'outil."
    for question, tool, arguments, _check in CASES:
        if last["content"] == question:
            return {"content": "", "tool_calls": [{"name": tool, "arguments": dict(arguments)}]}
    return "Je ne sais pas."


def judge(question: str, calls: list[tuple[str, dict[str, Any], Any]]) -> tuple[bool, str]:
    """Whether the tool calls made for ``question`` (``[(tool, arguments, MMS's answer)]``) include the expected
    tool with the needed arguments, and that its answer passes the check; ``(ok, why not)``."""
    _q, tool, arguments, check = next(c for c in CASES if c[0] == question)
    for name, args, answer in calls:
        if name != tool:
            continue
        if any(value not in str(args.get(key, "")).lower() for key, value in arguments.items()):
            continue
        return (True, "") if check(answer) else (False, f"{tool} answered {str(answer)[:200]}")
    return False, f"expected {tool} {arguments}, got {[(n, a) for n, a, _ in calls]}"
