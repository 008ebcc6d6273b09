"""The dbt project, as dagster-dbt sees it: one cached DbtProject for the whole location."""

from dagster_dbt import DbtProject

from warehouse_paths import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "analytics_dbt"

# profiles.yml lives in the project folder, as analysts use it. The manifest is produced by `dbt parse`
# (`make setup` runs it); under `dagster dev`, prepare_if_dev() re-parses on every reload instead.
analytics_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
analytics_dbt_project.prepare_if_dev()

if not analytics_dbt_project.manifest_path.exists():
    raise FileNotFoundError(
        f"The dbt manifest {analytics_dbt_project.manifest_path} does not exist, so the analytics "
        "location cannot know its assets. Run `make setup` (or `dbt parse` in analytics_dbt/) first."
    )
