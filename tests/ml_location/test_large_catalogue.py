"""The ML location on a generated shop with a real catalogue: 200,000 products and 150,000 customers over seven
years (TPC-H scale factor 1's catalogue and customers, a quarter of its order lines). Every asset materializes,
the demand model is fit on its bounded sample yet judged on every product of the held-out month, and the outputs
cover every product and customer of the marts. Its time and memory are the benchmark's (`make bench TPCH=1`),
not asserted here."""

import json

import duckdb
import pytest
from support import materialize

import analytics_location.definitions as analytics
import ml_location.definitions as ml
from datagen.generate import Sizes, generate
from ml_location.demand_sample import SAMPLE_PER_STRATUM, VOLUME_EDGES

SHOP = Sizes(orders=1_500_000, customers=150_000, products=200_000)


@pytest.fixture(scope="module")
def built(new_warehouse):
    warehouse = new_warehouse("large_catalogue")
    generate(warehouse.raw, SHOP, years=7, line_numbers=True)
    with warehouse.active():
        assert materialize(analytics.defs).success
        result = materialize(ml.defs, raise_on_error=False)
    return warehouse, result


def one(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchone()


def test_every_asset_and_check_of_the_ml_location_succeeds(built):
    _, result = built
    assert result.success
    failed = [c.check_name for c in result.get_asset_check_evaluations() if not c.passed]
    assert failed == []


def test_the_outputs_cover_every_product_and_customer_of_the_marts(built):
    warehouse, _ = built
    marts, ml_db = warehouse.analytics_db, warehouse.root / "ml.duckdb"
    (products,) = one(marts, "select count(*) from marts.product_performance")
    (customers,) = one(marts, "select count(*) from marts.customer_order_summary")
    assert products > 190_000 and customers > 140_000  # the generator's, less the quarantined ones
    assert one(ml_db, "select count(*), count(distinct product_id) from product_demand_forecasts") == (
        products,
        products,
    )
    assert one(ml_db, "select count(*), count(distinct customer_id) from customer_risk_scores") == (
        customers,
        customers,
    )
    with duckdb.connect(str(ml_db), read_only=True) as con:
        con.execute(f"attach '{marts}' as analytics (read_only)")
        [(unforecast,)] = con.execute(
            "select count(*) from analytics.marts.product_performance p "
            "anti join product_demand_forecasts f using (product_id)"
        ).fetchall()
    assert unforecast == 0


def test_the_demand_model_fits_a_bounded_sample_and_is_judged_on_every_product(built):
    warehouse, _ = built
    (metrics,) = one(
        warehouse.root / "ml.duckdb", "select metrics from demand_forecast_model order by trained_at desc limit 1"
    )
    metrics = json.loads(metrics)
    (panel_rows, held_out_products) = one(
        warehouse.root / "ml.duckdb",
        "select count(*) filter (where next_month_units is not null and month < (select max(month) from "
        "product_features where next_month_units is not null)), count(*) filter (where month = (select "
        "max(month) from product_features where next_month_units is not null)) from product_features",
    )
    assert metrics["train_rows_available"] == panel_rows > 2_000_000
    assert metrics["train_rows"] <= SAMPLE_PER_STRATUM * (len(VOLUME_EDGES) + 1)
    assert metrics["test_products"] == held_out_products > 100_000
    assert metrics["mae"] < metrics["baseline_mae"]
