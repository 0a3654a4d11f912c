"""Cloud burst: heavy Plex scans on a temporary cloud machine, the database brought home safely.

Built so far: the database tools (``flask --app run cloudburst remap|guard|integrity``); the runs and their
page are coming (the page says so).
"""

from app.coming import coming_blueprint
from app.utils.settings_schema import N_

bp = coming_blueprint(
    "cloud_burst",
    "/cloud-burst",
    N_("Cloud burst"),
    N_("Run heavy Plex scans on a temporary cloud machine and bring the database home."),
    cli_group="cloudburst",
)

from app.cloud_burst import cli  # noqa: E402,F401 - registers the command-line tools on bp
