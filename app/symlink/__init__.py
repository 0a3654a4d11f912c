"""Media health: coming in a later issue (the page says so)."""

from app.coming import coming_blueprint
from app.utils.settings_schema import N_

bp = coming_blueprint(
    "symlink",
    "/symlink",
    N_("Media health"),
    N_("Find broken symlinks, empty and truncated media files, and clean up what you confirm."),
)
