"""The ML location's only way into the analytics warehouse: read-only, brief, checked, through Arrow.

Two backends, one interface: the embedded DuckDB file (default), or a PostgreSQL server
(WAREHOUSE_BACKEND=postgres, definitions.py), read as the ML login in one REPEATABLE READ transaction."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from pydantic import Field

from ml_location import postgres_tables
from ml_location.duckdb_files import connect, quoted
from ml_location.upstream import MARTS_SCHEMA, PRODUCER_LOCATION, PublicModel
from warehouse_paths import analytics_db


class UpstreamNotMaterialized(dg.Failure):
    pass


class UpstreamContractBroken(dg.Failure):
    pass


# The server's type names (information_schema.columns.data_type) as the contract's DuckDB names.
POSTGRES_TYPES = {
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "double precision": "DOUBLE",
    "text": "VARCHAR",
    "character varying": "VARCHAR",
    "date": "DATE",
    "boolean": "BOOLEAN",
}


class AnalyticsWarehouse(dg.ConfigurableResource):
    """Reads the analytics team's public marts from $WAREHOUSE_DIR/analytics.duckdb, or from schema marts
    of a PostgreSQL server when `postgres_url` is set.

    The file is opened read-only and only for the duration of a read, so the analytics team's writers
    (dbt, the analytics location) are never held up for long, and nothing here can write to it. On the
    server, the ML login may only read the marts, and a read waits for no writer (MVCC)."""

    warehouse_dir: str = Field(
        description="The shared warehouse folder ($WAREHOUSE_DIR); the marts are read from its analytics.duckdb."
    )
    lock_timeout_seconds: float = Field(
        default=120.0, description="How long to wait for a writer (a dbt build) to release the file."
    )
    postgres_url: str | None = Field(
        default=None,
        description="The ML login's URL on a PostgreSQL warehouse ($ML_PG_URL, with WAREHOUSE_BACKEND=postgres); "
        "unset: the DuckDB file.",
    )

    @property
    def path(self) -> Path:
        return analytics_db(Path(self.warehouse_dir).absolute())

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The DuckDB file itself, read-only (on PostgreSQL, use views() or read())."""
        if self.postgres_url:
            raise TypeError("AnalyticsWarehouse.connection() is the DuckDB file: on PostgreSQL use views() or read()")
        con = connect(
            self.path,
            read_only=True,
            lock_timeout_seconds=self.lock_timeout_seconds,
            what=f"the `{PRODUCER_LOCATION}` location's warehouse",
        )
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def views(self, *models: PublicModel) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection in which each model is a temporary view named as the model, holding
        only the columns of its contract, so SQL run in it (aggregating where the data lies) sees one
        consistent state of the file and nothing the contract does not check. Every contract is
        checked first. On PostgreSQL the rows are read first, from one snapshot, into an in-memory DuckDB."""
        if self.postgres_url:
            con = duckdb.connect()
            try:
                for model, table in zip(models, self.read_postgres(models), strict=True):
                    con.register(model.name, table)
                yield con
            finally:
                con.close()
            return
        if not self.path.exists():
            raise not_materialized(models, f"{self.path} does not exist")
        with self.connection() as con:
            check_contracts(con, self.path, models)
            for model in models:
                con.execute(
                    f"create temp view {quoted(model.name)} as select "
                    f"{', '.join(quoted(c) for c in model.columns)} from {quoted(MARTS_SCHEMA)}.{quoted(model.name)}"
                )
            yield con

    def read(self, *models: PublicModel) -> list[pd.DataFrame]:
        """The models' contract columns as DataFrames, through Arrow, from one consistent state of the file."""
        if self.postgres_url:
            return [table.to_pandas(date_as_object=False) for table in self.read_postgres(models)]
        with self.views(*models) as con:
            return [con.table(model.name).to_arrow_table().to_pandas(date_as_object=False) for model in models]

    def read_postgres(self, models: tuple[PublicModel, ...]) -> list:
        """The models' contract columns as Arrow tables, all from one snapshot of the server: one REPEATABLE
        READ transaction whose first statement locks the marts (ACCESS SHARE: it waits only for a table swap
        in progress, never for a build), so that every table read belongs to that snapshot, even one dbt
        replaced a moment before. The contracts are checked before any row is read."""
        import adbc_driver_manager

        url = self.postgres_url
        where = postgres_tables.server_of(url)
        names = ", ".join(f"{quoted(MARTS_SCHEMA)}.{quoted(m.name)}" for m in models)
        with postgres_tables.connect(url) as con, con.cursor() as cur:
            try:
                cur.execute("set transaction isolation level repeatable read, read only")
                cur.execute(f"set local lock_timeout = {int(self.lock_timeout_seconds * 1000)}")
                cur.execute(f"lock table {names} in access share mode")
                cur.execute(
                    "select table_name, column_name, data_type from information_schema.columns where table_schema = $1",
                    (MARTS_SCHEMA,),
                )
                found = {}
                for table, column, data_type in cur.fetchall():
                    found.setdefault(table, {})[column] = POSTGRES_TYPES.get(data_type, data_type.upper())
                check_contracts(found, where, models)
                tables = []
                for model in models:
                    columns = ", ".join(quoted(c) for c in model.columns)
                    cur.execute(f"select {columns} from {quoted(MARTS_SCHEMA)}.{quoted(model.name)}")
                    tables.append(cur.fetch_arrow_table())
            except adbc_driver_manager.Error as error:
                state = getattr(error, "sqlstate", None)
                if state == postgres_tables.UNDEFINED_TABLE:
                    relation = missing_relation(error)
                    missing = [m for m in models if relation.endswith(f"{MARTS_SCHEMA}.{m.name}")] or models
                    raise not_materialized(missing, f"{where} has no table {relation}") from error
                if state == postgres_tables.LOCK_NOT_AVAILABLE:
                    raise postgres_tables.lock_timeout(url, self.lock_timeout_seconds, names) from error
                if state == postgres_tables.INSUFFICIENT_PRIVILEGE:
                    raise postgres_tables.permission_denied(url, error, f"read {names}") from error
                raise
            finally:
                con.rollback()
        return tables


