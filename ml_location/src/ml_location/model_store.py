"""Trained models live in the ML warehouse (ml.duckdb, or schema ml on PostgreSQL), one table per model asset
(named as the asset), one row per training attempt: a trained model with its version, the model in skops
format, its features, held-out metrics and the data version it was fit on, and the blocking checks it failed
(`failed_checks`, null when it passed); or an attempt that could not train, with no model and the reason why
(`not_trained_reason`), so that no reader mistakes the last trained model for a current one.

skops, unlike pickle, loads only the types it is told to trust, so a tampered blob cannot run code. It is
imported only when a model is saved or loaded: it imports every scikit-learn estimator, which each process
that merely loads this location would otherwise pay for (docs/benchmarks.md)."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import dagster as dg
import pyarrow as pa

from ml_location.ml_warehouse import MlWarehouse
from ml_location.model_quality import MODEL_METRICS

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


# One row per training attempt. trained_at: when it ran; version, features, model: null when not trained.
MODEL_ROW = pa.schema(
    [
        ("version", pa.int32()),
        ("trained_at", pa.timestamp("us", tz="UTC")),
        ("data_version", pa.string()),
        ("features", pa.list_(pa.string())),
        ("metrics", pa.string()),  # JSON
        ("model", pa.binary()),
        ("not_trained_reason", pa.string()),
        ("failed_checks", pa.string()),
    ]
)


def _append(warehouse: MlWarehouse, name: str, **row) -> None:
    warehouse.append_rows(name, pa.Table.from_pylist([row], schema=MODEL_ROW))


def save_model(warehouse: MlWarehouse, name: str, trained: "Trained") -> int:
    """Stores a trained model as the next version of `name`; returns the version. Model steps write one at
    a time (the ml_warehouse pool), so the next version is taken from the table as it is."""
    import skops.io

    latest = warehouse.read_table(name, order_by="version desc nulls last", limit=1)
    version = (latest["version"][0].as_py() or 0) + 1 if latest is not None and latest.num_rows else 1
    _append(
        warehouse,
        name,
        version=version,
        trained_at=datetime.now(UTC),
        data_version=trained.data_version,
        features=list(trained.features),
        metrics=json.dumps(trained.metrics),
        model=skops.io.dumps(trained.model),
        failed_checks=trained.failed_checks,
    )
    return version


def record_not_trained(warehouse: MlWarehouse, name: str, not_trained: "NotTrained") -> None:
    """Stores an attempt that could not train: the reason, and its figures in `metrics`."""
    _append(
        warehouse,
        name,
        trained_at=datetime.now(UTC),
        metrics=json.dumps(not_trained.figures),
        not_trained_reason=not_trained.reason,
    )


def previous_accepted(warehouse: MlWarehouse, name: str) -> tuple[int, dict[str, float]] | None:
    """(version, held-out metrics) of the latest version of `name` that passed its blocking checks: the one
    the current predictions come from. None before the first. Tables written before the blocking checks have
    no failed_checks column: their versions all count as accepted."""
    table = warehouse.read_table(name, order_by="version desc nulls last")
    for row in table.to_pylist() if table is not None else []:
        if row["version"] is not None and not row.get("failed_checks"):
            return row["version"], json.loads(row["metrics"])
    return None


def load_latest_model(warehouse: MlWarehouse, name: str) -> StoredModel:
    """The model of the latest training attempt; one clear failure when there is none, or when that attempt
    trained nothing (an older version was trained on older data: scoring with it would present stale
    predictions as new)."""
    import skops.io

    latest = warehouse.read_table(name, order_by="trained_at desc", limit=1)
    rows = latest.to_pylist() if latest is not None else []
    if not rows:
        raise dg.Failure(description=f"No trained {name} in {warehouse.where}: materialize asset {name} first.")
    [row] = rows
    if row.get("failed_checks"):
        raise dg.Failure(
            description=(
                f"{name} v{row['version']} ({row['trained_at']:%Y-%m-%d %H:%M} UTC) failed its blocking checks, so "
                f"nothing is scored with it: {row['failed_checks']} The predictions keep the scores of the previous "
                "accepted version."
            ),
            allow_retries=False,
        )
    if row["not_trained_reason"]:
        raise dg.Failure(
            description=(
                f"The latest training of {name} ({row['trained_at']:%Y-%m-%d %H:%M} UTC) trained no model, so "
                f"nothing current can be scored with it: {row['not_trained_reason']}"
            )
        )
    model = skops.io.loads(row["model"], trusted=TRUSTED_TYPES)
    return StoredModel(model, tuple(row["features"]), row["version"], row["trained_at"], row["data_version"])


RECENT_ATTEMPTS = 8


def recent_versions(warehouse: MlWarehouse, name: str) -> dg.MetadataValue:
    """The latest training attempts of `name`, newest first, with their held-out metrics: what a reader
    compares version by version (the UI's plots are by time, and say no version)."""
    metrics = [m.name for m in MODEL_METRICS[name]]
    table = warehouse.read_table(name, order_by="trained_at desc", limit=RECENT_ATTEMPTS)
    records = []
    for row in table.to_pylist() if table is not None else []:
        values = json.loads(row["metrics"] or "{}") if row["version"] is not None else {}
        accepted = "not trained" if row["version"] is None else "no" if row.get("failed_checks") else "yes"
        records.append(
            dg.TableRecord(
                {
                    "version": "" if row["version"] is None else f"v{row['version']}",
                    "trained": f"{row['trained_at']:%Y-%m-%d %H:%M}",
                    **{m: round(values[m], 4) if m in values else None for m in metrics},
                    "accepted": accepted,
                }
            )
        )
    columns = [
        dg.TableColumn("version", "string"),
        dg.TableColumn("trained", "string", description="when it was trained or attempted (UTC)"),
        *(dg.TableColumn(m, "float", description="held-out") for m in metrics),
        dg.TableColumn("accepted", "string", description="whether it passed its blocking checks (then it scores)"),
    ]
    return dg.MetadataValue.table(records=records, schema=dg.TableSchema(columns=columns))


class MlModelsIOManager(dg.ConfigurableIOManager):
    """A model asset's output (a Trained model) is stored as the next version in the model's table; an asset
    that scores with it receives that model, and the run records which version on its input event."""

    warehouse: dg.ResourceDependency[MlWarehouse]

    def handle_output(self, context: dg.OutputContext, obj: "Trained") -> None:
        name = context.asset_key.path[-1]
        version = save_model(self.warehouse, name, obj)
        # Text, not a number: a version is a name, and the UI plots every numeric metadata entry.
        context.add_output_metadata(
            {
                "model_version": dg.MetadataValue.text(f"v{version}"),
                "recent_versions": recent_versions(self.warehouse, name),
                "dagster/table_name": self.warehouse.table_name(name),
            }
        )

    def load_input(self, context: dg.InputContext) -> StoredModel:
        stored = load_latest_model(self.warehouse, context.upstream_output.asset_key.path[-1])
        version = dg.MetadataValue.text(f"v{stored.version}")
        context.add_input_metadata({"model_version": version, "trained_on_data_version": stored.data_version})
        return stored
