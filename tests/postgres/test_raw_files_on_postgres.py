"""The raw landing files on PostgreSQL: the same contract and messages as on DuckDB (one definition, in
macros/raw_files.sql), and a load that replaces raw.<table> whole or not at all."""

import sys
from pathlib import Path

import duckdb
import psycopg2
import pytest
from pg_warehouse import BothBackends

from analytics_location.raw_load import RawLoadError, load_raw_files

sys.path.insert(0, str(Path(__file__).parents[1] / "reliability"))
import test_bad_input
from test_bad_input import FILE_CLASSES

clean_csv = test_bad_input.clean_csv  # the fixture: a clean CSV dataset


def problem_lines(output: str) -> list[str]:
    """The lines of the one message dbt prints for unusable raw files, from its first line to its last."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "Raw landing files in" in line)
    end = next(i for i, line in enumerate(lines) if i > start and "Each table needs exactly one" in line)
    return [line.split("Raw landing files in")[-1].strip() for line in lines[start : end + 1]]


@pytest.mark.parametrize("bad_class", FILE_CLASSES)
def test_an_unusable_file_gives_the_same_message_on_both(clean_csv, analytics_pg_url, bad_class):
    spoil, message = FILE_CLASSES[bad_class]
    spoil(clean_csv.raw)
    both = BothBackends(clean_csv, analytics_pg_url)
    duck = both.dbt_duckdb("build")
    both.load_postgres()  # loads what it can, records what it found; the checks are dbt's
    pg = both.dbt_postgres("build")

    assert duck.returncode != 0 and pg.returncode != 0
    assert message in pg.stdout, pg.stdout[-3000:]
    assert problem_lines(pg.stdout) == problem_lines(duck.stdout)
    assert "OK created" not in pg.stdout


def test_a_table_never_loaded_is_named_with_the_command_that_loads_it(warehouse, analytics_pg_url):
    both = BothBackends(warehouse, analytics_pg_url)
    with psycopg2.connect(analytics_pg_url) as connection, connection.cursor() as cursor:
        cursor.execute("drop table if exists raw.landing_files")
    result = both.dbt_postgres("build")
    assert result.returncode != 0
    assert "raw.orders has never been loaded into PostgreSQL: run `make load-raw`" in result.stdout, result.stdout[
        -3000:
    ]


def test_extra_columns_are_loaded_named_and_ignored(clean_csv, analytics_pg_url):
    orders = clean_csv.raw / "orders.csv"
    lines = orders.read_text().splitlines()
    orders.write_text("\n".join([lines[0] + ",discount", *(line + ",0.1" for line in lines[1:])]) + "\n")
    both = BothBackends(clean_csv, analytics_pg_url)
    both.load_postgres()
    result = both.dbt_postgres("build")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "orders.csv has column(s) outside the contract, ignored: discount" in result.stdout


def test_a_load_that_fails_leaves_the_table_as_it_was(clean_csv, analytics_pg_url):
    both = BothBackends(clean_csv, analytics_pg_url)
    both.load_postgres()
    before = both.postgres_rows("raw.orders")[1]
    assert before
    (clean_csv.raw / "orders.csv").unlink()
    (clean_csv.raw / "orders.parquet").write_bytes(b"PAR1 this is not a parquet file")  # not empty, unreadable

    with pytest.raises(RawLoadError, match=r"orders\.parquet cannot be read"):
        load_raw_files(analytics_pg_url, ["orders"], clean_csv.raw)

    assert both.postgres_rows("raw.orders")[1] == before
    columns, [facts] = both.postgres_rows("raw.landing_files where table_name = 'orders'")
    assert dict(zip(columns, facts, strict=True))["files"] == [str(clean_csv.raw / "orders.csv")]


def test_a_parquet_file_loads_every_value_as_duckdb_reads_it(warehouse, analytics_pg_url):
    """The generator writes Parquet with typed columns; raw.* holds them as DuckDB's text of each value."""
    warehouse.generate(orders=2_000)
    [orders] = load_raw_files(analytics_pg_url, ["orders"], warehouse.raw)
    assert orders.rows and orders.files == [str(warehouse.raw / "orders.parquet")]

    with duckdb.connect() as con:
        expected = con.execute(
            f"select cast(order_id as varchar), cast(price as varchar), cast(order_date as varchar) "
            f"from read_parquet('{warehouse.raw / 'orders.parquet'}')"
        ).fetchall()
    with psycopg2.connect(analytics_pg_url) as connection, connection.cursor() as cursor:
        cursor.execute("select order_id, price, order_date from raw.orders")
        assert sorted(cursor.fetchall(), key=str) == sorted(expected, key=str)
