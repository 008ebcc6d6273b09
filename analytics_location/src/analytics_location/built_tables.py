"""The row count and column types of a table dbt built, read from the warehouse's own catalog: what
dagster-dbt fetches after a Dagster build (`fetch_row_counts`, `fetch_column_metadata`, through the dbt
adapter) for the models an analyst built by hand (hand_builds.py), which no dbt adapter of ours ran.
One class per backend; `warehouse_tables()` picks the one $WAREHOUSE_BACKEND names."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import dagster as dg
import duckdb
import psycopg2

from warehouse_paths import ANALYTICS_PG_URL_ENV, analytics_db, warehouse_backend

COLUMNS = (
    "select column_name, data_type from information_schema.columns "
    "where table_schema = {p} and table_name = {p} order by ordinal_position"
)


class WarehouseBusy(Exception):
    """The warehouse cannot be read now (another process writes it): try again later."""


class TablesUnreadable(Exception):
    """The tables cannot be read (not in this warehouse, or the server refused): the message says why."""


class BuiltTables(Protocol):
    def metadata(self, tables: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Per (schema, table): `dagster/row_count` and `dagster/column_schema`, as a Dagster build records."""


def table_metadata(rows: int, columns: list[tuple[str, str]]) -> dict[str, Any]:
    """Under the keys Dagster's UI reads them from (its documented `dagster/` table metadata)."""
    schema = dg.TableSchema(columns=[dg.TableColumn(name, data_type) for name, data_type in columns])
    return {
        "dagster/row_count": dg.MetadataValue.int(rows),
        "dagster/column_schema": dg.MetadataValue.table_schema(schema),
    }


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBTables:
    """analytics.duckdb, opened read-only for the moment of the reads."""

    def __init__(self, path=None):
        self.path = analytics_db() if path is None else path

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            connection = duckdb.connect(str(self.path), read_only=True)
        except duckdb.IOException as error:  # a writer holds the file: DuckDB allows no reader beside it
            raise WarehouseBusy(f"{self.path} is being written ({str(error).splitlines()[0]})") from error
        try:
            yield connection
        finally:
            connection.close()

    def metadata(self, tables: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        found = {}
        with self.cursor() as con:
            for schema, table in tables:
                try:
                    [(rows,)] = con.execute(f"select count(*) from {quoted(schema)}.{quoted(table)}").fetchall()
                except duckdb.Error as error:
                    raise TablesUnreadable(f"{self.path}: {str(error).splitlines()[0]}") from error
                columns = con.execute(COLUMNS.format(p="?"), [schema, table]).fetchall()
                found[(schema, table)] = table_metadata(rows, columns)
        return found


class PostgresTables:
    """The PostgreSQL warehouse, as the analytics login ($ANALYTICS_PG_URL)."""

    def __init__(self, url: str | None = None):
        self.url = url or os.environ.get(ANALYTICS_PG_URL_ENV, "")

    def metadata(self, tables: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        found = {}
        try:
            connection = psycopg2.connect(self.url)
            with connection, connection.cursor() as cursor:
                for schema, table in tables:
                    cursor.execute(f"select count(*) from {quoted(schema)}.{quoted(table)}")
                    [(rows,)] = cursor.fetchall()
                    cursor.execute(COLUMNS.format(p="%s"), [schema, table])
                    found[(schema, table)] = table_metadata(rows, cursor.fetchall())
            connection.close()
        except psycopg2.Error as error:
            first_line = str(error).strip().splitlines()[0]
            raise TablesUnreadable(f"PostgreSQL ({ANALYTICS_PG_URL_ENV}): {first_line}") from error
        return found


BACKENDS: dict[str, type] = {"duckdb": DuckDBTables, "postgres": PostgresTables}


def warehouse_tables() -> BuiltTables:
    """The tables of the warehouse $WAREHOUSE_DIR / $WAREHOUSE_BACKEND name, read at the moment of asking."""
    return BACKENDS[warehouse_backend()]()
