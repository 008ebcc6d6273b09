"""Each code location runs in its own environment (.venvs/<location>, made by `make setup` from uv.lock):
it loads its own definitions there, and the other team's packages are not installed in it. Run by the
environment's own interpreter, from a directory outside the repo (the repo's folders would otherwise be
importable as namespace packages)."""

import os
import shutil
import subprocess

import pytest
import yaml
from support import REPO_ROOT

WORKSPACE = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())
INTERPRETERS = {e["python_module"]["location_name"]: e["python_module"] for e in WORKSPACE["load_from"]}

# What each location must not have: the other team's stack, and the tooling's (the UI runs elsewhere).
FOREIGN = {
    "analytics": ["ml_location", "pandas", "sklearn", "skops", "dagster_webserver"],
    "ml": ["analytics_location", "dbt", "dbt.adapters.duckdb", "dagster_dbt", "dagster_webserver"],
}

CHECK = """
import importlib, importlib.util, sys
import dagster as dg
defs = importlib.import_module(sys.argv[1]).defs
keys = sorted(key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys())
print("assets:", ",".join(keys))
for name in sys.argv[2:]:
    try:
        found = importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        found = False
    print("foreign:", name, found)
"""


@pytest.mark.parametrize("location", ["analytics", "ml"])
def test_location_environment_holds_its_own_code_only(location, tmp_path, monkeypatch):
    entry = INTERPRETERS[location]
    python = REPO_ROOT / entry["executable_path"]
    assert python.exists(), f"{python} is missing: `make setup` builds each location's environment"
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("DBT_PROJECT_DIR", str(REPO_ROOT / "analytics_dbt"))
    result = subprocess.run(
        [str(python), "-c", CHECK, entry["module_name"], *FOREIGN[location]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    [assets] = [line.removeprefix("assets: ").split(",") for line in lines if line.startswith("assets: ")]
    own_asset = {"analytics": "customer_order_summary", "ml": "customer_features"}[location]
    assert own_asset in assets
    present = [line.split()[1] for line in lines if line.startswith("foreign: ") and line.endswith(" True")]
    assert present == [], f"{location}'s environment has the other team's or the tooling's packages: {present}"
    # The check above sees every name it was asked about.
    assert sum(line.startswith("foreign: ") for line in lines) == len(FOREIGN[location])


def test_the_dbt_project_is_found_from_configuration_not_from_the_installed_package(tmp_path):
    """Installed without --editable (a container image), the package sits in site-packages: the location
    must take the dbt project from DBT_PROJECT_DIR, and say so when it cannot find one."""
    python = REPO_ROOT / INTERPRETERS["analytics"]["executable_path"]
    source = REPO_ROOT / "analytics_dbt"
    elsewhere = tmp_path / "deployed" / "dbt"
    shutil.copytree(source, elsewhere, ignore=shutil.ignore_patterns("target", "logs"))
    (elsewhere / "target").mkdir()
    shutil.copy(source / "target" / "manifest.json", elsewhere / "target" / "manifest.json")
    show = "import analytics_location.project as p; print(p.analytics_dbt_project.project_dir)"
    env = {k: v for k, v in os.environ.items() if k != "DBT_PROJECT_DIR"}

    found = subprocess.run(
        [str(python), "-c", show],
        cwd=tmp_path,
        env={**env, "DBT_PROJECT_DIR": str(elsewhere)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == str(elsewhere)

    unset = subprocess.run(
        [str(python), "-c", show], cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert unset.returncode != 0
    assert f"No dbt project at {tmp_path / 'analytics_dbt'}" in unset.stderr
    assert "Set DBT_PROJECT_DIR" in unset.stderr
