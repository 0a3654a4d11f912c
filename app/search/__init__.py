"""Search: coming in a later issue (the page says so)."""

from app.coming import coming_blueprint
from app.utils.settings_schema import N_

bp = coming_blueprint(
    "search",
    "/search",
    N_("Search"),
    N_("Find movies and series on your indexers (Prowlarr, Torznab), French releases (MULTI, VFF, VOSTFR) first."),
)