def missing_relation(error: Exception) -> str:
    """The relation PostgreSQL named in 'relation "marts.x" does not exist'."""
    text = str(error)
    start = text.find('relation "')
    return text[start + 10 : text.find('"', start + 10)] if start >= 0 else "(a mart)"


def check_contracts(con: duckdb.DuckDBPyConnection | dict, path, models: tuple[PublicModel, ...]) -> None:
    """Each model's contract columns against what the warehouse has: a DuckDB connection to look in, or what
    a server listed ({table: {column: contract type name}})."""
    found: dict[str, dict[str, str]] = {}
    if isinstance(con, dict):
        found = con
    else:
        for table, column, data_type in con.execute(
            "select table_name, column_name, data_type from information_schema.columns where table_schema = ?",
            [MARTS_SCHEMA],
        ).fetchall():
            found.setdefault(table, {})[column] = data_type

    missing = [model for model in models if model.name not in found]
    if missing:
        tables = ", ".join(f"{MARTS_SCHEMA}.{m.name}" for m in missing)
        raise not_materialized(missing, f"{path} has no table {tables}")

    problems = []
    for model in models:
        columns = found[model.name]
        for column, expected in model.columns.items():
            if column not in columns:
                problems.append(
                    f"{MARTS_SCHEMA}.{model.name}.{column} is missing (the table has: {', '.join(columns)})"
                )
            elif columns[column].upper() != expected:
                problems.append(f"{MARTS_SCHEMA}.{model.name}.{column} is {columns[column]}, expected {expected}")
    if problems:
        raise UpstreamContractBroken(
            description=(
                f"The `{PRODUCER_LOCATION}` location's public models no longer match what the ML location "
                "reads (ml_location/upstream.py):\n  - " + "\n  - ".join(problems) + "\nNothing was computed. "
                "Either the analytics team changed a public model (agree on a new version with them), "
                "or update ml_location/upstream.py and the features that use the column."
            )
        )


def not_materialized(models, why: str) -> UpstreamNotMaterialized:
    names = ", ".join(model.name for model in models)
    return UpstreamNotMaterialized(
        description=(
            f"Upstream asset(s) {names} not materialized yet: {why}. They are public models of the "
            f"`{PRODUCER_LOCATION}` code location. Materialize them first (Dagster UI: select {names} with "
            "their upstream assets, then Materialize; or `dbt build` in analytics_dbt/), then run this "
            "asset again."
        ),
        metadata={"missing_assets": names, "producer_location": PRODUCER_LOCATION},
    )
