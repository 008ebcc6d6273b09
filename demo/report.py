"""Print what the pipeline produced and where: the public marts, the quarantine, the ML tables and the
models' held-out metrics beside their baselines. Reads both warehouse files read-only."""

import json
import sys

import duckdb

from warehouse_paths import analytics_db, ml_db, raw_dir

MODEL_METRICS = {
    "customer_churn_model": ("roc_auc", "precision", "recall"),
    "demand_forecast_model": ("mae",),
}


def table_counts(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[tuple[str, int]]:
    tables = con.execute(
        "select schema_name, table_name, estimated_size from duckdb_tables() "
        "where schema_name in (select unnest(?)) order by schema_name desc, table_name",
        [list(schemas)],
    ).fetchall()
    return [(f"{schema}.{table}", rows) for schema, table, rows in tables]


def main() -> int:
    if not analytics_db().exists():
        print(f"{analytics_db()} does not exist yet: run `make demo`.", file=sys.stderr)
        return 1
    print(f"\nRaw files:  {raw_dir()}")
    print(f"Analytics:  {analytics_db()}")
    with duckdb.connect(str(analytics_db()), read_only=True) as con:
        for table, rows in table_counts(con, ("marts", "quarantine")):
            print(f"  {table:<38} {rows:>12,} rows")
        reasons = con.execute(
            "select reason, count(*) from quarantine.rejected_orders group by all order by 2 desc limit 3"
        ).fetchall()
    print("  most common reasons orders were rejected: " + "; ".join(f"{r} ({n:,})" for r, n in reasons))

    if ml_db().exists():
        print(f"ML:         {ml_db()}")
        with duckdb.connect(str(ml_db()), read_only=True) as con:
            for table, rows in table_counts(con, ("main",)):
                print(f"  {table:<38} {rows:>12,} rows")
            print("Models, on held-out data (model vs baseline):")
            for model, names in MODEL_METRICS.items():
                [(version, metrics)] = con.execute(
                    f'select version, metrics from "{model}" order by version desc limit 1'
                ).fetchall()
                metrics = json.loads(metrics)
                figures = ", ".join(f"{n} {metrics[n]:.3f} vs {metrics['baseline_' + n]:.3f}" for n in names)
                print(f"  {model} v{version}: {figures}")
    print(
        '\nQuery them: .venv/bin/python -c "import duckdb; '
        f"print(duckdb.connect('{ml_db()}', read_only=True).sql('from customer_risk_scores limit 5'))\""
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
