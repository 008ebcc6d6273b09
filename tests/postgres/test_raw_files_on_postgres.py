"""The raw landing files on PostgreSQL: the same contract and messages as on DuckDB (one definition, in
macros/raw_files.sql), and a load that replaces raw.<table> whole or not at all."""

import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg2
import pytest
from pg_warehouse import BothBackends
from support import REPO_ROOT

from analytics_location.raw_load import load_raw_files

sys.path.insert(0, str(Path(__file__).parents[1] / "reliability"))
import test_bad_input
import test_malformed_lines
from test_bad_input import FILE_CLASSES
from test_malformed_lines import CLEAN, LINE_CLASSES, check_quarantine

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
    duck, pg, _ = both.on_both("build")  # the load loads what it can, records what it found; the checks are dbt's

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


def test_a_file_that_cannot_be_read_leaves_the_table_as_it_was(clean_csv, analytics_pg_url):
    """A snapshot replaced by a file that does not read: the load records why and keeps the table; dbt says it."""
    both = BothBackends(clean_csv, analytics_pg_url)
    both.load_postgres()
    before = both.postgres_rows("raw.products")[1]
    assert before
    (clean_csv.raw / "products.csv").unlink()
    (clean_csv.raw / "products.parquet").write_bytes(b"PAR1 this is not a parquet file")  # not empty, unreadable

    [loaded] = load_raw_files(analytics_pg_url, ["products"], clean_csv.raw)

    assert loaded.rows is None
    assert both.postgres_rows("raw.products")[1] == before
    result = both.dbt_postgres("build")
    assert result.returncode != 0
    assert "products.parquet is a truncated Parquet file" in result.stdout, result.stdout[-3000:]
    assert "Traceback" not in result.stdout and "psycopg2" not in result.stdout


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


def load_raw_command(warehouse, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analytics_location.raw_load"],
        env={**warehouse.env, "DBT_PROJECT_DIR": str(REPO_ROOT / "analytics_dbt"), **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_load_raw_with_a_wrong_password_says_so_in_one_message(clean_csv, analytics_pg_url):
    user, rest = analytics_pg_url.split("://", 1)[1].split(":", 1)
    wrong = f"postgresql://{user}:not-the-password@{rest.split('@', 1)[1]}"
    result = load_raw_command(clean_csv, ANALYTICS_PG_URL=wrong)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Cannot connect to PostgreSQL at 127.0.0.1:" in result.stderr
    assert "password authentication failed" in result.stderr


def test_make_load_raw_without_a_url_names_the_variable(clean_csv):
    result = load_raw_command(clean_csv, ANALYTICS_PG_URL="")
    assert result.returncode == 2
    assert result.stderr.startswith("ANALYTICS_PG_URL is not set")


def test_make_load_raw_loads_every_table(clean_csv, analytics_pg_url):
    result = load_raw_command(clean_csv, ANALYTICS_PG_URL=analytics_pg_url)
    assert result.returncode == 0, result.stderr
    tables = [line.split(":")[0] for line in result.stdout.splitlines()]
    assert tables == ["raw.customers", "raw.orders", "raw.products"]


@pytest.mark.parametrize("bad_class", LINE_CLASSES)
def test_a_malformed_line_is_quarantined_the_same_through_make_load_raw(clean_csv, analytics_pg_url, bad_class):
    table, expected, staged_extra = test_malformed_lines.spoil(clean_csv, bad_class)
    loaded = load_raw_command(clean_csv, ANALYTICS_PG_URL=analytics_pg_url)
    assert loaded.returncode == 0, loaded.stderr
    both = BothBackends(clean_csv, analytics_pg_url)
    pg = both.dbt_postgres("build", *test_malformed_lines.SELECTED)
    assert pg.returncode == 0, pg.stdout[-3000:]
    columns, rows = both.postgres_rows(f"quarantine.rejected_{table} order by file_line")
    check_quarantine(
        [(r[columns.index("file_line")], r[columns.index("line_text")], r[columns.index("reason")]) for r in rows],
        expected,
    )
    assert len(both.postgres_rows(f"staging.stg_{table}")[1]) == CLEAN[table] + staged_extra
