"""How long the ML location takes to read the public marts into pandas, per way of reading PostgreSQL and on
DuckDB, for the same marts: the measurement behind the reader AnalyticsWarehouse uses on the server.

    PG_ADMIN_URL=postgresql://postgres:pw@127.0.0.1:5432/postgres python -m bench.reader_candidates --orders 1000000

Generates the raw files, builds them with dbt on DuckDB, copies the four public marts into a new database on
the server (as dbt would leave them: the contract's types), then times each candidate reading every mart's
contract columns (best of --repeat). Candidates: ADBC's PostgreSQL driver (Arrow; it reads with COPY
... TO STDOUT in binary), psycopg2's COPY ... TO STDOUT as CSV parsed by pyarrow, psycopg2 rows into a
DataFrame; and the project's reader on both backends, with the customer features computed on what it read."""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.csv

from datagen.generate import Sizes, generate
from ml_location.analytics_reader import AnalyticsWarehouse
from ml_location.features import customer_feature_snapshots
from ml_location.upstream import CUSTOMER_MONTHLY_ACTIVITY, CUSTOMER_ORDER_SUMMARY, PUBLIC_MODELS
from pg_roles import apply

REPO = Path(__file__).resolve().parents[1]
ARROW_TYPES = {"BIGINT": pa.int64(), "DOUBLE": pa.float64(), "VARCHAR": pa.string(), "DATE": pa.date32()}


def select(model) -> str:
    return f"select {', '.join(model.columns)} from marts.{model.name}"


def adbc(url: str) -> list[pd.DataFrame]:
    import adbc_driver_postgresql.dbapi

    with adbc_driver_postgresql.dbapi.connect(url) as con, con.cursor() as cur:
        frames = []
        for model in PUBLIC_MODELS:
            cur.execute(select(model))
            frames.append(cur.fetch_arrow_table().to_pandas(date_as_object=False))
        return frames


def copy_csv(url: str) -> list[pd.DataFrame]:
    import io

    with psycopg2.connect(url) as con, con.cursor() as cur:
        frames = []
        for model in PUBLIC_MODELS:
            buffer = io.BytesIO()
            cur.copy_expert(f"copy ({select(model)}) to stdout with (format csv, header)", buffer)
            buffer.seek(0)
            types = {column: ARROW_TYPES[kind] for column, kind in model.columns.items()}
            table = pyarrow.csv.read_csv(buffer, convert_options=pyarrow.csv.ConvertOptions(column_types=types))
            frames.append(table.to_pandas(date_as_object=False))
        return frames


def psycopg2_rows(url: str) -> list[pd.DataFrame]:
    with psycopg2.connect(url) as con, con.cursor() as cur:
        frames = []
        for model in PUBLIC_MODELS:
            cur.execute(select(model))
            frames.append(pd.DataFrame(cur.fetchall(), columns=list(model.columns)))
        return frames


def best_of(repeat: int, read) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return round(min(times), 3)


def features(reader: AnalyticsWarehouse) -> None:
    with reader.views(CUSTOMER_ORDER_SUMMARY, CUSTOMER_MONTHLY_ACTIVITY) as con:
        customer_feature_snapshots(con, 3)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    admin_url = os.environ["PG_ADMIN_URL"]
    root = Path(tempfile.mkdtemp(prefix="reader-bench-"))
    generate(root / "raw", Sizes.for_orders(args.orders), seed=1)
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "WAREHOUSE_DIR": str(root), "WAREHOUSE_BACKEND": "duckdb"}
    project = ["--project-dir", str(REPO / "analytics_dbt"), "--profiles-dir", str(REPO / "analytics_dbt")]
    paths = ["--target-path", str(root / "target"), "--log-path", str(root / "logs")]
    subprocess.run([str(dbt), "build", "--quiet", *project, *paths], env=env, check=True)

    name = f"reader_bench_{secrets.token_hex(3)}"
    con = psycopg2.connect(admin_url)
    con.autocommit = True  # CREATE DATABASE cannot run in a transaction
    con.cursor().execute(f"create database {name}")
    con.close()
    base = admin_url.rsplit("/", 1)[0]
    host = base.split("@", 1)[1]
    analytics_url, ml_url = (f"postgresql://{name}_{team}:{name}@{host}/{name}" for team in ("analytics", "ml"))
    apply(f"{base}/{name}", analytics_url, ml_url)
    import adbc_driver_postgresql.dbapi

    with duckdb.connect(str(root / "analytics.duckdb"), read_only=True) as source:
        tables = {m.name: source.table(f"marts.{m.name}").to_arrow_table() for m in PUBLIC_MODELS}
    with adbc_driver_postgresql.dbapi.connect(analytics_url) as con, con.cursor() as cur:
        for mart, table in tables.items():
            cur.adbc_ingest(mart, table, mode="create", db_schema_name="marts")
        con.commit()

    on_duckdb = AnalyticsWarehouse(warehouse_dir=str(root))
    on_server = AnalyticsWarehouse(warehouse_dir=str(root), postgres_url=ml_url)
    figures = {
        "orders": args.orders,
        "mart_rows": {m: t.num_rows for m, t in tables.items()},
        "read_all_marts_seconds": {
            "adbc_postgresql": best_of(args.repeat, lambda: adbc(ml_url)),
            "psycopg2_copy_csv_pyarrow": best_of(args.repeat, lambda: copy_csv(ml_url)),
            "psycopg2_rows": best_of(args.repeat, lambda: psycopg2_rows(ml_url)),
            "reader_postgres": best_of(args.repeat, lambda: on_server.read(*PUBLIC_MODELS)),
            "reader_duckdb": best_of(args.repeat, lambda: on_duckdb.read(*PUBLIC_MODELS)),
        },
        "customer_features_seconds": {
            "reader_postgres": best_of(args.repeat, lambda: features(on_server)),
            "reader_duckdb": best_of(args.repeat, lambda: features(on_duckdb)),
        },
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
