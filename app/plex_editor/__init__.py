"""Plex editor: coming in a later issue (the page says so)."""

from app.coming import coming_blueprint
from app.utils.settings_schema import N_

bp = coming_blueprint(
    "plex_editor",
    "/plex-editor",
    N_("Plex editor"),
    N_("Edit Plex metadata and artwork, lock fields, pick posters."),
)
