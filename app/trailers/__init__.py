"""Trailers: coming in a later issue (the page says so)."""

from app.coming import coming_blueprint
from app.utils.settings_schema import N_

bp = coming_blueprint(
    "trailers",
    "/trailers",
    N_("Trailers"),
    N_("Find and attach trailers for movies and series."),
)
