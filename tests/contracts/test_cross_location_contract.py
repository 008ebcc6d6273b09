"""The contract between the two teams, checked from both sides without either importing the other."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from support import DBT_PROJECT_DIR, REPO_ROOT

from ml_location.upstream import MARTS_SCHEMA, PUBLIC_MODELS

pytestmark = pytest.mark.unit

# DuckDB type names as dbt contracts may spell them -> the name DuckDB reports.
ALIASES = {
    "INT8": "BIGINT",
    "LONG": "BIGINT",
    "INT": "INTEGER",
    "INT4": "INTEGER",
    "FLOAT8": "DOUBLE",
    "STRING": "VARCHAR",
    "TEXT": "VARCHAR",
}


def normalise(data_type: str) -> str:
    return ALIASES.get(data_type.upper(), data_type.upper())


def manifest_models() -> dict:
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    return {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda model: model.name)
def test_what_ml_reads_is_a_public_contracted_model_with_those_columns(model):
    node = manifest_models().get(model.name)
    assert node is not None, f"the analytics dbt project has no model {model.name}"
    assert node["access"] == "public"
    assert node["config"]["contract"]["enforced"]
    assert node["config"]["schema"] == MARTS_SCHEMA
    for column, expected in model.columns.items():
        assert column in node["columns"], f"{model.name}.{column} is not in the dbt contract"
        assert normalise(node["columns"][column]["data_type"]) == expected, f"{model.name}.{column}"


def test_neither_location_imports_the_other_and_ml_does_not_use_dbt():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert "2 kept, 0 broken" in result.stdout


def test_the_ml_package_does_not_depend_on_dbt():
    project = tomllib.loads((REPO_ROOT / "ml_location" / "pyproject.toml").read_text())["project"]
    requirements = [
        *project["dependencies"],
        *(r for extra in project.get("optional-dependencies", {}).values() for r in extra),
    ]
    names = {re.match(r"[A-Za-z0-9._-]+", requirement)[0].lower() for requirement in requirements}
    assert names and not {name for name in names if "dbt" in name}, sorted(names)
