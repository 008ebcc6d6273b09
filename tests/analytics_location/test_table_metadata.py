"""ANALYTICS_DBT_METADATA: with `none`, a Dagster-run build fetches no row counts or column types, and the
quarantine tables still get their rejected-row figures (those queries need dbt to have released the
warehouse, which the fetches used to wait for); an unknown level fails with a message naming the choices."""

import dagster as dg
import pytest
from support import materialize

from analytics_location.definitions import defs
from analytics_location.table_metadata import TABLE_METADATA_ENV, table_metadata_level

REJECTED = dg.AssetKey("rejected_orders")


def test_without_table_metadata_the_build_succeeds_and_keeps_the_quarantine_figures(new_warehouse, monkeypatch):
    warehouse = new_warehouse("no_table_metadata")
    warehouse.generate(orders=2_000)
    monkeypatch.setenv(TABLE_METADATA_ENV, "none")
    with warehouse.active():
        result = materialize(defs, raise_on_error=False)
    assert result.success
    materialized = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert REJECTED in materialized and "rejected_rows" in materialized[REJECTED]
    assert not [key for key, metadata in materialized.items() if "dagster/row_count" in metadata]
    assert not [key for key, metadata in materialized.items() if "dagster/column_schema" in metadata]


@pytest.mark.unit
def test_an_unknown_level_names_the_choices(monkeypatch):
    monkeypatch.setenv(TABLE_METADATA_ENV, "everything")
    with pytest.raises(ValueError, match="lineage, columns, none"):
        table_metadata_level()
    monkeypatch.setenv(TABLE_METADATA_ENV, " Columns ")
    assert table_metadata_level() == "columns"
