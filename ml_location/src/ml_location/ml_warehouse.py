"""The ML team's own warehouse file, $WAREHOUSE_DIR/ml.duckdb: one table per asset, named as the asset; or,
on a PostgreSQL warehouse (`postgres_url` set), schema `ml` of the server, written as the ML login.

The IO manager here is small on purpose. dagster-duckdb-pandas ships one, but it pins pandas < 3 and
writes by DELETE then INSERT into a table created once, so a reader can see it empty mid-write and a
feature added later cannot be stored. Here each output replaces its table in one transaction."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa
from pydantic import Field

from ml_location import postgres_tables
from ml_location.duckdb_files import connect, quoted
from ml_location.schemas import described
from warehouse_paths import PG_ML_SCHEMA, ml_db

# Every step that writes ml.duckdb claims this pool (one slot): DuckDB allows one writing process per file.
ML_WAREHOUSE_POOL = "ml_warehouse"
# Rows per Arrow batch when a table is streamed (MlWarehouse.batches): ~10 MB a column of doubles.
BATCH_ROWS = 1_000_000


class MlWarehouse(dg.ConfigurableResource):
    warehouse_dir: str = Field(
        description="The shared warehouse folder ($WAREHOUSE_DIR); this location writes its ml.duckdb."
    )
    lock_timeout_seconds: float = 120.0
    postgres_url: str | None = Field(
        default=None,
        description="The ML login's URL on a PostgreSQL warehouse ($ML_PG_URL, with WAREHOUSE_BACKEND=postgres): "
        "tables go to its schema ml. Unset: ml.duckdb.",
    )

    @property
    def path(self) -> Path:
        return ml_db(Path(self.warehouse_dir).absolute())

    @property
    def where(self) -> str:
        """Where the tables are, for messages and metadata."""
        if self.postgres_url:
            return f"schema {PG_ML_SCHEMA} of {postgres_tables.server_of(self.postgres_url)}"
        return str(self.path)

    def table_name(self, name: str) -> str:
        return f"{PG_ML_SCHEMA}.{name}" if self.postgres_url else f"ml.main.{name}"

    def replace_table(self, name: str, frame: pd.DataFrame | pa.Table) -> list[tuple[str, str]]:
        """Replaces table `name` with `frame` (a DataFrame or an Arrow table) in one transaction (a reader sees
        the old or the new one); returns its (column, type) list."""
        if self.postgres_url:
            with self._postgres("write", name) as (con, cur):
                cur.execute(f"drop table if exists {quoted(PG_ML_SCHEMA)}.{quoted(name)}")
                table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
                cur.adbc_ingest(name, table, mode="create", db_schema_name=PG_ML_SCHEMA)
                con.commit()
                cur.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = $1 and table_name = $2 order by ordinal_position",
                    (PG_ML_SCHEMA, name),
                )
                return cur.fetchall()
        with self.connection() as con:
            con.register("asset_output", frame)
            con.execute("begin transaction")
            con.execute(f"create or replace table {quoted(name)} as select * from asset_output")
            con.execute("commit")
            return [(column, data_type) for column, data_type, *_ in con.execute(f"describe {quoted(name)}").fetchall()]

    def append_rows(self, name: str, rows: pa.Table) -> None:
        """Appends `rows` to table `name`, created with their schema if it does not exist."""
        if self.postgres_url:
            with self._postgres("write", name) as (con, cur):
                cur.adbc_ingest(name, rows, mode="create_append", db_schema_name=PG_ML_SCHEMA)
                con.commit()
            return
        with self.connection() as con:
            con.register("new_rows", rows)
            con.execute(f"create table if not exists {quoted(name)} as select * from new_rows limit 0")
            for column in rows.column_names:  # a column added since the table was created
                con.execute(
                    f"alter table {quoted(name)} add column if not exists {quoted(column)} "
                    f"{con.sql(f'select {quoted(column)} from new_rows').types[0]}"
                )
            con.execute(f"insert into {quoted(name)} by name select * from new_rows")

    def read_table(
        self, name: str, order_by: str | None = None, limit: int | None = None, where: str | None = None
    ) -> pa.Table | None:
        """Table `name` (the rows `where` holds, ordered, limited), or None when it does not exist."""
        with self.batches(name, where=where, order_by=order_by, limit=limit) as reader:
            return None if reader is None else reader.read_all()

    @contextmanager
    def batches(
        self,
        name: str,
        columns: Sequence[str] | None = None,
        *,
        where: str | None = None,
        order_by: str | None = None,
        limit: int | None = None,
    ) -> Iterator[pa.RecordBatchReader | None]:
        """Table `name` as a stream of Arrow record batches, read one at a time while the block runs (memory
        stays bounded whatever the table's size); None when the table does not exist. `where` is SQL that
        DuckDB and PostgreSQL both read, naming the table as {table}."""
        table = f"{quoted(PG_ML_SCHEMA)}.{quoted(name)}" if self.postgres_url else quoted(name)
        query = f"select {', '.join(quoted(c) for c in columns) if columns else '*'} from {table}"
        query += f" where {where.format(table=table)}" if where else ""
        query += f" order by {order_by}" if order_by else ""
        query += f" limit {limit}" if limit else ""
        if self.postgres_url:
            import adbc_driver_manager

            with self._postgres("read", name) as (_con, cur):
                try:
                    cur.execute(query)
                except adbc_driver_manager.Error as error:
                    if getattr(error, "sqlstate", None) != postgres_tables.UNDEFINED_TABLE:
                        raise
                    yield None
                    return
                yield cur.fetch_record_batch()
            return
        if not self.path.exists():
            yield None
            return
        with self.connection(read_only=True) as con:
            if not con.execute("select 1 from duckdb_tables() where table_name = ?", [name]).fetchall():
                yield None
                return
            yield con.sql(query).to_arrow_reader(BATCH_ROWS)

    @contextmanager
    def _postgres(self, doing: str, name: str):
        import adbc_driver_manager

        with postgres_tables.connect(self.postgres_url) as con, con.cursor() as cur:
            try:
                yield con, cur
            except adbc_driver_manager.Error as error:
                if getattr(error, "sqlstate", None) == postgres_tables.INSUFFICIENT_PRIVILEGE:
                    raise postgres_tables.permission_denied(
                        self.postgres_url, error, f"{doing} {PG_ML_SCHEMA}.{name}"
                    ) from error
                raise

    @contextmanager
    def connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """ml.duckdb itself (on PostgreSQL, use replace_table, append_rows and read_table)."""
        if self.postgres_url:
            raise TypeError("MlWarehouse.connection() opens ml.duckdb; on PostgreSQL use its table methods")
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
    """Stores a DataFrame or Arrow table output as table main.<asset name> of ml.duckdb, and loads it back as a
    DataFrame: whole, or, when the input's metadata says `latest_of: <column>`, only the rows holding that
    column's latest value (a forecast needs the latest month of a panel, not its history)."""

    warehouse: dg.ResourceDependency[MlWarehouse]

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | pa.Table) -> None:
        name = context.asset_key.path[-1]
        schema = self.warehouse.replace_table(name, obj)
        context.add_output_metadata(
            {  # Dagster's standard table metadata keys, shown in the asset's overview
                "dagster/row_count": len(obj),
                "dagster/column_schema": described(schema, context.definition_metadata),
                "dagster/table_name": self.warehouse.table_name(name),
            }
        )

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        name = context.upstream_output.asset_key.path[-1] if context.upstream_output else context.name
        latest_of = (context.definition_metadata or {}).get(LATEST_OF)
        where = f"{quoted(latest_of)} = (select max({quoted(latest_of)}) from {{table}})" if latest_of else None
        table = self.warehouse.read_table(name, where=where)
        if table is None:
            raise dg.Failure(f"{self.warehouse.where} has no table {name}: materialize asset {name} first.")
        return table.to_pandas(date_as_object=False)


# Input metadata for MlTablesIOManager: load only the rows of this column's latest value.
LATEST_OF = "latest_of"
