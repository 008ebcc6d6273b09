"""`make demo`: the main job, end to end, on the embedded DuckDB warehouse.

Raw landing files -> dbt staging and marts (the `analytics` code location) -> features, models and
predictions (the `ml` code location), each location's assets materialized through Dagster by its own
interpreter (workspace.yaml), then a report of what came out and where. Sample raw files are generated
only when $WAREHOUSE_DIR/raw/ has none."""

import subprocess
import sys
from pathlib import Path

import yaml

from datagen.__main__ import main as generate_raw_files
from demo import report

WORKSPACE = Path("workspace.yaml")  # run from the repo root, as make does
RUNNER = Path(__file__).with_name("materialize_location.py")


def locations(workspace: Path = WORKSPACE) -> list[tuple[str, str, str]]:
    """(location name, module, interpreter) of each code location, in workspace order (upstream first)."""
    entries = [entry["python_module"] for entry in yaml.safe_load(workspace.read_text())["load_from"]]
    return [(e["location_name"], e["module_name"], e["executable_path"]) for e in entries]


def main() -> int:
    generate_raw_files(["--if-empty"])
    print("Running the pipeline: raw files -> analytics (dbt) -> ml", flush=True)
    for name, module, python in locations():
        if not Path(python).exists():
            print(f"{python} does not exist: the {name} location's environment is missing. Run `make setup`.")
            return 1
        if subprocess.run([python, str(RUNNER), module, name], check=False).returncode != 0:
            return 1
    return report.main()


if __name__ == "__main__":
    sys.exit(main())
