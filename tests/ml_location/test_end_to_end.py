"""Raw files -> analytics marts -> every ML asset, in one temporary warehouse, as two code locations.

The raw files are built by hand (shop_histories.py) so that each model has a signal its baseline cannot
see: churn depends on the customer's tier while every customer's recency at the cutoff is the same, and
demand alternates month by month, which "same as last month" always gets wrong."""

import json

import dagster as dg
import duckdb
import pytest
import skops.io
from shop_histories import write_shop
from support import materialize

import analytics_location.definitions as analytics
import ml_location.definitions as ml
from ml_location.column_lineage import LINEAGE
from ml_location.ml_warehouse import MlWarehouse
from ml_location.model_store import TRUSTED_TYPES, load_latest_model


@pytest.fixture(scope="module")
def built(new_warehouse):
    warehouse = new_warehouse("end_to_end")
    write_shop(warehouse.raw)
    with warehouse.active():
        assert materialize(analytics.defs).success
        result = materialize(ml.defs)
    return warehouse, result


def ml_rows(warehouse, sql):
    with duckdb.connect(str(warehouse.root / "ml.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def analytics_count(warehouse, table):
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        return con.execute(f"select count(*) from marts.{table}").fetchall()[0][0]


def metadata(result, asset):
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(asset)]
    return {key: value.value for key, value in event.materialization.metadata.items()}


def checks(result, asset) -> dict:
    return {c.check_name: c for c in result.get_asset_check_evaluations() if c.asset_key == dg.AssetKey(asset)}


def vs_baseline(result, model) -> dict[str, tuple[float, float]]:
    """The model's comparison table: metric -> (model, baseline)."""
    table = metadata(result, model)["model_vs_baseline"]
    return {r.data["metric"]: (r.data["model"], r.data["baseline"]) for r in table.records}


def test_every_ml_asset_materializes_into_ml_duckdb(built):
    warehouse, result = built
    assert result.success
    tables = {name for (name,) in ml_rows(warehouse, "select table_name from duckdb_tables()")}
    assert tables == {
        "customer_features",
        "product_features",
        "customer_churn_model",
        "demand_forecast_model",
        "customer_risk_scores",
        "product_demand_forecasts",
    }


def test_risk_scores_one_per_customer_with_probabilities(built):
    warehouse, _ = built
    [(rows, customers, low, high, tiers)] = ml_rows(
        warehouse,
        "select count(*), count(distinct customer_id), min(churn_probability), max(churn_probability), "
        "list(distinct risk_tier order by risk_tier) from customer_risk_scores",
    )
    assert rows == customers == analytics_count(warehouse, "customer_order_summary")
    assert 0.0 <= low <= high <= 1.0
    assert set(tiers) <= {"high", "medium", "low"} and len(tiers) > 1


def test_demand_forecasts_one_per_product(built):
    warehouse, _ = built
    [(rows, products, negative)] = ml_rows(
        warehouse,
        "select count(*), count(distinct product_id), count(*) filter (forecast_units < 0) "
        "from product_demand_forecasts",
    )
    assert rows == products == analytics_count(warehouse, "product_performance")
    assert negative == 0
    # Demand is heavy-tailed; a forecast far beyond anything ever sold means the model extrapolated wildly
    # (a Poisson-loss version once forecast 13 million units for a product selling 16 thousand).
    [(highest_forecast, highest_sold)] = ml_rows(
        warehouse,
        "select max(forecast_units), (select max(units_lag1) from product_features) from product_demand_forecasts",
    )
    assert highest_forecast <= 3 * highest_sold


def test_the_churn_model_beats_its_baseline_on_held_out_customers(built):
    """Churn depends on the tier (basic 80%, premium 10%) and every customer ordered in the month before the
    cutoff, so recency ranks no one (baseline ROC AUC 0.5) and the rule flags no one; the tier alone is
    worth a ROC AUC of about 0.85. The model must beat the baseline by at least 0.2 and find churners."""
    _, result = built
    churn = metadata(result, "customer_churn_model")
    table = vs_baseline(result, "customer_churn_model")
    assert table["roc_auc"][1] == 0.5 and table["recall"][1] == 0.0
    assert churn["roc_auc"] >= table["roc_auc"][1] + 0.2, (
        f"held-out ROC AUC {churn['roc_auc']:.3f} vs baseline {table['roc_auc'][1]:.3f}: "
        "the model should be ahead by at least 0.2"
    )
    assert churn["recall"] >= 0.5, f"recall {churn['recall']:.3f}: most churners should be found"
    assert checks(result, "customer_churn_model")["beats_baseline"].passed
    importances = {record.data["feature"]: record.data["importance"] for record in churn["feature_importance"].records}
    assert max(importances, key=importances.get) == "is_premium"


def test_the_demand_model_beats_its_baseline_on_the_held_out_month(built):
    """Units alternate between 3x and 1x month by month, so "same as last month" misses by about two
    thirds of the larger month every time; the model sees the month of year and the lags and must at
    least halve that error."""
    _, result = built
    (mae, baseline_mae) = vs_baseline(result, "demand_forecast_model")["mae"]
    assert mae <= 0.5 * baseline_mae, (
        f"held-out MAE {mae:.2f} vs baseline {baseline_mae:.2f}: the model should at most halve the baseline's error"
    )
    assert checks(result, "demand_forecast_model")["beats_baseline"].passed


def test_predictions_record_the_model_version_that_scored(built):
    warehouse, result = built
    for model, predictions in (
        ("customer_churn_model", "customer_risk_scores"),
        ("demand_forecast_model", "product_demand_forecasts"),
    ):
        version = metadata(result, model)["model_version"]
        assert version == "v1"  # text, not a number the UI would plot
        assert metadata(result, predictions)["model_version"] == version
        assert ml_rows(warehouse, f"select distinct model_version from {predictions}") == [(1,)]
        loaded = [
            e.asset_observation_data.asset_observation.metadata
            for e in result.all_events
            if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION
            and e.asset_key == dg.AssetKey(model)
            and e.step_key == predictions
        ]
        assert [m["model_version"].value for m in loaded] == [version]


def test_models_are_stored_with_their_data_version_and_load_without_pickle(built):
    warehouse, result = built
    stored = load_latest_model(MlWarehouse(warehouse_dir=str(warehouse.root)), "customer_churn_model")
    churn = metadata(result, "customer_churn_model")
    assert stored.data_version == churn["trained_on_data_version"]
    # the fitted rows, not the held-out ones
    assert churn["trained_on_rows"] == churn["held_out_split"]["train_customers"]
    demand = metadata(result, "demand_forecast_model")
    assert demand["trained_on_rows"] == demand["held_out_split"]["train_rows"]
    # The page compares versions by name: this one's metrics in the first row of the recent versions.
    first = churn["recent_versions"].records[0].data
    assert (first["version"], first["roc_auc"], first["accepted"]) == (f"v{stored.version}", churn["roc_auc"], "yes")
    [(blob,)] = ml_rows(warehouse, "select model from customer_churn_model order by version desc limit 1")
    assert set(skops.io.get_untrusted_types(data=blob)) <= set(TRUSTED_TYPES)
    with pytest.raises(Exception, match=r"[Uu]ntrusted"):
        skops.io.loads(blob, trusted=[])  # nothing outside the explicit list is ever loaded


def test_training_is_deterministic(built, monkeypatch):
    warehouse, result = built
    monkeypatch.setenv("WAREHOUSE_DIR", str(warehouse.root))
    again = materialize(ml.defs, asset_selection=[dg.AssetKey("customer_churn_model")])
    first, second = metadata(result, "customer_churn_model"), metadata(again, "customer_churn_model")
    assert (first["model_version"], second["model_version"]) == ("v1", "v2")
    assert checks(again, "customer_churn_model")["no_regression"].passed  # the same figures as v1
    assert (
        second["roc_auc"] == first["roc_auc"] and second["trained_on_data_version"] == first["trained_on_data_version"]
    )


def test_every_check_passes_and_every_column_is_described(built):
    _, result = built
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 16  # 3 on each of the 4 tables, 2 on each model
    assert [(c.asset_key.path[-1], c.check_name) for c in evaluations if not c.passed] == []
    for asset in ("customer_features", "product_features", "customer_risk_scores", "product_demand_forecasts"):
        stored = metadata(result, asset)["dagster/column_schema"].columns
        declared = ml.defs.resolve_assets_def(asset).specs_by_key[dg.AssetKey(asset)].metadata["dagster/column_schema"]
        assert [(c.name, c.type) for c in stored] == [(c.name, c.type) for c in declared.columns], asset
        assert all(c.description for c in stored), asset


def test_each_table_s_materialization_says_which_columns_each_column_comes_from(built):
    """Across the two locations: a feature from the marts' columns, a prediction from the features'."""
    _, result = built
    for asset in ("customer_features", "product_features", "customer_risk_scores", "product_demand_forecasts"):
        recorded = metadata(result, asset)["dagster/column_lineage"].deps_by_column
        as_sets = lambda lineage: {column: set(deps) for column, deps in lineage.items()}  # noqa: E731 (Dagster sorts them)
        assert as_sets(recorded) == as_sets(LINEAGE[dg.AssetKey(asset)]), asset
    sources = metadata(result, "customer_features")["dagster/column_lineage"].deps_by_column["is_premium"]
    assert [(d.asset_key.path[-1], d.column_name) for d in sources] == [("customer_order_summary", "tier")]


def test_a_model_worse_than_the_previous_version_does_not_refresh_the_predictions(built, monkeypatch):
    """A previous version with much better held-out figures, built by hand: the new training is stored, fails
    no_regression, and the risk scores keep the previous model's version. Last in this module: it adds a
    version that refuses to score."""
    warehouse, _ = built
    monkeypatch.setenv("WAREHOUSE_DIR", str(warehouse.root))
    [(latest, metrics)] = ml_rows(
        warehouse,
        "select version, metrics from customer_churn_model where version is not null order by version desc limit 1",
    )
    better = {**json.loads(metrics), "roc_auc": 0.999, "average_precision": 0.999}
    with duckdb.connect(str(warehouse.root / "ml.duckdb")) as con:
        con.execute(
            "insert into customer_churn_model (version, trained_at, metrics) values (?, now(), ?)",
            [latest + 1, json.dumps(better)],
        )
    scored_before = ml_rows(warehouse, "select distinct model_version from customer_risk_scores")
    run = dg.materialize(
        [*ml.defs.assets],
        selection=["customer_churn_model", "customer_risk_scores"],
        resources=ml.defs.resources,
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not run.success
    regression = checks(run, "customer_churn_model")["no_regression"]
    assert not regression.passed and f"Worse than v{latest + 1}" in regression.description
    assert "customer_risk_scores" not in {e.asset_key.path[-1] for e in run.get_asset_materialization_events()}
    assert ml_rows(warehouse, "select distinct model_version from customer_risk_scores") == scored_before
    with pytest.raises(dg.Failure, match=f"customer_churn_model v{latest + 2} .* failed its blocking checks"):
        load_latest_model(MlWarehouse(warehouse_dir=str(warehouse.root)), "customer_churn_model")
