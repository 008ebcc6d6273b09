"""The raw landing files into PostgreSQL (WAREHOUSE_BACKEND=postgres): `make load-raw`, or in Dagster the
raw_* assets (raw_tables.py).

One file is one unit: `load_file` reads it as dbt-duckdb's raw.* views do (landing_reader.py: a Parquet
file with DuckDB, in this process; a CSV file line by line, an unreadable line kept as a row with its line
number, text and reason), streams it as Arrow batches through
`COPY ... FROM STDIN` into a new table holding every column of the file as text, and swaps that table in
for raw.<table> in the transaction that records what it found in raw.landing_files. A reader sees the
old table or the new one, never half of one. An optional contract column a file lacks (orders' line_number)
is loaded null, beside `has_<column>` (false), as dbt-duckdb's raw views give it. The checks of the file
contract (missing, empty, header only, missing columns) are not made here: dbt's on-run-start hook makes
them, on what this recorded, with the same messages as on DuckDB (macros/raw_files.sql register_raw_files)."""

import io
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg2
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg2 import sql

from analytics_location.landing_reader import LINE_COLUMNS, csv_lines, inspect
from warehouse_paths import ANALYTICS_PG_URL_ENV, landing_fingerprint, raw_dir

RAW_SCHEMA = "raw"
FACTS_TABLE = "landing_files"
FORMATS = ("parquet", "csv")
BATCH_ROWS = 500_000
BATCHED_TABLE = "orders"  # delivered in batches: the files of raw/orders/, or the single file, one batch
BATCHES_TABLE = "order_batches"

CREATE_FACTS = sql.SQL(
    """create table if not exists {schema}.{facts} (
        table_name text primary key,
        stem text not null,        -- <raw dir>/<table>: the files looked for are stem.parquet and stem.csv
        files text[] not null,     -- the files found, sorted (a usable table has exactly one)
        size_bytes bigint,         -- of the one file found
        columns text[],            -- of the one file found, as DuckDB reads its header or schema
        has_rows boolean,          -- of the one file found
        loaded_rows bigint,        -- rows now in raw.<table>; null when this file was not loaded
        batch_files text[],        -- orders only: the batch files of the folder <stem>/, sorted by name
        problem text,              -- why the one file found cannot be read at all (landing_reader.inspect)
        recorded_at timestamptz not null default now()
    )"""
).format(schema=sql.Identifier(RAW_SCHEMA), facts=sql.Identifier(FACTS_TABLE))
# A table of an older loader lacks the columns; added in place so its rows stay.
ADD_BATCH_FILES = sql.SQL(
    "alter table {schema}.{facts} add column if not exists batch_files text[], add column if not exists problem text"
).format(schema=sql.Identifier(RAW_SCHEMA), facts=sql.Identifier(FACTS_TABLE))

# The landed batches of raw.orders, and the facts the dbt hook checks of each batch file. A bad file's
# facts are recorded with rows null: it is not in raw.orders.
CREATE_BATCHES = sql.SQL(
    """create table if not exists {schema}.{batches} (
        batch text primary key,    -- the file name, as raw.orders.batch
        path text not null,
        fingerprint text not null, -- warehouse_paths.landing_fingerprint
        size_bytes bigint not null,
        columns text[],            -- as DuckDB reads the header or schema; null for an empty file
        has_rows boolean,
        rows bigint,               -- rows in raw.orders; null when the file is not usable
        problem text,              -- why the file cannot be read at all (landing_reader.inspect)
        loaded_at timestamptz not null default now()
    )"""
).format(schema=sql.Identifier(RAW_SCHEMA), batches=sql.Identifier(BATCHES_TABLE))
ADD_BATCH_PROBLEM = sql.SQL("alter table {}.{} add column if not exists problem text").format(
    sql.Identifier(RAW_SCHEMA), sql.Identifier(BATCHES_TABLE)
)


class RawLoadError(Exception):
    """A load that cannot run: one message saying what is wrong and what to do."""


@dataclass(frozen=True)
class Loaded:
    table: str
    files: list[str]
    rows: int | None  # None: the table was not (re)loaded (no single non-empty file)
    seconds: float
    # orders only: the batch names (re)loaded, unchanged (not read) and removed by this load
    batches: dict[str, list[str]] | None = None

    def describe(self) -> str:
        if self.batches is not None:
            counts = ", ".join(f"{len(names)} {kind}" for kind, names in self.batches.items())
            return f"raw.{self.table}: {self.rows or 0:,} rows, batches {counts}, in {self.seconds:.1f} s"
        if self.rows is None:
            found = " and ".join(self.files) or "no file"
            return f"raw.{self.table}: not loaded ({found}); dbt build will say why"
        return f"raw.{self.table}: {self.rows:,} rows from {self.files[0]} in {self.seconds:.1f} s"


