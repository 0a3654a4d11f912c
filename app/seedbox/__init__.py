"""Seedbox: coming in a later issue (the page says so)."""

from app.coming import coming_blueprint
from app.utils.settings_schema import N_

bp = coming_blueprint(
    "seedbox",
    "/seedbox",
    N_("Seedbox"),
    N_("Torrents on the seedbox, transfers to staging and imports into the library."),
)
