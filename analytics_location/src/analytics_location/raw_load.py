"""The raw landing files into PostgreSQL (WAREHOUSE_BACKEND=postgres): `make load-raw`, or in Dagster the
raw_* assets (raw_tables.py).

One file is one unit: `load_file` reads it with DuckDB (in this process, the same reading dbt-duckdb's
raw.* views use: macros/raw_files.sql raw_file_reader), streams it as Arrow batches through
`COPY ... FROM STDIN` into a new table holding every column of the file as text, and swaps that table in
for raw.<table> in the transaction that records what it found in raw.landing_files. A reader sees the
old table or the new one, never half of one. The checks of the file contract (missing, empty, header
only, missing columns) are not made here: dbt's on-run-start hook makes them, on what this recorded,
with the same messages as on DuckDB (macros/raw_files.sql register_raw_files)."""

import io
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg2
import pyarrow.csv as pa_csv
from psycopg2 import sql

from warehouse_paths import ANALYTICS_PG_URL_ENV, raw_dir

RAW_SCHEMA = "raw"
FACTS_TABLE = "landing_files"
FORMATS = ("parquet", "csv")
BATCH_ROWS = 500_000

CREATE_FACTS = sql.SQL(
    """create table if not exists {schema}.{facts} (
        table_name text primary key,
        stem text not null,        -- <raw dir>/<table>: the files looked for are stem.parquet and stem.csv
        files text[] not null,     -- the files found, sorted (a usable table has exactly one)
        size_bytes bigint,         -- of the one file found
        columns text[],            -- of the one file found, as DuckDB reads its header or schema
        has_rows boolean,          -- of the one file found
        loaded_rows bigint,        -- rows now in raw.<table>; null when this file was not loaded
        recorded_at timestamptz not null default now()
    )"""
).format(schema=sql.Identifier(RAW_SCHEMA), facts=sql.Identifier(FACTS_TABLE))


class RawLoadError(Exception):
    """A load that cannot run: one message saying what is wrong and what to do."""


@dataclass(frozen=True)
class Loaded:
    table: str
    files: list[str]
    rows: int | None  # None: the table was not (re)loaded (no single non-empty file)
    seconds: float

    def describe(self) -> str:
        if self.rows is None:
            found = " and ".join(self.files) or "no file"
            return f"raw.{self.table}: not loaded ({found}); dbt build will say why"
        return f"raw.{self.table}: {self.rows:,} rows from {self.files[0]} in {self.seconds:.1f} s"


def landing_files(directory: Path, table: str) -> list[str]:
    return sorted(str(path) for fmt in FORMATS if (path := directory / f"{table}.{fmt}").exists())


def reader(file: str) -> str:
    """DuckDB's reading of a landing file, as macros/raw_files.sql raw_file_reader writes it."""
    quoted = "'" + file.replace("'", "''") + "'"
    if file.endswith(".csv"):
        return f"read_csv({quoted}, header = true, all_varchar = true)"
    return f"read_parquet({quoted})"


def connect(url: str):
    try:
        return psycopg2.connect(url)
    except psycopg2.OperationalError as error:
        where = url.rsplit("@", 1)[-1]
        first_line = str(error).strip().splitlines()[0]
        raise RawLoadError(
            f"Cannot connect to PostgreSQL at {where} ({ANALYTICS_PG_URL_ENV}): {first_line}. "
            f"Check the server is running and {ANALYTICS_PG_URL_ENV} holds the analytics login's "
            "postgresql://user:password@host:port/database."
        ) from None


