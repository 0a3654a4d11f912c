"""Watch archive: coming in a later issue (the page says so)."""

from app.coming import coming_blueprint
from app.utils.settings_schema import N_

bp = coming_blueprint(
    "archive",
    "/archive",
    N_("Watch archive"),
    N_("A watch-history archive that outlives deleted media."),
)
