"""Paths that come from users (API bodies, query strings, the CLI, settings): checked and kept inside
the folder they belong to.

Limits follow Linux's: a name is at most 255 bytes (``NAME_MAX``), a path at most 4096 (``PATH_MAX``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from app.utils.messages import N_, Refusal

if TYPE_CHECKING:
    from app.utils.settings_schema import Settings

#: Longest path accepted, in bytes once UTF-8 encoded (Linux PATH_MAX).
MAX_PATH_BYTES = 4096
#: Longest single name (one component), in bytes (Linux NAME_MAX).
MAX_NAME_BYTES = 255


class UnsafePathError(Refusal):
    """A path is refused: NUL byte, too long, a ``..`` component, or outside its root. The message says
    which; callers answer it as a 400."""


def check_path_text(path: str) -> str:
    """``path`` unchanged when it is acceptable text for a path; raises :class:`UnsafePathError` for an
    empty path, a NUL byte, more than :data:`MAX_PATH_BYTES` bytes or a name over :data:`MAX_NAME_BYTES`."""
    if not isinstance(path, str) or not path:
        raise UnsafePathError(N_("the path is empty"))
    if "\x00" in path:
        raise UnsafePathError(N_("the path contains a NUL byte"))
    try:
        encoded = path.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafePathError(N_("the path is not valid UTF-8 text")) from None
    if len(encoded) > MAX_PATH_BYTES:
        raise UnsafePathError(N_("the path is longer than %(limit)s bytes"), limit=MAX_PATH_BYTES)
    if any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in path.split("/")):
        raise UnsafePathError(N_("a name in the path is longer than %(limit)s bytes"), limit=MAX_NAME_BYTES)
    return path


def resolve_inside(root: str | os.PathLike[str], path: str, *, follow_last: bool = False) -> Path:
    """``path`` (absolute, or relative to ``root``) resolved, and proved to be ``root`` or under it.

    Every folder on the way is resolved (a symlinked folder pointing outside the root is outside); the
    last component is resolved too when ``follow_last`` is true, else kept as it is (a broken link is
    still a path to act on). ``..`` components are refused outright, whatever they would resolve to.
    Raises :class:`UnsafePathError`.
    """
    check_path_text(str(root))
    check_path_text(path)
    if any(part == ".." for part in path.split("/")):
        raise UnsafePathError(N_("%(path)s: '..' is not allowed in a path"), path=repr(path))
    base = Path(root).resolve()
    candidate = Path(path)
    joined = candidate if candidate.is_absolute() else base / candidate
    resolved = joined.resolve() if follow_last or not joined.name else joined.parent.resolve() / joined.name
    if resolved != base and base not in resolved.parents:
        raise UnsafePathError(N_("%(path)s is outside %(base)s"), path=path, base=str(base))
    return resolved


def library_roots(settings: Settings) -> list[Path]:
    """The library root folders media live in and move between: ``movies_path``, ``tv_path`` and
    ``library_root_folders``, resolved, existing ones only, without repeats."""
    out: list[Path] = []
    for folder in (settings.movies_path, settings.tv_path, *settings.library_root_folders):
        if folder:
            path = Path(folder).resolve()
            if path.is_dir() and path not in out:
                out.append(path)
    return out
