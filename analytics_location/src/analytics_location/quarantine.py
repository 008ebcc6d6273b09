"""What a quarantine asset shows in Dagster: why rows were rejected, a sample of them, and the share of
the raw file they are, on every materialization of quarantine.rejected_<table>. The share is numeric
metadata, so the UI plots it across materializations; the dbt test `rejected_share_below_warning`
(analytics_dbt/models/quarantine/*.yml) warns when it passes var `warn_rejected_share`.

The queries go through the dbt adapter the run already has (the one dagster-dbt fetches row counts with),
after dbt has released the warehouse, so they run on whichever backend dbt built."""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation

from analytics_location.table_metadata import query

QUARANTINE_FOLDER = "quarantine"  # models/quarantine/: the rejected_<table> models
REASONS_SHOWN = 10
SAMPLE_ROWS = 5


def is_quarantine(node: Mapping[str, Any]) -> bool:
    return node.get("resource_type") == "model" and QUARANTINE_FOLDER in node.get("fqn", [])[1:-1]


def relation(invocation: DbtCliInvocation, node: Mapping[str, Any]) -> str:
    """The node's table on the backend this run built. Not the manifest's relation_name: the manifest Dagster
    loaded was parsed on the default (DuckDB) target, and on PostgreSQL that name points at another database."""
    adapter = invocation.adapter
    database = adapter.config.credentials.database
    return str(adapter.Relation.create(database=database, schema=node["schema"], identifier=node["alias"]))


def as_text(value: Any) -> str | None:
    return None if value is None else str(value)


def short_reason(reason: str | None) -> str | None:
    """A reason's headline for the sample's narrow cell: each problem's words before its colon (the whole
    sentences are in the rejection_reasons table, beside it)."""
    return None if reason is None else "; ".join(part.split(":")[0].strip() for part in reason.split("; "))


def quarantine_metadata(invocation: DbtCliInvocation, node: Mapping[str, Any]) -> dict[str, Any]:
    rejected = relation(invocation, node)
    nodes = invocation.manifest["nodes"]
    # rejected_<table> selects from checked_<table>, which holds every raw row: the share's denominator.
    [checked] = [
        relation(invocation, nodes[parent])
        for parent in node["depends_on"]["nodes"]
        if nodes.get(parent, {}).get("name", "").startswith("checked_")
    ]
    _, [(raw_rows, rejected_rows)] = query(invocation, f"select count(*), count(reason) from {checked}")
    _, reasons = query(
        invocation,
        f"select reason, count(*) as rows_rejected from {rejected} group by reason "
        f"order by count(*) desc, reason limit {REASONS_SHOWN}",
    )
    columns, sample = query(invocation, f"select * from {rejected} order by reason limit {SAMPLE_ROWS}")
    share = rejected_rows / raw_rows if raw_rows else 0.0
    return {
        "raw_rows": dg.MetadataValue.int(raw_rows),
        "rejected_rows": dg.MetadataValue.int(rejected_rows),
        "rejected_share": dg.MetadataValue.float(round(share, 6)),
        # The count first: a long reason pushes the last column out of the Overview.
        "rejection_reasons": dg.MetadataValue.md(
            "| rows | reason |\n|---:|---|\n"
            + "".join(f"| {count:,} | {reason} |\n" for reason, count in reasons)
            + ("" if reasons else "| 0 | (none) |\n")
        ),
        "rejected_rows_sample": sample_table(columns, sample),
    }


def sample_table(columns: list[str], rows: list[tuple]) -> dg.MetadataValue:
    """The sample of rejected rows, the reason's headline first, then the row as it was received."""
    order = ["reason", *(c for c in columns if c != "reason")]
    records = []
    for row in rows:
        values = dict(zip(columns, map(as_text, row), strict=True))
        values["reason"] = short_reason(values["reason"])
        records.append(dg.TableRecord({c: values[c] for c in order}))
    return dg.MetadataValue.table(
        records=records, schema=dg.TableSchema(columns=[dg.TableColumn(name, "text") for name in order])
    )


def with_quarantine_metadata(invocation: DbtCliInvocation, events: Iterator) -> Iterator:
    """The events of a dbt build, with the quarantine metadata added to each quarantine model's."""
    nodes = invocation.manifest["nodes"]
    for event in events:
        if isinstance(event, dg.Output | dg.AssetMaterialization):
            node = nodes.get(str(event.metadata.get("unique_id", dg.MetadataValue.text("")).value), {})
            if is_quarantine(node):
                event = event.with_metadata({**event.metadata, **quarantine_metadata(invocation, node)})
        yield event
