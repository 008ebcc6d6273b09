"""The raw landing files as observable external assets (raw_customers, raw_products, raw_orders).

Dagster does not make these files: the source systems drop them in $WAREHOUSE_DIR/raw/. Orders arrive in
daily batches, the files of raw/orders/ (or the single file raw/orders.parquet|csv, one batch); customers
and products are whole snapshot files. Each file is identified by its name and fingerprinted by
warehouse_paths.landing_fingerprint (size and modification time, one stat: a replaced file is a new delivery),
the fingerprint dbt's build records for the batches it read, so the batches the UI lists are the build's.

The sensor `raw_files_sensor` stats the files every 10 s and records an observation itself (no run) for
every batch or snapshot that is new, re-delivered or removed, with the batch's fingerprint as its data
version and the batch's name, path, size and time as metadata: the raw_orders asset's page lists the
batches as they arrived. A new data version on a raw asset is what triggers the dbt models downstream by
declarative automation, so a new or re-delivered batch starts one incremental `dbt build`.

Why observations and not dynamic partitions per batch: dbt's unit of work is one build over whatever
changed, not a batch (an order's lines, its duplicates and the marts' keys span batches), and Dagster's
eager automation handles an unpartitioned asset below partly-materialized partitions badly."""

import hashlib
import json
import warnings
from pathlib import Path

import dagster as dg

from analytics_location.project import analytics_dbt_project
from analytics_location.translator import RAW_SOURCE, AnalyticsTranslator
from warehouse_paths import landing_fingerprint, raw_dir, warehouse_backend

FORMATS = ("parquet", "csv")
OBSERVE_EVERY_SECONDS = 10  # a stat of each landing file; the first step of the drop -> scores latency
# Past this many changed batches in one tick (a first look at a long history), one observation stands for them.
MAX_BATCH_OBSERVATIONS = 50
# An AssetObservation takes its data version as this tag (what ObserveResult's data_version becomes).
DATA_VERSION_TAG = "dagster/data_version"
# Every observation's metadata: the whole delivery it leaves (fingerprint()), so that a sensor with no cursor
# yet (a new `make ui` on a warehouse `make demo` built) can tell what the instance already saw.
DELIVERY = "delivery_fingerprint"


def raw_tables() -> dict[dg.AssetKey, str]:
    """Asset key -> table name for every table of the dbt `raw` source: the manifest is the one list,
    and the translator gives the same keys the dbt models depend on."""
    manifest = json.loads(analytics_dbt_project.manifest_path.read_text())
    translator = AnalyticsTranslator()
    return {
        translator.get_asset_key(source): source["name"]
        for source in manifest["sources"].values()
        if source["source_name"] == RAW_SOURCE
    }


def landing_files(table: str) -> list[Path]:
    """The files the table is delivered in: the batch files of raw/<table>/ or the one file
    raw/<table>.parquet|csv. Empty when there is none, or more than one way (the dbt hook explains)."""
    single = [path for fmt in FORMATS if (path := raw_dir() / f"{table}.{fmt}").exists()]
    folder = raw_dir() / table
    batches = sorted(p for fmt in FORMATS for p in folder.glob(f"*.{fmt}")) if folder.is_dir() else []
    if batches and not single:
        return batches
    return single if len(single) == 1 and not batches else []


def batch_fingerprints(table: str) -> dict[str, str]:
    """Batch (file name) -> fingerprint, for every file the table is delivered in."""
    fingerprints = {}
    for path in landing_files(table):
        try:
            fingerprints[path.name] = landing_fingerprint(path)
        except FileNotFoundError:  # replaced between the listing and the stat: seen at the next tick
            continue
    return fingerprints


def fingerprint(table: str, batches: dict[str, str] | None = None) -> str:
    """The whole delivery's, in this warehouse: changes whenever a batch is added, replaced or removed, and
    differs between two warehouses' folders holding the same files; cheap (one stat each)."""
    batches = batch_fingerprints(table) if batches is None else batches
    if not batches:
        return "missing"
    delivery = {"folder": str(raw_dir().absolute()), "batches": batches}
    return hashlib.sha256(json.dumps(delivery, sort_keys=True).encode()).hexdigest()[:16]


def observe(key: dg.AssetKey, table: str) -> dg.ObserveResult:
    paths = landing_files(table)
    if not paths:
        return dg.ObserveResult(
            asset_key=key,
            data_version=dg.DataVersion(fingerprint(table)),
            metadata={
                "problem": f"no single {table}.parquet or {table}.csv (or folder {table}/ of batches) in {raw_dir()}",
                DELIVERY: fingerprint(table),
            },
        )
    return dg.ObserveResult(
        asset_key=key,
        data_version=dg.DataVersion(fingerprint(table)),
        metadata={
            "path": dg.MetadataValue.path(str(paths[0] if len(paths) == 1 else paths[0].parent)),
            "format": paths[-1].suffix.lstrip("."),
            "batches": len(paths),
            "latest_batch": paths[-1].name,
            "size_bytes": sum(p.stat().st_size for p in paths),
            "modified_at": dg.MetadataValue.timestamp(max(p.stat().st_mtime for p in paths)),
            DELIVERY: fingerprint(table),
        },
    )


def batch_version(batch: str, fingerprint: str) -> str:
    """A batch observation's data version: the batch and its fingerprint, as dbt's ledger keys a landed batch
    (two batches may share a size and a modification time; a batch's version must still differ from the last)."""
    return f"{batch}@{fingerprint}"


