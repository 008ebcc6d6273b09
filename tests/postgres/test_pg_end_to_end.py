"""WAREHOUSE_BACKEND=postgres through Dagster: every ML asset materializes from the server's marts, as the ML
login, in the ML location's own environment (.venvs/ml, as `make demo` and the code servers run it), and
its tables land in schema ml, not in ml.duckdb."""

import os
import subprocess

import pytest
from pg_logins import copy_marts, new_pg_warehouse
from shop_histories import write_shop
from support import REPO_ROOT

pytestmark = pytest.mark.slow  # the whole ML location through Dagster (tests/conftest.py's SLOW_MODULES)
ML_PYTHON = REPO_ROOT / ".venvs" / "ml" / "bin" / "python"
ML_ASSETS = {
    "customer_features",
    "product_features",
    "customer_churn_model",
    "demand_forecast_model",
    "customer_risk_scores",
    "product_demand_forecasts",
}


@pytest.fixture(scope="module")
def ran(new_warehouse, postgres_admin_url):
    duck = new_warehouse("pg_e2e")
    write_shop(duck.raw)  # models that beat their baselines: the predictions follow (shop_histories.py)
    assert duck.dbt("build").returncode == 0
    pg = new_pg_warehouse(postgres_admin_url, "e2e_pg")
    copy_marts(duck.analytics_db, pg)
    # Only the ML location's files live in WAREHOUSE_DIR on the server backend: give it an empty one.
    elsewhere = new_warehouse("pg_e2e_ml")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    result = subprocess.run(
        [str(ML_PYTHON), str(REPO_ROOT / "demo" / "materialize_location.py"), "ml_location.definitions", "ml"],
        env={**env, **pg.env, "WAREHOUSE_DIR": str(elsewhere.root)},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    return pg, elsewhere, result


def test_every_ml_asset_materializes_into_schema_ml(ran):
    pg, elsewhere, result = ran
    assert result.returncode == 0, result.stdout + result.stderr
    assert "@progress 6 assets, 16 checks: 16 passed, 0 warned, 0 failed" in result.stdout, result.stdout
    tables = pg.execute(pg.admin_url, "select tablename, tableowner from pg_tables where schemaname = 'ml'")
    ml_user = pg.ml_url.split("://")[1].split(":")[0]
    assert {name for name, _ in tables} == ML_ASSETS
    assert {owner for _, owner in tables} == {ml_user}
    assert not (elsewhere.root / "ml.duckdb").exists()


def test_the_scores_cover_every_customer_of_the_marts(ran):
    pg, _, _ = ran
    [(customers,)] = pg.execute(pg.admin_url, "select count(*) from marts.customer_order_summary")
    [(scored, distinct)] = pg.execute(
        pg.admin_url, "select count(*), count(distinct customer_id) from ml.customer_risk_scores"
    )
    assert scored == distinct and 0 < scored <= customers


def test_the_demo_report_reads_the_server(ran):
    pg, elsewhere, _ = ran
    env = {**os.environ, **pg.env, "WAREHOUSE_DIR": str(elsewhere.root)}
    result = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "python"), "-m", "demo.report"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    [(customers,)] = pg.execute(pg.admin_url, "select count(*) from marts.customer_order_summary")
    [(scores,)] = pg.execute(pg.admin_url, "select count(*) from ml.customer_risk_scores")
    assert f"marts.customer_order_summary {customers:>12,} rows".replace(" ", "") in out.replace(" ", "")
    assert f"ml.customer_risk_scores {scores:>12,} rows".replace(" ", "") in out.replace(" ", "")
    assert "Models, on held-out data" in out and "schema ml" in out
    assert pg.ml_url.split(":")[2].split("@")[0] not in out  # no password printed
    assert 'psql "$ML_PG_URL"' in out
