"""A dbt-duckdb plugin (profiles.yml, `plugins:`) that gives dbt's raw-file hook the SQL function
`landing_file(path, contract_columns, optional_columns, cache_dir)`: one landing file's facts as JSON, and
the Parquet file its raw view reads (landing_reader.py, the one definition of reading a landing file, which
the PostgreSQL raw loader uses too). SQL cannot catch a query error, so a file DuckDB cannot read would stop the hook
with DuckDB's own text; a function that looks at the file first can say what is wrong in words. It imports
only duckdb, pyarrow and dbt, so an analyst's plain `dbt build`, with no Dagster involved, loads it."""

from dbt.adapters.duckdb.plugins import BasePlugin

from analytics_location.landing_reader import landing_file


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        conn.create_function(
            "landing_file", landing_file, ["VARCHAR", "VARCHAR[]", "VARCHAR[]", "VARCHAR"], "VARCHAR", side_effects=True
        )