def landing_files(directory: Path, table: str) -> list[str]:
    return sorted(str(path) for fmt in FORMATS if (path := directory / f"{table}.{fmt}").exists())


def batch_folder_files(directory: Path, table: str) -> list[str]:
    """The batch files of the folder <directory>/<table>/, sorted by name (the order batches arrived in)."""
    folder = directory / table
    if not folder.is_dir():
        return []
    return sorted((str(p) for fmt in FORMATS for p in folder.glob(f"*.{fmt}")), key=lambda p: Path(p).name)


def text_batches(file: str, columns: list[str], present: list[str]):
    """The file's `columns` as text (null for those not `present` in the file) and LINE_COLUMNS, in Arrow
    batches: a CSV file's lines as landing_reader reads them, a Parquet file's rows through DuckDB (which has
    rows, not lines: the line columns null)."""
    if file.endswith(".csv"):
        yield from csv_lines(file, columns)
        return

    def quoted_name(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    # Named as the columns, as csv_lines names them: the loader selects them by name.
    as_text = [f"cast({quoted_name(c) if c in present else 'null'} as varchar) as {quoted_name(c)}" for c in columns]
    nulls = [
        f"cast(null as {kind}) as {name}"
        for name, kind in zip(LINE_COLUMNS, ("bigint", "varchar", "varchar"), strict=True)
    ]
    quoted = "'" + file.replace("'", "''") + "'"
    with duckdb.connect() as con:
        try:
            yield from con.sql(f"select {', '.join(as_text + nulls)} from read_parquet({quoted})").to_arrow_reader(
                BATCH_ROWS
            )
        except duckdb.Error as error:
            raise RawLoadError(f"{file} cannot be read: {str(error).strip().splitlines()[0]}") from None


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
    """Orders (the batched table) batch by batch (load_batches); any other table whole."""
    contract, optional = contract_columns(table)
    if table == BATCHED_TABLE:
        return load_batches(connection, directory, contract, optional)
    return load_snapshot(connection, table, directory, optional)


def contract_columns(table: str) -> tuple[list[str], list[str]]:
    """The table's contract columns, and the optional ones among them."""
    from analytics_location.raw_files import raw_contracts  # reads the dbt manifest: only when needed

    return raw_contracts()[table]


def has_columns(optional: list[str]) -> list[str]:
    """raw.<table>'s column has_<column> for each optional contract column: whether the row's file has it."""
    return [f"has_{column}" for column in optional]


def with_has_columns(batch: pa.RecordBatch, optional: list[str], present: list[str]) -> pa.RecordBatch:
    for column in optional:
        batch = batch.append_column(f"has_{column}", pa.array([column in present] * batch.num_rows, pa.bool_()))
    return batch


def load_snapshot(connection, table: str, directory: Path, optional: list[str]) -> Loaded:
    """Loads the landing file of `table` from `directory` into raw.<table>, and records what it found,
    in one transaction. Without exactly one non-empty file, only the record changes."""
    started = time.monotonic()
    files = landing_files(directory, table)
    size = columns = has_rows = rows = problem = None
    with connection, connection.cursor() as cursor:
        cursor.execute(CREATE_FACTS)
        cursor.execute(ADD_BATCH_FILES)
        if len(files) == 1:
            found = inspect(files[0])
            size, columns, has_rows, problem = found.size, found.columns, found.has_rows, found.problem
        if size and problem is None and has_rows:
            rows = copy_into_new_table(cursor, table, files[0], columns, optional)
            swap_in(cursor, table)
        # A file that was not loaded leaves the earlier table in place, and so its row count.
        record_facts(
            cursor, directory, table, files, None, (size, columns, has_rows, rows, problem), keep_loaded_rows=True
        )
    return Loaded(table, files, rows, time.monotonic() - started)


def record_facts(
    cursor, directory: Path, table: str, files: list[str], batch_files: list[str] | None, single, keep_loaded_rows=False
) -> None:
    """The row of raw.landing_files for `table`; `single` the facts of the one single file, or None.
    `keep_loaded_rows`: a null row count keeps the recorded one (the table was left as it was)."""
    size, columns, has_rows, rows, problem = single or (None, None, None, None, None)
    facts = sql.Identifier(FACTS_TABLE)
    kept = sql.SQL("coalesce(excluded.loaded_rows, {}.loaded_rows)").format(facts)
    loaded_rows = kept if keep_loaded_rows else sql.SQL("excluded.loaded_rows")
    cursor.execute(
        sql.SQL(
            """insert into {schema}.{facts} (table_name, stem, files, size_bytes, columns, has_rows, loaded_rows,
                batch_files, problem)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
            on conflict (table_name) do update set
                stem = excluded.stem, files = excluded.files, size_bytes = excluded.size_bytes,
                columns = excluded.columns, has_rows = excluded.has_rows, loaded_rows = {loaded_rows},
                batch_files = excluded.batch_files, problem = excluded.problem, recorded_at = now()"""
        ).format(schema=sql.Identifier(RAW_SCHEMA), facts=facts, loaded_rows=loaded_rows),
        [table, str(directory / table), files, size, columns, has_rows, rows, batch_files, problem],
    )


def load_batches(connection, directory: Path, contract: list[str], optional: list[str]) -> Loaded:
    """raw.orders, batch by batch, in one transaction: a batch new or re-delivered since the last load (by
    landing_fingerprint) has its rows replaced, a removed one its rows deleted, an unchanged one is not
    read. The batches are the files of raw/orders/, or the single file raw/orders.parquet|csv as one batch;
    with both, nothing is loaded (dbt's hook says so). A bad file (empty, no rows, lacking a contract
    column that is not optional) is recorded in raw.order_batches without rows; dbt's hook names it."""
    started = time.monotonic()
    table = BATCHED_TABLE
    single, folder = landing_files(directory, table), batch_folder_files(directory, table)
    paths = folder if not single else single if len(single) == 1 and not folder else []
    changes: dict[str, list[str]] = {"loaded": [], "unchanged": [], "removed": []}
    with connection, connection.cursor() as cursor:
        for statement in (CREATE_FACTS, ADD_BATCH_FILES, CREATE_BATCHES, ADD_BATCH_PROBLEM):
            cursor.execute(statement)
        ensure_batched_table(cursor, contract, optional)
        recorded = recorded_batches(cursor)
        for path in paths:
            name, print_ = Path(path).name, landing_fingerprint(path)
            if recorded.get(name) == (path, print_):
                changes["unchanged"].append(name)
            else:
                load_batch(cursor, path, print_, contract, optional)
                changes["loaded"].append(name)
        if paths or not (single or folder):  # with both kinds present, the earlier load stays as it was
            for name in sorted(set(recorded) - {Path(p).name for p in paths}):
                delete_batch(cursor, name)
                changes["removed"].append(name)
        single_facts = batch_facts(cursor, Path(single[0]).name) if single and paths else None
        record_facts(cursor, directory, table, single, folder, single_facts)
        cursor.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(RAW_SCHEMA, table)))
        rows = cursor.fetchone()[0]
    return Loaded(table, paths, rows, time.monotonic() - started, changes)


