"""Print what the pipeline produced and where: the public marts, the quarantine, the ML tables and the
models' held-out metrics beside their baselines, or why a model was not trained. Reads both warehouse files
read-only; a table that is not there is reported as such. On a PostgreSQL warehouse (WAREHOUSE_BACKEND=postgres)
the same report is made from the server: each team's tables are read as that team's login into an in-memory
DuckDB laid out as the files are, so one report serves both backends."""

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from warehouse_paths import (
    ANALYTICS_PG_URL_ENV,
    ML_PG_URL_ENV,
    PG_ML_SCHEMA,
    analytics_db,
    ml_db,
    raw_dir,
    warehouse_backend,
)

# Each model table and the predictions it scores. Its metrics are shown beside their `baseline_` counterparts.
MODELS = {"customer_churn_model": "customer_risk_scores", "demand_forecast_model": "product_demand_forecasts"}


def table_counts(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> dict[str, int]:
    """Exact row counts of every table in `schemas`, as {"schema.table": rows}."""
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where schema_name in (select unnest(?)) order by schema_name desc, table_name",
        [list(schemas)],
    ).fetchall()
    return {
        f"{schema}.{table}": con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
        for schema, table in tables
    }


def rejection_reasons(con: duckdb.DuckDBPyConnection, quarantine: list[str]) -> str:
    """The three most common reasons rows were rejected, over every quarantine table; "none" if none."""
    if not quarantine:
        return "none"
    rows = " union all ".join(f"select reason from {table}" for table in quarantine)
    reasons = con.execute(f"select reason, count(*) from ({rows}) group by all order by 2 desc, 1 limit 3").fetchall()
    return "; ".join(f"{reason} ({n:,})" for reason, n in reasons) or "none"


def model_lines(con: duckdb.DuckDBPyConnection, tables: dict[str, int]) -> list[str]:
    """Per model: its latest training attempt (metrics vs baseline, or why it was not trained, or the blocking
    checks it failed), and what its predictions table holds."""
    lines = []
    for model, predictions in MODELS.items():
        scored_by = ""
        if f"main.{predictions}" in tables:
            versions = con.execute(f'select distinct model_version from "{predictions}"').fetchall()
            scored_by = ", ".join(f"v{version}" for (version,) in versions)
        if not tables.get(f"main.{model}"):
            lines.append(f"  {model}: not built yet")
            continue
        cursor = con.execute(f'select * from "{model}" order by trained_at desc limit 1')
        latest = dict(zip([column for column, *_ in cursor.description], *cursor.fetchall(), strict=True))
        if latest.get("not_trained_reason"):
            lines.append(f"  {latest['not_trained_reason']}")  # starts "<model> was not trained: "
            held = f"still holds the scores of {model} {scored_by}" if scored_by else "does not exist"
            lines.append(f"  {predictions}: not rebuilt, no current model to score with ({predictions} {held})")
            continue
        metrics = json.loads(latest["metrics"])
        names = [name for name in metrics if f"baseline_{name}" in metrics]
        figures = ", ".join(f"{n} {metrics[n]:.3f} vs {metrics['baseline_' + n]:.3f}" for n in names)
        lines.append(f"  {model} v{latest['version']}: {figures}")
        if latest.get("failed_checks"):  # stored, but nothing scores with it (ml_location/model_quality.py)
            lines.append(f"  {model} v{latest['version']} failed its blocking checks: {latest['failed_checks']}")
            held = f"still holds the scores of {model} {scored_by}" if scored_by else "does not exist"
            lines.append(f"  {predictions}: not rebuilt from v{latest['version']} ({predictions} {held})")
            continue
        if scored_by:
            lines.append(f"  {predictions}: scored by {model} {scored_by}")
    return lines


def server_name(url: str) -> str:
    """user@host:port/database: never the password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"postgresql://{parts.username}@{parts.hostname}:{parts.port or 5432}{parts.path}"


@contextmanager
def from_server(url: str, schemas: dict[str, str]) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The tables of the server's `schemas` ({server schema: local schema}), read as the login of `url`,
    in an in-memory DuckDB; None when the server has none of them yet."""
    import adbc_driver_postgresql.dbapi

    con = duckdb.connect()
    try:
        with adbc_driver_postgresql.dbapi.connect(url) as server, server.cursor() as cur:
            cur.execute("select table_schema, table_name from information_schema.tables where table_type like 'BASE%'")
            tables = [(schema, table) for schema, table in cur.fetchall() if schema in schemas]
            for schema, table in tables:
                cur.execute(f'select * from "{schema}"."{table}"')
                con.register("server_rows", cur.fetch_arrow_table())
                con.execute(f'create schema if not exists "{schemas[schema]}"')
                con.execute(f'create table "{schemas[schema]}"."{table}" as select * from server_rows')
                con.unregister("server_rows")
        yield con if tables else None
    finally:
        con.close()


@contextmanager
def analytics_tables() -> Iterator[tuple[str, duckdb.DuckDBPyConnection | None]]:
    if warehouse_backend() == "postgres":
        url = os.environ[ANALYTICS_PG_URL_ENV]
        with from_server(url, {"marts": "marts", "quarantine": "quarantine"}) as con:
            yield server_name(url), con
    elif analytics_db().exists():
        with duckdb.connect(str(analytics_db()), read_only=True) as con:
            yield str(analytics_db()), con
    else:
        yield str(analytics_db()), None


@contextmanager
def ml_tables() -> Iterator[tuple[str, duckdb.DuckDBPyConnection | None]]:
    if warehouse_backend() == "postgres":
        url = os.environ[ML_PG_URL_ENV]
        with from_server(url, {PG_ML_SCHEMA: "main"}) as con:
            yield f"{server_name(url)} schema {PG_ML_SCHEMA}", con
    elif ml_db().exists():
        with duckdb.connect(str(ml_db()), read_only=True) as con:
            yield str(ml_db()), con
    else:
        yield str(ml_db()), None


def query_hint(table: str) -> str:
    if warehouse_backend() == "postgres":
        return f'psql "${ML_PG_URL_ENV}" -c "select * from {PG_ML_SCHEMA}.{table} limit 5"'
    return (
        '.venv/bin/python -c "import duckdb; '
        f"print(duckdb.connect('{ml_db()}', read_only=True).sql('from {table} limit 5'))\""
    )


def main() -> int:
    with analytics_tables() as (where, con):
        if con is None:
            print(f"{where} has no marts yet: run `make demo`.", file=sys.stderr)
            return 1
        print(f"\nRaw files:  {raw_dir()}")
        print(f"Analytics:  {where}")
        tables = table_counts(con, ("marts", "quarantine"))
        for table, rows in tables.items():
            print(f"  {table:<38} {rows:>12,} rows")
        quarantine = [table for table in tables if table.startswith("quarantine.")]
        print(f"  most common reasons rows were rejected: {rejection_reasons(con, quarantine)}")

    with ml_tables() as (where, con):
        if con is None:
            print(f"ML:         {where} does not exist yet")
            return 0
        print(f"ML:         {where}")
        tables = table_counts(con, ("main",))
        for table, rows in tables.items():
            # named as one queries it: on the server the copy's `main` is schema ml
            shown = f"{PG_ML_SCHEMA}.{table.removeprefix('main.')}" if warehouse_backend() == "postgres" else table
            print(f"  {shown:<38} {rows:>12,} rows")
        print("Models, on held-out data (model vs baseline):")
        for line in model_lines(con, tables):
            print(line)
    predictions = [p for p in MODELS.values() if f"main.{p}" in tables]
    if predictions:
        print(f"\nQuery them: {query_hint(predictions[0])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
