"""The ML location on a PostgreSQL warehouse, as the ML login: the reader gives exactly what it gives on DuckDB
for the same marts, each way the read can fail ends in one message, and the ML tables and models go to
schema ml. The marts are a DuckDB build's, copied as the analytics login with the contract's types."""

import secrets
import threading
import time

import pandas as pd
import pytest
from pg_logins import PgWarehouse, copy_marts, login_url, new_pg_warehouse
from postgres_server import free_port

from ml_location.analytics_reader import AnalyticsWarehouse, UpstreamContractBroken, UpstreamNotMaterialized
from ml_location.features import customer_feature_snapshots
from ml_location.ml_warehouse import MlWarehouse
from ml_location.model_store import load_latest_model, record_not_trained, save_model
from ml_location.models import NotTrained, Trained
from ml_location.postgres_tables import WarehouseLoginRefused, WarehousePermissionDenied, WarehouseUnreachable
from ml_location.upstream import CUSTOMER_MONTHLY_ACTIVITY, CUSTOMER_ORDER_SUMMARY, PUBLIC_MODELS


@pytest.fixture(scope="module")
def built(new_warehouse, postgres_admin_url):
    duck = new_warehouse("ml_pg")
    duck.generate(orders=3_000)
    result = duck.dbt("build")
    assert result.returncode == 0, result.stdout[-2000:]
    pg = new_pg_warehouse(postgres_admin_url, "ml_pg")
    copy_marts(duck.analytics_db, pg)
    return duck, pg


def sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_the_reader_gives_what_it_gives_on_duckdb(built):
    duck, pg = built
    on_duckdb = AnalyticsWarehouse(warehouse_dir=str(duck.root)).read(*PUBLIC_MODELS)
    on_server = AnalyticsWarehouse(warehouse_dir=str(duck.root), postgres_url=pg.ml_url).read(*PUBLIC_MODELS)
    for model, expected, found in zip(PUBLIC_MODELS, on_duckdb, on_server, strict=True):
        assert len(found) > 0, model.name
        pd.testing.assert_frame_equal(sorted_frame(found), sorted_frame(expected), obj=model.name)


def test_features_computed_on_the_server_read_equal_those_on_duckdb(built):
    duck, pg = built
    models = (CUSTOMER_ORDER_SUMMARY, CUSTOMER_MONTHLY_ACTIVITY)
    with AnalyticsWarehouse(warehouse_dir=str(duck.root)).views(*models) as con:
        expected = customer_feature_snapshots(con, 3).to_pandas()
    with AnalyticsWarehouse(warehouse_dir=str(duck.root), postgres_url=pg.ml_url).views(*models) as con:
        found = customer_feature_snapshots(con, 3).to_pandas()
    pd.testing.assert_frame_equal(sorted_frame(found), sorted_frame(expected))


def reader(pg: PgWarehouse, url: str | None = None) -> AnalyticsWarehouse:
    return AnalyticsWarehouse(warehouse_dir="unused", postgres_url=url or pg.ml_url, lock_timeout_seconds=5)


@pytest.fixture
def fresh(postgres_admin_url) -> PgWarehouse:
    """A warehouse with roles and no marts."""
    return new_pg_warehouse(postgres_admin_url, f"ml_err_{secrets.token_hex(4)}")


def test_a_mart_not_built_yet_names_it(fresh):
    fresh.execute(fresh.analytics_url, "create table marts.customer_order_summary as select 1::bigint as customer_id")
    with pytest.raises(UpstreamNotMaterialized) as caught:
        reader(fresh).read(CUSTOMER_ORDER_SUMMARY, CUSTOMER_MONTHLY_ACTIVITY)
    message = caught.value.description
    assert "customer_monthly_activity not materialized yet" in message
    assert "has no table marts.customer_monthly_activity" in message and "Materialize" in message
    assert "customer_order_summary," not in message  # only the missing one is named


@pytest.mark.parametrize(
    ("total_spent", "expected"),
    [
        ("1.5::double precision as spent", "marts.customer_order_summary.total_spent is missing"),
        ("'1.5'::text as total_spent", "marts.customer_order_summary.total_spent is VARCHAR, expected DOUBLE"),
        ("1.5::numeric(18, 2) as total_spent", "marts.customer_order_summary.total_spent is NUMERIC, expected DOUBLE"),
    ],
    ids=["renamed", "text", "numeric"],
)
def test_a_changed_column_is_named_before_any_row_is_read(fresh, total_spent, expected):
    fresh.execute(
        fresh.analytics_url,
        "create table marts.customer_order_summary as select 1::bigint as customer_id, 'basic'::text as tier, "
        f"1::bigint as total_orders, {total_spent}",
    )
    with pytest.raises(UpstreamContractBroken) as caught:
        reader(fresh).read(CUSTOMER_ORDER_SUMMARY)
    assert expected in caught.value.description and "Nothing was computed" in caught.value.description