def batch_observation(
    key: dg.AssetKey, table: str, batch: str, fingerprint: str, change: str, delivery: str
) -> dg.AssetObservation:
    """One batch (or snapshot file) new, re-delivered or removed, with its name and fingerprint as data version."""
    path = next((p for p in landing_files(table) if p.name == batch), None)
    metadata = {"batch": batch, "change": change, "fingerprint": fingerprint, DELIVERY: delivery}
    version = batch_version(batch, fingerprint if change != "removed" else f"removed-{fingerprint}")
    if path is not None and path.exists():
        stat = path.stat()
        metadata |= {
            "path": dg.MetadataValue.path(str(path)),
            "size_bytes": stat.st_size,
            "modified_at": dg.MetadataValue.timestamp(stat.st_mtime),
        }
    return dg.AssetObservation(asset_key=key, metadata=metadata, tags={DATA_VERSION_TAG: version})


def changed_batch_observations(key: dg.AssetKey, table: str, seen: dict[str, str], now: dict[str, str]) -> list:
    changes = [
        (batch, version, "new" if batch not in seen else "re-delivered")
        for batch, version in sorted(now.items())
        if seen.get(batch) != version
    ]
    changes += [(batch, version, "removed") for batch, version in sorted(seen.items()) if batch not in now]
    if len(changes) > MAX_BATCH_OBSERVATIONS:
        summary = observe(key, table)
        return [
            dg.AssetObservation(
                asset_key=key,
                metadata={**summary.metadata, "change": f"{len(changes)} batches new, re-delivered or removed"},
                tags={DATA_VERSION_TAG: summary.data_version.value},
            )
        ]
    delivery = fingerprint(table, now)
    return [batch_observation(key, table, batch, version, change, delivery) for batch, version, change in changes]


def raw_contracts() -> dict[str, tuple[list[str], list[str]]]:
    """Table name -> its contract columns, in the order of models/staging/_raw__sources.yml (the manifest),
    and those of them a file may lack (meta `optional: true`)."""
    manifest = json.loads(analytics_dbt_project.manifest_path.read_text())
    return {
        source["name"]: (
            list(source["columns"]),
            [name for name, column in source["columns"].items() if (column.get("meta") or {}).get("optional")],
        )
        for source in manifest["sources"].values()
        if source["source_name"] == RAW_SOURCE
    }


RAW_TABLES = raw_tables()

# Observable source assets are beta in dagster 1.13 (pinned in uv.lock); they are still the way to give
# external assets an observe function and data versions, so the warning is not repeated at every load.
warnings.filterwarnings("ignore", "Function `multi_observable_source_asset`", dg.BetaWarning)


@dg.multi_observable_source_asset(
    specs=[
        dg.AssetSpec(
            key,
            description=f"Landing file $WAREHOUSE_DIR/raw/{table}.parquet (or .csv), from a source system.",
            group_name="raw",
            kinds={"file"},
        )
        for key, table in RAW_TABLES.items()
    ],
    can_subset=True,
)
def raw_files(context: dg.AssetExecutionContext):
    for key in context.selected_asset_keys:
        yield observe(key, RAW_TABLES[key])


def already_observed(instance: dg.DagsterInstance, now: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """At the sensor's first tick: the tables whose latest observation in this instance (by a run, as `make
    demo`'s, or an earlier sensor) was of the delivery landed now, in this warehouse's folder, count as seen:
    nothing new is observed, so the models are not rebuilt. Every other table's batches are all new."""
    seen = {}
    for key, table in RAW_TABLES.items():
        [latest] = instance.fetch_observations(key, limit=1).records or [None]
        observation = latest and latest.event_log_entry.asset_observation
        recorded = observation and observation.metadata.get(DELIVERY)
        if recorded is not None and recorded.value == fingerprint(table, now[key.to_user_string()]):
            seen[key.to_user_string()] = now[key.to_user_string()]
    return seen


@dg.sensor(
    target=dg.AssetSelection.assets(*RAW_TABLES),
    minimum_interval_seconds=OBSERVE_EVERY_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def raw_files_sensor(context: dg.SensorEvaluationContext):
    """On DuckDB, records an observation of every landing file (order batch, or snapshot) that is new,
    re-delivered or removed since the last tick (at first, all that this instance has not seen:
    already_observed), without launching a run. On PostgreSQL the raw_* assets are tables the raw loader makes
    (raw_tables.py): it requests a run that loads the tables whose files changed."""
    now = {key.to_user_string(): batch_fingerprints(table) for key, table in RAW_TABLES.items()}
    seen = json.loads(context.cursor) if context.cursor else already_observed(context.instance, now)
    events = []
    for key, table in RAW_TABLES.items():
        name = key.to_user_string()
        previous = seen.get(name)
        if not isinstance(previous, dict):  # a cursor of the one-file-per-table sensor, or none
            previous = {}
        events += changed_batch_observations(key, table, previous, now[name])
    if not events:
        return dg.SkipReason("no landing file changed")
    if warehouse_backend() == "postgres":
        changed = sorted({event.asset_key for event in events}, key=lambda key: key.to_user_string())
        run = dg.RunRequest(asset_selection=changed, tags={"trigger": "raw_file_changed"})
        return dg.SensorResult(run_requests=[run], cursor=json.dumps(now))
    return dg.SensorResult(asset_events=events, cursor=json.dumps(now))
