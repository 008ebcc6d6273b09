"""The ML location's only way into the analytics warehouse: read-only, brief, checked, through Arrow."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from pydantic import Field

from ml_location.duckdb_files import connect, quoted
from ml_location.upstream import MARTS_SCHEMA, PRODUCER_LOCATION, PublicModel
from warehouse_paths import analytics_db


class UpstreamNotMaterialized(dg.Failure):
    pass


class UpstreamContractBroken(dg.Failure):
    pass


class AnalyticsWarehouse(dg.ConfigurableResource):
    """Reads the analytics team's public marts from $WAREHOUSE_DIR/analytics.duckdb.

    The file is opened read-only and only for the duration of a read, so the analytics team's writers
    (dbt, the analytics location) are never held up for long, and nothing here can write to it."""

    warehouse_dir: str = Field(
        description="The shared warehouse folder ($WAREHOUSE_DIR); the marts are read from its analytics.duckdb."
    )
    lock_timeout_seconds: float = Field(
        default=120.0, description="How long to wait for a writer (a dbt build) to release the file."
    )

    @property
    def path(self) -> Path:
        return analytics_db(Path(self.warehouse_dir).absolute())

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(
            self.path,
            read_only=True,
            lock_timeout_seconds=self.lock_timeout_seconds,
            what=f"the `{PRODUCER_LOCATION}` location's warehouse",
        )
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def views(self, *models: PublicModel) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection in which each model is a temporary view named as the model, holding
        only the columns of its contract, so SQL run in it (aggregating where the data lies) sees one
        consistent state of the file and nothing the contract does not check. Every contract is
        checked first."""
        if not self.path.exists():
            raise not_materialized(models, f"{self.path} does not exist")
        with self.connection() as con:
            check_contracts(con, self.path, models)
            for model in models:
                con.execute(
                    f"create temp view {quoted(model.name)} as select "
                    f"{', '.join(quoted(c) for c in model.columns)} from {quoted(MARTS_SCHEMA)}.{quoted(model.name)}"
                )
            yield con

    def read(self, *models: PublicModel) -> list[pd.DataFrame]:
        """The models' contract columns as DataFrames, through Arrow, from one consistent state of the file."""
        with self.views(*models) as con:
            return [con.table(model.name).to_arrow_table().to_pandas(date_as_object=False) for model in models]


def check_contracts(con: duckdb.DuckDBPyConnection, path: Path, models: tuple[PublicModel, ...]) -> None:
    found: dict[str, dict[str, str]] = {}
    for table, column, data_type in con.execute(
        "select table_name, column_name, data_type from information_schema.columns where table_schema = ?",
        [MARTS_SCHEMA],
    ).fetchall():
        found.setdefault(table, {})[column] = data_type

    missing = [model for model in models if model.name not in found]
    if missing:
        tables = ", ".join(f"{MARTS_SCHEMA}.{m.name}" for m in missing)
        raise not_materialized(missing, f"{path} has no table {tables}")

    problems = []
    for model in models:
        columns = found[model.name]
        for column, expected in model.columns.items():
            if column not in columns:
                problems.append(
                    f"{MARTS_SCHEMA}.{model.name}.{column} is missing (the table has: {', '.join(columns)})"
                )
            elif columns[column].upper() != expected:
                problems.append(f"{MARTS_SCHEMA}.{model.name}.{column} is {columns[column]}, expected {expected}")
    if problems:
        raise UpstreamContractBroken(
            description=(
                f"The `{PRODUCER_LOCATION}` location's public models no longer match what the ML location "
                "reads (ml_location/upstream.py):\n  - " + "\n  - ".join(problems) + "\nNothing was computed. "
                "Either the analytics team changed a public model (agree on a new version with them), "
                "or update ml_location/upstream.py and the features that use the column."
            )
        )


def not_materialized(models, why: str) -> UpstreamNotMaterialized:
    names = ", ".join(model.name for model in models)
    return UpstreamNotMaterialized(
        description=(
            f"Upstream asset(s) {names} not materialized yet: {why}. They are public models of the "
            f"`{PRODUCER_LOCATION}` code location. Materialize them first (Dagster UI: select {names} with "
            "their upstream assets, then Materialize; or `dbt build` in analytics_dbt/), then run this "
            "asset again."
        ),
        metadata={"missing_assets": names, "producer_location": PRODUCER_LOCATION},
    )
