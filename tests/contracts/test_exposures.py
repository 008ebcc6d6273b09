"""The ML team's assets are dbt exposures: each names the marts it reads, as the ml location's asset graph
does, so `dbt docs` and `dbt ls --select +exposure:<name>` show who depends on a public model; and they
are not assets of the analytics location (no duplicates in Dagster)."""

import json
import subprocess

import dagster as dg
import pytest
from support import BIN, DBT_PROJECT_DIR

from ml_location.definitions import defs as ml_defs
from ml_location.upstream import PUBLIC_MODELS

pytestmark = pytest.mark.unit

MARTS = {model.key for model in PUBLIC_MODELS}


def exposures() -> dict[str, dict]:
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    return {node["name"]: node for node in manifest["exposures"].values()}


def marts_upstream_of(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    """The public marts an ML asset reads, directly or through the ML assets it is built from."""
    seen, todo = set(), [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen & MARTS


def test_every_ml_asset_is_an_exposure_on_the_marts_it_reads():
    graph = ml_defs.resolve_asset_graph()
    ml_assets = {key for key in graph.materializable_asset_keys}
    declared = exposures()
    assert {dg.AssetKey(name) for name in declared} == ml_assets
    for key in ml_assets:
        exposure = declared[key.path[-1]]
        read = {dg.AssetKey(unique_id.split(".")[-1]) for unique_id in exposure["depends_on"]["nodes"]}
        assert read == marts_upstream_of(graph, key), key
        assert exposure["owner"]["email"] and exposure["type"] == "ml"


def test_dbt_ls_lists_the_models_an_exposure_depends_on(tmp_path):
    command = [
        str(BIN / "dbt"),
        *("ls", "--select", "+exposure:customer_risk_scores", "--resource-type", "model", "--output", "name"),
        *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet"),
        *("--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    listed = set(result.stdout.split())
    assert {"customer_order_summary", "customer_monthly_activity", "stg_orders"} <= listed
    assert not listed & {"product_performance", "product_monthly_sales"}


def test_exposures_are_not_assets_of_the_analytics_location():
    from analytics_location.definitions import defs as analytics_defs

    analytics_keys = analytics_defs.resolve_asset_graph().get_all_asset_keys()
    assert not {dg.AssetKey(name) for name in exposures()} & analytics_keys
