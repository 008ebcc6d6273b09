"""Trained models live in ml.duckdb, one table per model asset (named as the asset), one row per training
attempt: a trained model with its version, the model in skops format, its features, held-out metrics and
the data version it was fit on, and the blocking checks it failed (`failed_checks`, null when it passed); or
an attempt that could not train, with no model and the reason why (`not_trained_reason`), so that no reader
mistakes the last trained model for a current one.

skops, unlike pickle, loads only the types it is told to trust, so a tampered blob cannot run code. It is
imported only when a model is saved or loaded: it imports every scikit-learn estimator, which each process
that merely loads this location would otherwise pay for (docs/benchmarks.md)."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import dagster as dg

from ml_location.duckdb_files import quoted
from ml_location.ml_warehouse import MlWarehouse

if TYPE_CHECKING:
    from ml_location.models import NotTrained, Trained

# Beyond skops' defaults (numpy, scikit-learn estimators), the only types our models contain: the demand
# model's trees, and the dtype the churn model's imputer records.
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor", "numpy.dtype"]


@dataclass
class StoredModel:
    model: object
    features: tuple[str, ...]
    version: int
    trained_at: datetime
    data_version: str


def _model_table(con, name: str) -> str:
    table = quoted(name)
    # trained_at: when the training ran (or was attempted); version, features, model: null when not trained.
    con.execute(
        f"create table if not exists {table} (version integer, trained_at timestamptz, data_version varchar, "
        "features varchar[], metrics json, model blob, not_trained_reason varchar, failed_checks varchar)"
    )
    for column in ("not_trained_reason", "failed_checks"):  # tables written by older versions of this code
        con.execute(f"alter table {table} add column if not exists {column} varchar")
    return table


def save_model(warehouse: MlWarehouse, name: str, trained: "Trained") -> int:
    """Stores a trained model as the next version of `name`; returns the version."""
    import skops.io

    with warehouse.connection() as con:
        table = _model_table(con, name)
        con.execute("begin transaction")
        [(version,)] = con.execute(f"select coalesce(max(version), 0) + 1 from {table}").fetchall()
        con.execute(
            f"insert into {table} values (?, ?, ?, ?, ?, ?, null, ?)",
            [
                version,
                datetime.now(UTC),
                trained.data_version,
                list(trained.features),
                json.dumps(trained.metrics),
                skops.io.dumps(trained.model),
                trained.failed_checks,
            ],
        )
        con.execute("commit")
    return version


def record_not_trained(warehouse: MlWarehouse, name: str, not_trained: "NotTrained") -> None:
    """Stores an attempt that could not train: the reason, and its figures in `metrics`."""
    with warehouse.connection() as con:
        table = _model_table(con, name)
        con.execute(
            f"insert into {table} (trained_at, metrics, not_trained_reason) values (?, ?, ?)",
            [datetime.now(UTC), json.dumps(not_trained.figures), not_trained.reason],
        )


def _has_failed_checks(con, name: str) -> bool:
    """Tables written before the blocking model checks have no failed_checks column (save_model adds it)."""
    return bool(
        con.execute(
            "select 1 from duckdb_columns() where table_name = ? and column_name = 'failed_checks'", [name]
        ).fetchall()
    )


def previous_accepted(warehouse: MlWarehouse, name: str) -> tuple[int, dict[str, float]] | None:
    """(version, held-out metrics) of the latest version of `name` that passed its blocking checks: the one
    the current predictions come from. None before the first."""
    if not warehouse.path.exists():
        return None
    with warehouse.connection(read_only=True) as con:
        if not con.execute("select 1 from duckdb_tables() where table_name = ?", [name]).fetchall():
            return None
        passed = "failed_checks is null" if _has_failed_checks(con, name) else "true"
        rows = con.execute(
            f"select version, metrics from {quoted(name)} where version is not null and {passed} "
            "order by version desc limit 1"
        ).fetchall()
    return (rows[0][0], json.loads(rows[0][1])) if rows else None


def load_latest_model(warehouse: MlWarehouse, name: str) -> StoredModel:
    """The model of the latest training attempt; one clear failure when there is none, or when that attempt
    trained nothing (an older version was trained on older data: scoring with it would present stale
    predictions as new)."""
    import skops.io

    with warehouse.connection(read_only=True) as con:
        exists = con.execute("select 1 from duckdb_tables() where table_name = ?", [name]).fetchall()
        rows = (
            con.execute(
                f"select version, trained_at, data_version, features, model, not_trained_reason, "
                f"{'failed_checks' if _has_failed_checks(con, name) else 'null'} "
                f"from {quoted(name)} order by trained_at desc limit 1"
            ).fetchall()
            if exists
            else []
        )
    if not rows:
        raise dg.Failure(description=f"No trained {name} in {warehouse.path}: materialize asset {name} first.")
    [(version, trained_at, data_version, features, blob, not_trained_reason, failed_checks)] = rows
    if failed_checks:
        raise dg.Failure(
            description=(
                f"{name} v{version} ({trained_at:%Y-%m-%d %H:%M} UTC) failed its blocking checks, so nothing is "
                f"scored with it: {failed_checks} The predictions keep the scores of the previous accepted version."
            ),
            allow_retries=False,
        )
    if not_trained_reason:
        raise dg.Failure(
            description=(
                f"The latest training of {name} ({trained_at:%Y-%m-%d %H:%M} UTC) trained no model, so nothing "
                f"current can be scored with it: {not_trained_reason}"
            )
        )
    model = skops.io.loads(blob, trusted=TRUSTED_TYPES)
    return StoredModel(model, tuple(features), version, trained_at, data_version)


class MlModelsIOManager(dg.ConfigurableIOManager):
    """A model asset's output (a Trained model) is stored as the next version in the model's table; an asset
    that scores with it receives that model, and the run records which version on its input event."""

    warehouse: dg.ResourceDependency[MlWarehouse]

    def handle_output(self, context: dg.OutputContext, obj: "Trained") -> None:
        name = context.asset_key.path[-1]
        version = save_model(self.warehouse, name, obj)
        # Text, not a number: a version is a name, and the UI plots every numeric metadata entry.
        context.add_output_metadata(
            {"model_version": dg.MetadataValue.text(f"v{version}"), "dagster/table_name": f"ml.main.{name}"}
        )

    def load_input(self, context: dg.InputContext) -> StoredModel:
        stored = load_latest_model(self.warehouse, context.upstream_output.asset_key.path[-1])
        version = dg.MetadataValue.text(f"v{stored.version}")
        context.add_input_metadata({"model_version": version, "trained_on_data_version": stored.data_version})
        return stored
