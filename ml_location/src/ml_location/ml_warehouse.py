"""The ML team's own warehouse file, $WAREHOUSE_DIR/ml.duckdb: one table per asset, named as the asset.

The IO manager here is small on purpose. dagster-duckdb-pandas ships one, but it pins pandas < 3 and
writes by DELETE then INSERT into a table created once, so a reader can see it empty mid-write and a
feature added later cannot be stored. Here each output replaces its table in one transaction."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from pydantic import Field

from ml_location.duckdb_files import connect, quoted
from ml_location.schemas import described
from warehouse_paths import ml_db

# Every step that writes ml.duckdb claims this pool (one slot): DuckDB allows one writing process per file.
ML_WAREHOUSE_POOL = "ml_warehouse"


class MlWarehouse(dg.ConfigurableResource):
    warehouse_dir: str = Field(
        description="The shared warehouse folder ($WAREHOUSE_DIR); this location writes its ml.duckdb."
    )
    lock_timeout_seconds: float = 120.0

    @property
    def path(self) -> Path:
        return ml_db(Path(self.warehouse_dir).absolute())

    @contextmanager
    def connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(
            self.path,
            read_only=read_only,
            lock_timeout_seconds=self.lock_timeout_seconds,
            what="the ML location's warehouse",
        )
        try:
            yield con
        finally:
            con.close()


class MlTablesIOManager(dg.ConfigurableIOManager):
    """Stores a DataFrame output as table main.<asset name> of ml.duckdb, and loads it back."""

    warehouse: dg.ResourceDependency[MlWarehouse]

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        table = quoted(context.asset_key.path[-1])
        with self.warehouse.connection() as con:
            con.register("asset_output", obj)
            con.execute("begin transaction")
            con.execute(f"create or replace table {table} as select * from asset_output")
            con.execute("commit")
            schema = con.execute(f"describe {table}").fetchall()
        context.add_output_metadata(
            {  # Dagster's standard table metadata keys, shown in the asset's overview
                "dagster/row_count": len(obj),
                "dagster/column_schema": described([(n, t) for n, t, *_ in schema], context.definition_metadata),
                "dagster/table_name": f"ml.main.{context.asset_key.path[-1]}",
            }
        )

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        name = context.upstream_output.asset_key.path[-1] if context.upstream_output else context.name
        with self.warehouse.connection(read_only=True) as con:
            if not con.execute("select 1 from duckdb_tables() where table_name = ?", [name]).fetchall():
                raise dg.Failure(f"{self.warehouse.path} has no table {name}: materialize asset {name} first.")
            return con.sql(f"select * from {quoted(name)}").to_arrow_table().to_pandas(date_as_object=False)