def test_a_wrong_password_is_named(fresh):
    wrong = login_url(fresh.ml_url, fresh.ml_url.split("://")[1].split(":")[0], "wrong")
    with pytest.raises(WarehouseLoginRefused, match=r"refused the ML login .* Check the password in ML_PG_URL") as e:
        reader(fresh, wrong).read(CUSTOMER_ORDER_SUMMARY)
    assert "wrong" not in e.value.description  # the password is never printed


def test_an_unreachable_server_is_named(fresh):
    port = fresh.ml_url.split(":")[-1].split("/")[0]
    away = fresh.ml_url.replace(f":{port}/", f":{free_port()}/")
    with pytest.raises(WarehouseUnreachable, match=r"Cannot reach the PostgreSQL warehouse .*Check that the server"):
        reader(fresh, away).read(CUSTOMER_ORDER_SUMMARY)


def test_a_permission_denied_is_named(fresh):
    fresh.execute(fresh.analytics_url, "create table marts.customer_order_summary as select 1::bigint as customer_id")
    ml_user = fresh.ml_url.split("://")[1].split(":")[0]
    fresh.execute(fresh.admin_url, f"revoke select on marts.customer_order_summary from {ml_user}")
    with pytest.raises(WarehousePermissionDenied, match=r"may not read .*permission denied.*make pg-roles"):
        reader(fresh).read(CUSTOMER_ORDER_SUMMARY)


def test_ml_tables_and_models_go_to_schema_ml_as_the_ml_login(built):
    _, pg = built
    ml = MlWarehouse(warehouse_dir="unused", postgres_url=pg.ml_url)
    frame = pd.DataFrame({"customer_id": [1, 2], "month": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    ml.replace_table("features_probe", frame)
    ml.replace_table("features_probe", frame.iloc[:1])  # replaced, not appended
    pd.testing.assert_frame_equal(ml.read_table("features_probe").to_pandas(), frame.iloc[:1], check_dtype=False)
    assert pg.execute(pg.admin_url, "select tableowner from pg_tables where tablename = 'features_probe'") == [
        (pg.ml_url.split("://")[1].split(":")[0],)
    ]
    assert ml.read_table("no_such_table") is None

    from sklearn.dummy import DummyClassifier

    model = DummyClassifier().fit([[0], [1]], [0, 1])
    fitted_on = pd.DataFrame({"x": [0, 1]})
    trained = Trained(model, ("x",), {"roc_auc": 0.5}, pd.DataFrame({"feature": ["x"], "importance": [0.0]}), fitted_on)
    assert save_model(ml, "probe_model", trained) == 1
    assert save_model(ml, "probe_model", trained) == 2
    stored = load_latest_model(ml, "probe_model")
    assert (stored.version, stored.features, stored.data_version) == (2, ("x",), trained.data_version)
    record_not_trained(ml, "probe_model", NotTrained("probe_model was not trained: too few rows", {"rows": 1}))
    with pytest.raises(Exception, match="trained no model"):
        load_latest_model(ml, "probe_model")


def test_a_table_swapped_during_a_read_is_read_from_the_same_snapshot(fresh):
    """The reader reads customer_order_summary (slowed to 1 s by a view) and then customer_monthly_activity,
    which dbt-style replaces (create, rename, drop, commit) half a second into the read. The read must see the
    old activity, from the snapshot the summary came from: not the new table, and not an empty one (what a
    REPEATABLE READ without the reader's locks sees of a table created after its snapshot)."""
    fresh.execute(
        fresh.analytics_url,
        "create table marts.summary_rows as select 1::bigint as customer_id, 'basic'::text as tier, "
        "1::bigint as total_orders, 10.0::double precision as total_spent",
        "create view marts.customer_order_summary as select * from marts.summary_rows "
        "where (select true from pg_sleep(1))",
        "create table marts.customer_monthly_activity as select 1::bigint as customer_id, "
        "date '2024-01-01' as month, 1::bigint as orders, 10.0::double precision as revenue",
    )
    swapped = threading.Event()

    def swap():
        time.sleep(0.5)
        fresh.execute(
            fresh.analytics_url,
            "create table marts.activity_new as select 2::bigint as customer_id, date '2024-02-01' as month, "
            "2::bigint as orders, 20.0::double precision as revenue",
            "alter table marts.customer_monthly_activity rename to activity_old",
            "alter table marts.activity_new rename to customer_monthly_activity",
            "drop table marts.activity_old",
        )
        swapped.set()

    swapper = threading.Thread(target=swap)
    swapper.start()
    summary, activity = reader(fresh).read(CUSTOMER_ORDER_SUMMARY, CUSTOMER_MONTHLY_ACTIVITY)
    assert summary["customer_id"].tolist() == [1]
    swapper.join(timeout=30)
    assert swapped.is_set()
    assert activity["customer_id"].tolist() == [1]  # the table as it was when the read began
    [new] = reader(fresh).read(CUSTOMER_MONTHLY_ACTIVITY)
    assert new["customer_id"].tolist() == [2]  # and the swap went through after it