def batched_columns(contract: list[str], optional: list[str]) -> list[str]:
    return [*contract, *has_columns(optional), *LINE_COLUMNS, "batch", "batch_fingerprint"]


def ensure_batched_table(cursor, contract: list[str], optional: list[str]) -> None:
    """raw.orders with the contract columns as text, has_<column> of the optional ones, LINE_COLUMNS, `batch`
    and `batch_fingerprint`. A table of an older loader (lacking one of them: `batch`, the line columns, an
    optional column added to the contract since) is replaced: every batch is then loaded anew."""
    columns = batched_columns(contract, optional)
    cursor.execute(
        "select count(*) from information_schema.columns where table_schema = %s and table_name = %s "
        "and column_name = any(%s)",
        [RAW_SCHEMA, BATCHED_TABLE, columns],
    )
    if cursor.fetchone()[0] == len(columns):
        return
    target = sql.Identifier(RAW_SCHEMA, BATCHED_TABLE)
    cursor.execute(sql.SQL("drop table if exists {}").format(target))
    cursor.execute(sql.SQL("delete from {}").format(sql.Identifier(RAW_SCHEMA, BATCHES_TABLE)))
    cursor.execute(sql.SQL("create table {} ({})").format(target, column_definitions(columns)))


def column_definitions(columns: list[str]) -> sql.Composable:
    """Every column text, but the line number and the has_<column> flags."""
    types = {"file_line": "bigint"}
    return sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(types.get(c, "boolean" if c.startswith("has_") else "text")))
        for c in columns
    )


