"""`make demo`: the main job, end to end, on the embedded DuckDB warehouse.

Raw landing files -> dbt staging and marts (the `analytics` code location) -> features, models and
predictions (the `ml` code location), each location's assets materialized through Dagster by its own
interpreter (workspace.yaml), then a report of what came out and where. Sample raw files are generated
only when $WAREHOUSE_DIR/raw/ has none.

One line per stage (demo/stage.py); each stage's whole output goes to a log file in demo_logs(), which
the first line names. The Makefile runs the set-up stage before this module (it needs the environments)."""

import os
import sys
from pathlib import Path

import yaml

from demo import report, stage
from serve.instance import prepare
from warehouse_paths import dagster_home, warehouse_dir

WORKSPACE = Path("workspace.yaml")  # run from the repo root, as make does
RUNNER = Path(__file__).with_name("materialize_location.py")


def demo_logs() -> Path:
    """Where make demo writes each stage's full output (the Makefile's DEMO_LOGS is the same folder)."""
    return Path(os.environ.get("DEMO_LOGS") or warehouse_dir() / "logs" / "demo")


def locations(workspace: Path = WORKSPACE) -> list[tuple[str, str, str]]:
    """(location name, module, interpreter) of each code location, in workspace order (upstream first)."""
    entries = [entry["python_module"] for entry in yaml.safe_load(workspace.read_text())["load_from"]]
    return [(e["location_name"], e["module_name"], e["executable_path"]) for e in entries]


def failure_message(log: Path, name: str) -> str:
    """What a failed location run said about why (materialize_location.py writes it last): the message
    alone, without the Dagster log lines before it."""
    text = log.read_text()
    marker = f"\n{name} failed:\n"
    return text[text.rindex(marker) + 1 :].strip() if marker in text else f"see {log}"


def main() -> int:
    logs = demo_logs()
    # The runs go to this warehouse's Dagster instance, the one `make ui` shows.
    os.environ["DAGSTER_HOME"] = str(prepare(dagster_home()))
    ok, _ = stage.run("data", logs / "data.log", [sys.executable, "-m", "datagen", "--if-empty"])
    if not ok:
        return 1
    for name, module, python in locations():
        if not Path(python).exists():
            print(f"{python} does not exist: the {name} location's environment is missing. Run `make setup`.")
            return 1
        log = logs / f"{name}.log"
        ok, _ = stage.run(f"{name} location", log, [python, str(RUNNER), module, name])
        if not ok:
            # What failed and why, then what was built all the same and what the predictions still hold;
            # the locations after a failed one are not run (they read what it builds).
            print(failure_message(log, name), file=sys.stderr)
            report.main()
            return 1
    return report.main()


if __name__ == "__main__":
    sys.exit(main())
