"""Under `dagster dev` the location re-parses the dbt project when it is imported, and every run's process
imports it: the preparer parses only when a file dbt parses is newer than the manifest (project.py)."""

import os
import shutil
import time

from dagster_dbt import DbtProject

from analytics_location.project import DBT_PROJECT_DIR, OwnDbtPreparer


def test_the_project_is_parsed_again_only_after_a_project_file_changed(tmp_path):
    project_dir = tmp_path / "analytics_dbt"
    shutil.copytree(DBT_PROJECT_DIR, project_dir, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir)
    preparer = OwnDbtPreparer()

    preparer.prepare(project)  # no manifest yet: parsed
    written = project.manifest_path.stat().st_mtime_ns

    preparer.prepare(project)  # nothing changed: not parsed again
    assert project.manifest_path.stat().st_mtime_ns == written

    (project_dir / "target" / "run_results.json").write_text("{}")  # dbt's own outputs do not count
    preparer.prepare(project)
    assert project.manifest_path.stat().st_mtime_ns == written

    time.sleep(0.05)
    model = project_dir / "models" / "marts" / "customer_order_summary.sql"
    os.utime(model)  # an analyst edits a model
    preparer.prepare(project)
    assert project.manifest_path.stat().st_mtime_ns > written