def recorded_batches(cursor) -> dict[str, tuple[str, str]]:
    """Batch -> (path, fingerprint) of the batches raw.orders holds (bad files are not held: re-checked)."""
    cursor.execute(
        sql.SQL("select batch, path, fingerprint from {} where rows is not null").format(
            sql.Identifier(RAW_SCHEMA, BATCHES_TABLE)
        )
    )
    return {batch: (path, print_) for batch, path, print_ in cursor.fetchall()}


def delete_batch(cursor, name: str) -> None:
    cursor.execute(sql.SQL("delete from {} where batch = %s").format(sql.Identifier(RAW_SCHEMA, BATCHED_TABLE)), [name])
    cursor.execute(sql.SQL("delete from {} where batch = %s").format(sql.Identifier(RAW_SCHEMA, BATCHES_TABLE)), [name])


def load_batch(cursor, path: str, print_: str, contract: list[str], optional: list[str]) -> None:
    """Replaces the rows of one batch in raw.orders when its file is usable, and records its facts."""
    name = Path(path).name
    delete_batch(cursor, name)
    found = inspect(path)
    usable = found.usable(contract, optional)
    rows = copy_batch(cursor, path, name, print_, (contract, optional), found.columns) if usable else None
    cursor.execute(
        sql.SQL(
            "insert into {} (batch, path, fingerprint, size_bytes, columns, has_rows, rows, problem) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(sql.Identifier(RAW_SCHEMA, BATCHES_TABLE)),
        [name, path, print_, found.size, found.columns or None, found.has_rows, rows, found.problem],
    )


def batch_facts(cursor, name: str):
    """(size, columns, has_rows, rows, problem) recorded for one batch, as raw.landing_files holds a single file's."""
    cursor.execute(
        sql.SQL("select size_bytes, columns, has_rows, rows, problem from {} where batch = %s").format(
            sql.Identifier(RAW_SCHEMA, BATCHES_TABLE)
        ),
        [name],
    )
    return cursor.fetchone()


def copy_batch(cursor, file: str, name: str, print_: str, contract: tuple[list[str], list[str]], present) -> int:
    """COPYs the contract columns of one batch file, as text (and whether it has the optional ones), and its
    lines' columns, with its batch name and fingerprint. `contract`: the columns and the optional ones."""
    columns, optional = contract
    names = sql.SQL(", ").join(sql.Identifier(c) for c in batched_columns(columns, optional))
    copy = sql.SQL("copy {} ({}) from stdin with (format csv)").format(sql.Identifier(RAW_SCHEMA, BATCHED_TABLE), names)
    rows = 0
    for batch in text_batches(file, columns, present):
        # In raw.orders' column order: the contract columns, the has_ flags, then the line columns.
        text = batch.select(columns)
        flagged = with_has_columns(text, optional, present)
        for line_column in LINE_COLUMNS:
            flagged = flagged.append_column(line_column, batch.column(line_column))
        tagged = flagged.append_column("batch", pa.array([name] * batch.num_rows, pa.string()))
        tagged = tagged.append_column("batch_fingerprint", pa.array([print_] * batch.num_rows, pa.string()))
        cursor.copy_expert(copy, csv_bytes([tagged]))
        rows += batch.num_rows
    return rows


def loading_name(table: str) -> str:
    return f"{table}__loading"


def copy_into_new_table(cursor, table: str, file: str, columns: list[str], optional: list[str]) -> int:
    """raw.<table>__loading with the file's columns as text (and the optional contract columns it lacks, null),
    has_<column> of the optional ones and its lines' columns, filled by COPY."""
    lacking = [c for c in optional if c not in columns]
    new = sql.Identifier(RAW_SCHEMA, loading_name(table))
    cursor.execute(sql.SQL("drop table if exists {}").format(new))
    cursor.execute(
        sql.SQL("create table {} ({})").format(
            new, column_definitions([*columns, *lacking, *has_columns(optional), *LINE_COLUMNS])
        )
    )
    copy = sql.SQL("copy {} from stdin with (format csv)").format(new)
    rows = 0
    for batch in text_batches(file, [*columns, *lacking], columns):
        text = with_has_columns(batch.select([*columns, *lacking]), optional, columns)
        for line_column in LINE_COLUMNS:
            text = text.append_column(line_column, batch.column(line_column))
        cursor.copy_expert(copy, csv_bytes([text]))
        rows += batch.num_rows
    return rows


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
    from analytics_location.raw_files import RAW_TABLES  # reads the dbt manifest: only when run as a command

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
