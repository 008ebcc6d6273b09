"""Trained models live in ml.duckdb, one table per model asset (named as the asset), one row per training:
the model in skops format, its features, held-out metrics and the data version it was trained on.

skops, unlike pickle, loads only the types it is told to trust, so a tampered blob cannot run code."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
import skops.io

from ml_location.duckdb_files import quoted
from ml_location.ml_warehouse import MlWarehouse

# Beyond skops' defaults (numpy, scikit-learn estimators), the only type our models contain.
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


@dataclass
class StoredModel:
    model: object
    features: tuple[str, ...]
    version: int
    trained_at: datetime
    data_version: str


def save_model(warehouse: MlWarehouse, name: str, model, features, metrics: dict, data_version: str) -> int:
    table = quoted(name)
    with warehouse.connection() as con:
        con.execute(
            f"create table if not exists {table} (version integer, trained_at timestamptz, "
            "data_version varchar, features varchar[], metrics json, model blob)"
        )
        con.execute("begin transaction")
        [(version,)] = con.execute(f"select coalesce(max(version), 0) + 1 from {table}").fetchall()
        con.execute(
            f"insert into {table} values (?, ?, ?, ?, ?, ?)",
            [
                version,
                datetime.now(UTC),
                data_version,
                list(features),
                json.dumps(metrics),
                skops.io.dumps(model),
            ],
        )
        con.execute("commit")
    return version


def load_latest_model(warehouse: MlWarehouse, name: str) -> StoredModel:
    with warehouse.connection(read_only=True) as con:
        exists = con.execute("select 1 from duckdb_tables() where table_name = ?", [name]).fetchall()
        rows = (
            con.execute(
                f"select version, trained_at, data_version, features, model from {quoted(name)} "
                "order by version desc limit 1"
            ).fetchall()
            if exists
            else []
        )
    if not rows:
        raise dg.Failure(description=f"No trained {name} in {warehouse.path}: materialize asset {name} first.")
    [(version, trained_at, data_version, features, blob)] = rows
    model = skops.io.loads(blob, trusted=TRUSTED_TYPES)
    return StoredModel(model, tuple(features), version, trained_at, data_version)