def load_file(connection, table: str, directory: Path) -> Loaded:
    """Loads the landing file of `table` from `directory` into raw.<table>, and records what it found,
    in one transaction. Without exactly one non-empty file, only the record changes."""
    started = time.monotonic()
    files = landing_files(directory, table)
    size = columns = has_rows = rows = None
    with connection, connection.cursor() as cursor:
        cursor.execute(CREATE_FACTS)
        if len(files) == 1:
            size = Path(files[0]).stat().st_size
        if size:
            columns, rows = copy_into_new_table(cursor, table, files[0])
            has_rows = rows > 0
            swap_in(cursor, table)
        cursor.execute(
            sql.SQL(
                """insert into {schema}.{facts} (table_name, stem, files, size_bytes, columns, has_rows, loaded_rows)
                values (%s, %s, %s, %s, %s, %s, %s)
                on conflict (table_name) do update set
                    stem = excluded.stem, files = excluded.files, size_bytes = excluded.size_bytes,
                    columns = excluded.columns, has_rows = excluded.has_rows,
                    loaded_rows = coalesce(excluded.loaded_rows, {facts}.loaded_rows), recorded_at = now()"""
            ).format(schema=sql.Identifier(RAW_SCHEMA), facts=sql.Identifier(FACTS_TABLE)),
            [table, str(directory / table), files, size, columns, has_rows, rows],
        )
    return Loaded(table, files, rows, time.monotonic() - started)


def loading_name(table: str) -> str:
    return f"{table}__loading"


def copy_into_new_table(cursor, table: str, file: str) -> tuple[list[str], int]:
    """raw.<table>__loading with the file's columns as text, filled by COPY from DuckDB's Arrow batches."""
    with duckdb.connect() as con:
        try:
            columns = [name for name, *_ in con.execute(f"describe select * from {reader(file)}").fetchall()]
            as_text = ", ".join(f'cast("{c.replace(chr(34), chr(34) * 2)}" as varchar)' for c in columns)
            batches = con.sql(f"select {as_text} from {reader(file)}").to_arrow_reader(BATCH_ROWS)
        except duckdb.Error as error:
            raise RawLoadError(f"{file} cannot be read: {str(error).strip().splitlines()[0]}") from None
        new = sql.Identifier(RAW_SCHEMA, loading_name(table))
        cursor.execute(sql.SQL("drop table if exists {}").format(new))
        cursor.execute(
            sql.SQL("create table {} ({})").format(
                new, sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in columns)
            )
        )
        copy = sql.SQL("copy {} from stdin with (format csv)").format(new)
        rows = 0
        for batch in batches:
            cursor.copy_expert(copy, csv_bytes([batch]))
            rows += batch.num_rows
    return columns, rows


def csv_bytes(batches: Iterable) -> io.BytesIO:
    """Arrow batches as CSV without a header: strings quoted, nulls empty, as COPY's csv format reads them."""
    out = io.BytesIO()
    options = pa_csv.WriteOptions(include_header=False)
    for batch in batches:
        pa_csv.write_csv(batch, out, options)
    out.seek(0)
    return out


def swap_in(cursor, table: str) -> None:
    cursor.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(RAW_SCHEMA, table)))
    cursor.execute(
        sql.SQL("alter table {} rename to {}").format(
            sql.Identifier(RAW_SCHEMA, loading_name(table)), sql.Identifier(table)
        )
    )


def load_raw_files(url: str, tables: Iterable[str], directory: Path | None = None) -> list[Loaded]:
    """Every table's landing file from `directory` (default: $WAREHOUSE_DIR/raw), each in its own transaction."""
    directory = Path(directory or raw_dir()).absolute()
    connection = connect(url)
    try:
        return [load_file(connection, table, directory) for table in tables]
    finally:
        connection.close()


def main() -> int:
    """`make load-raw`: every raw table of the dbt project from $WAREHOUSE_DIR/raw into $ANALYTICS_PG_URL."""
    import os

    from analytics_location.raw_files import RAW_TABLES

    url = os.environ.get(ANALYTICS_PG_URL_ENV)
    if not url:
        print(
            f"{ANALYTICS_PG_URL_ENV} is not set: set it to the analytics login's "
            "postgresql://user:password@host:port/database.",
            file=sys.stderr,
        )
        return 2
    try:
        for loaded in load_raw_files(url, sorted(RAW_TABLES.values())):
            print(loaded.describe())
    except (RawLoadError, psycopg2.Error) as error:
        print(f"Loading the raw files failed: {str(error).strip()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
