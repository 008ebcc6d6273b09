"""On WAREHOUSE_BACKEND=postgres, the raw_* assets are the raw.<table> tables the raw loader makes from the
landing files (raw_load.py), so the load is part of the lineage: raw_orders -> checked_orders -> ... The
keys, and the sensor that starts a run when a landing file changes (raw_files.py), are the same as on
DuckDB, where these assets are the files themselves, observed."""

import dagster as dg
from pydantic import Field

from analytics_location.raw_files import RAW_TABLES, fingerprint
from analytics_location.raw_load import RawLoadError, connect, load_file
from warehouse_paths import ANALYTICS_PG_URL_ENV, raw_dir


class RawLoader(dg.ConfigurableResource):
    pg_url: str = Field(description=f"The analytics login's PostgreSQL URL (${ANALYTICS_PG_URL_ENV}).")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            description=f"raw.{table} in PostgreSQL: every row and column of $WAREHOUSE_DIR/raw/{table}.parquet "
            "(or .csv), as text"
            + (
                ", and of each batch file of raw/orders/, loaded batch by batch."
                if table == "orders"
                else ", swapped in whole."
            ),
            group_name="raw",
            kinds={"postgres"},
        )
        for key, table in RAW_TABLES.items()
    ],
    can_subset=True,
)
def raw_tables(context: dg.AssetExecutionContext, raw_loader: RawLoader):
    try:
        connection = connect(raw_loader.pg_url)
    except RawLoadError as error:
        raise dg.Failure(description=str(error)) from None
    try:
        for key in sorted(context.selected_asset_keys):
            table = RAW_TABLES[key]
            try:
                loaded = load_file(connection, table, raw_dir())
            except RawLoadError as error:
                raise dg.Failure(description=str(error)) from None
            context.log.info(loaded.describe())
            yield dg.MaterializeResult(
                asset_key=key,
                data_version=dg.DataVersion(fingerprint(table)),
                metadata={
                    "files": ", ".join(loaded.files) or "none",
                    "dagster/row_count": loaded.rows if loaded.rows is not None else 0,
                    "loaded": loaded.rows is not None,
                    "seconds": round(loaded.seconds, 2),
                    # orders: which batches this load read and replaced, left as they were, or deleted
                    **{f"batches_{kind}": ", ".join(names) or "none" for kind, names in (loaded.batches or {}).items()},
                },
            )
    finally:
        connection.close()
