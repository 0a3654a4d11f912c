"""Cloud burst: coming in a later issue (the page says so)."""

from app.coming import coming_blueprint
from app.utils.settings_schema import N_

bp = coming_blueprint(
    "cloud_burst",
    "/cloud-burst",
    N_("Cloud burst"),
    N_("Run heavy Plex scans on a temporary cloud machine and bring the database home."),
)
