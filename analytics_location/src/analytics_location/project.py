"""The dbt project, as dagster-dbt sees it: one cached DbtProject for the whole location."""

import os
import sys
from pathlib import Path

from dagster_dbt import DagsterDbtProjectPreparer, DbtCliResource, DbtProject

# Where the dbt project is comes from configuration, never from where this package is installed (installed
# without --editable, as in a container image, it sits in site-packages): the Makefile and docs/deploy.md
# set DBT_PROJECT_DIR; unset, it is analytics_dbt/ in the current directory (the repo root).
DBT_PROJECT_DIR_ENV = "DBT_PROJECT_DIR"
DBT_PROJECT_DIR = Path(os.environ.get(DBT_PROJECT_DIR_ENV) or "analytics_dbt").absolute()

# The dbt of this location's own environment, beside its interpreter: the location runs from its own
# venv (workspace.yaml's executable_path), which nobody activates, so `dbt` is not on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

if not (DBT_PROJECT_DIR / "dbt_project.yml").exists():
    raise FileNotFoundError(
        f"No dbt project at {DBT_PROJECT_DIR} (no dbt_project.yml there). Set {DBT_PROJECT_DIR_ENV} to the "
        "analytics_dbt folder of the repository (the Makefile does), or start from the repo root."
    )


PARSE_INPUTS_SKIPPED = {"target", "logs", "dbt_packages"}  # dbt's outputs, not what it parses


def newest_project_file(project_dir: Path) -> float:
    """The newest modification time of the files dbt parses (models, macros, tests, yml, profiles)."""
    newest = 0.0
    for folder, subfolders, files in os.walk(project_dir):
        subfolders[:] = [name for name in subfolders if name not in PARSE_INPUTS_SKIPPED and not name.startswith(".")]
        for name in files:
            newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
    return newest


class OwnDbtPreparer(DagsterDbtProjectPreparer):
    """dagster-dbt's preparer (re-parse under `dagster dev`), with this environment's dbt, parsing only when a
    project file changed since the manifest was written. dagster-dbt's own re-parses on every import, and under
    `dagster dev` every run's process imports the location: each run started a `dbt parse` before its first
    step (docs/benchmarks.md, latency)."""

    def prepare(self, project: DbtProject) -> None:
        manifest = project.manifest_path
        if manifest.exists() and manifest.stat().st_mtime > newest_project_file(project.project_dir):
            return
        DbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE).cli(
            ["parse", "--quiet"], target_path=project.target_path
        ).wait()


# Where dbt writes its artifacts: dbt's own DBT_TARGET_PATH when it is set (relative to the project folder, as
# dbt takes it), else target/. dbt, dagster-dbt's run folders (under it) and the hand-builds sensor (its
# run_results.json) then agree on one folder, whoever sets the variable.
DBT_TARGET_PATH = Path(os.environ.get("DBT_TARGET_PATH") or "target")

# profiles.yml lives in the project folder, as analysts use it. The manifest is produced by `dbt parse`
# (`make setup` runs it); under `dagster dev`, the preparer re-parses on every reload instead.
analytics_dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=DBT_TARGET_PATH
)
OwnDbtPreparer().prepare_if_dev(analytics_dbt_project)

if not analytics_dbt_project.manifest_path.exists():
    raise FileNotFoundError(
        f"The dbt manifest {analytics_dbt_project.manifest_path} does not exist, so the analytics "
        "location cannot know its assets. Run `make setup` (or `dbt parse` in analytics_dbt/) first."
    )
