"""Trained models live in ml.duckdb, one table per model asset (named as the asset), one row per training
attempt: a trained model with its version, the model in skops format, its features, held-out metrics and
the data version it was fit on; or an attempt that could not train, with no model and the reason why
(`not_trained_reason`), so that no reader mistakes the last trained model for a current one.

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

# Beyond skops' defaults (numpy, scikit-learn estimators), the only type our models contain.
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


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
        f"create table if not exists {table} (version integer, trained_at timestamptz, "
        "data_version varchar, features varchar[], metrics json, model blob, not_trained_reason varchar)"
    )
    con.execute(f"alter table {table} add column if not exists not_trained_reason varchar")  # older tables
    return table


def save_model(warehouse: MlWarehouse, name: str, trained: "Trained") -> int:
    """Stores a trained model as the next version of `name`; returns the version."""
    import skops.io

    with warehouse.connection() as con:
        table = _model_table(con, name)
        con.execute("begin transaction")
        [(version,)] = con.execute(f"select coalesce(max(version), 0) + 1 from {table}").fetchall()
        con.execute(
            f"insert into {table} values (?, ?, ?, ?, ?, ?, null)",
            [
                version,
                datetime.now(UTC),
                trained.data_version,
                list(trained.features),
                json.dumps(trained.metrics),
                skops.io.dumps(trained.model),
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


def load_latest_model(warehouse: MlWarehouse, name: str) -> StoredModel:
    """The model of the latest training attempt; one clear failure when there is none, or when that attempt
    trained nothing (an older version was trained on older data: scoring with it would present stale
    predictions as new)."""
    import skops.io

    with warehouse.connection(read_only=True) as con:
        exists = con.execute("select 1 from duckdb_tables() where table_name = ?", [name]).fetchall()
        rows = (
            con.execute(
                f"select version, trained_at, data_version, features, model, not_trained_reason from {quoted(name)} "
                "order by trained_at desc limit 1"
            ).fetchall()
            if exists
            else []
        )
    if not rows:
        raise dg.Failure(description=f"No trained {name} in {warehouse.path}: materialize asset {name} first.")
    [(version, trained_at, data_version, features, blob, not_trained_reason)] = rows
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
        context.add_output_metadata({"model_version": version, "dagster/table_name": f"ml.main.{name}"})

    def load_input(self, context: dg.InputContext) -> StoredModel:
        stored = load_latest_model(self.warehouse, context.upstream_output.asset_key.path[-1])
        context.add_input_metadata({"model_version": stored.version, "trained_on_data_version": stored.data_version})
        return stored
