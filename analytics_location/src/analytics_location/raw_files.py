"""The raw landing files as observable external assets (raw_customers, raw_products, raw_orders).

Dagster does not make these files: the source systems drop them in $WAREHOUSE_DIR/raw/. Each is observed
by a fingerprint of the file (name, size, modification time), which becomes its data version, so a new
drop is a new version and the dbt models downstream re-materialize by declarative automation. A sensor
stats the files every 30 s and launches an observation run only when a fingerprint changed."""

import hashlib
import json
import warnings
from pathlib import Path

import dagster as dg

from analytics_location.project import analytics_dbt_project
from analytics_location.translator import AnalyticsTranslator
from warehouse_paths import raw_dir

RAW_SOURCE = "raw"  # the dbt source (models/staging/_raw__sources.yml) whose tables are landing files
FORMATS = ("parquet", "csv")
OBSERVE_EVERY_SECONDS = 30


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


def landing_file(table: str) -> Path | None:
    found = [path for fmt in FORMATS if (path := raw_dir() / f"{table}.{fmt}").exists()]
    return found[0] if len(found) == 1 else None


def fingerprint(table: str) -> str:
    """Changes whenever the landing file is replaced, rewritten or removed; cheap (one stat)."""
    path = landing_file(table)
    if path is None:
        return "missing"
    stat = path.stat()
    return hashlib.sha256(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]


def observe(key: dg.AssetKey, table: str) -> dg.ObserveResult:
    path = landing_file(table)
    if path is None:
        return dg.ObserveResult(
            asset_key=key,
            data_version=dg.DataVersion(fingerprint(table)),
            metadata={"problem": f"no single {table}.parquet or {table}.csv in {raw_dir()}"},
        )
    stat = path.stat()
    return dg.ObserveResult(
        asset_key=key,
        data_version=dg.DataVersion(fingerprint(table)),
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "format": path.suffix.lstrip("."),
            "size_bytes": stat.st_size,
            "modified_at": dg.MetadataValue.timestamp(stat.st_mtime),
        },
    )


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


@dg.sensor(
    target=dg.AssetSelection.assets(*RAW_TABLES),
    minimum_interval_seconds=OBSERVE_EVERY_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def raw_files_sensor(context: dg.SensorEvaluationContext):
    """Observes the landing files whose fingerprint changed since the last tick (all of them at first)."""
    seen = json.loads(context.cursor) if context.cursor else {}
    now = {key.to_user_string(): fingerprint(table) for key, table in RAW_TABLES.items()}
    changed = [dg.AssetKey.from_user_string(key) for key, version in now.items() if seen.get(key) != version]
    if not changed:
        return dg.SkipReason("no landing file changed")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(asset_selection=changed, tags={"trigger": "raw_file_changed"})],
        cursor=json.dumps(now),
    )
