"""Print what the pipeline produced: the public marts and the quarantine, with row counts and where they
live. Reads the warehouse read-only, so it is safe to run at any time."""

import sys

import duckdb

from warehouse_paths import analytics_db, raw_dir


def main() -> int:
    db = analytics_db()
    if not db.exists():
        print(f"{db} does not exist yet: run `make demo` (or `dbt build` in analytics_dbt/).", file=sys.stderr)
        return 1
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('marts', 'quarantine') order by table_schema desc, table_name"
        ).fetchall()
        print(f"\nRaw files:  {raw_dir()}")
        print(f"Warehouse:  {db}")
        for schema, table in tables:
            (rows,) = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            print(f"  {schema}.{table:<28} {rows:>12,} rows")
        rejected = con.execute(
            "select reason, count(*) from quarantine.rejected_orders group by all order by 2 desc limit 5"
        ).fetchall()
        if rejected:
            print("Most common reasons orders were rejected:")
            for reason, rows in rejected:
                print(f"  {rows:>8,}  {reason}")
    print(
        f"\nQuery it:   .venv/bin/python -c \"import duckdb; print(duckdb.connect('{db}', read_only=True)"
        ".sql('from marts.customer_order_summary limit 5'))\""
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
