"""The Dagster instance of `make demo` and `make ui`: warehouse_paths.dagster_home() (DAGSTER_HOME, or one per
warehouse), with the settings of serve/dagster.yaml written into it."""

from pathlib import Path

SETTINGS = Path(__file__).with_name("dagster.yaml")  # not at the repo root: Dagster warns of a dagster.yaml in the cwd
WRITTEN_BY = "# Written from serve/dagster.yaml (serve/instance.py), rewritten when that changes; edit that file."


def prepare(home: Path) -> Path:
    """`home` with the project's instance settings: written when the folder has no dagster.yaml, or one this
    module wrote from an older version of the settings. A dagster.yaml of the user's own is left as it is."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = f"{WRITTEN_BY}\n{SETTINGS.read_text()}"
    if not config.exists() or (config.read_text().startswith(WRITTEN_BY) and config.read_text() != wanted):
        config.write_text(wanted)
    return home
