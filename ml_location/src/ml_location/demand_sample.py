"""The rows the demand model learns from and is judged on, at any catalogue size.

A panel of 200,000 products over seven years holds ~9 million product-months with a known next month; fitting
boosted trees on all of them took 482 s and 10.5 GB (docs/ml-at-scale.md). The model is fit on a bounded sample
instead, stratified by volume (the product's 3-month level): every stratum keeps at most SAMPLE_PER_STRATUM rows,
the ones whose hash of (product, month) is lowest, and each kept row weighs as many rows as it stands for, so
the fit still minimises the error over every product-month. Rare high-volume months are all kept; the millions
of months of products that sell nothing or almost nothing are thinned. It is evaluated on every product of the
held-out month, unsampled, so its metrics mean what they meant before. The hash, not a random draw, picks the
rows: a daily update keeps the sample but for the rows it changed, and the sample is read in one pass over a
stream of batches (memory bounded whatever the panel's size)."""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml_location.features import DEMAND_TARGET, PRODUCT_FEATURES, month_number

LEVEL = "units_mean_3m"  # the product's current level, which the model predicts next month relative to
# Strata of LEVEL: 0, (0, 1], (1, 3], (3, 10], (10, 30], (30, 100], above 100 units a month.
VOLUME_EDGES = np.array([0.0, 1.0, 3.0, 10.0, 30.0, 100.0])
SAMPLE_PER_STRATUM = 40_000  # at most 7 x 40,000 = 280,000 rows fitted on
WEIGHT = "sample_weight"
COLUMNS = ("product_id", "month", *PRODUCT_FEATURES, DEMAND_TARGET)


@dataclass
class DemandRows:
    train: pd.DataFrame  # the rows fitted on, each with its WEIGHT (rows of its stratum it stands for)
    test: pd.DataFrame  # every product of the held-out month
    months: int  # months with a known next month, the held-out one included
    available: int  # training rows before sampling


def strata(level: np.ndarray) -> np.ndarray:
    return np.searchsorted(VOLUME_EDGES, level, side="left")


def row_hash(frame: pd.DataFrame) -> np.ndarray:
    """A fixed pseudo-random number per (product, month), the same in every run."""
    key = frame["product_id"].to_numpy(dtype="int64") * 10_007 + month_number(frame["month"])
    return pd.util.hash_array(key)


def stratified_sample(
    batches: Iterable[pd.DataFrame], per_stratum: int = SAMPLE_PER_STRATUM
) -> tuple[pd.DataFrame, int]:
    """The rows of each volume stratum with the lowest hashes (at most `per_stratum`), weighted, from
    `batches` read one at a time; and how many rows there were. Of each batch only the rows that can still
    be among their stratum's lowest hashes (at or below the highest hash kept in a full stratum) join the
    pool, which is cut back to the quota once it holds twice that: the pool stays small, and its sort cheap,
    however many batches come."""
    n_strata = len(VOLUME_EDGES) + 1
    counts = np.zeros(n_strata, dtype="int64")
    threshold = np.full(n_strata, np.iinfo(np.uint64).max, dtype=np.uint64)
    pools: list[pd.DataFrame] = []
    pooled = 0
    for frame in batches:
        stratum = strata(frame[LEVEL].to_numpy())
        counts += np.bincount(stratum, minlength=n_strata)
        hashes = row_hash(frame)
        candidate = hashes <= threshold[stratum]
        pools.append(frame[candidate].assign(_stratum=stratum[candidate], _hash=hashes[candidate]))
        pooled += int(candidate.sum())
        if pooled > 2 * per_stratum * n_strata:
            kept = lowest_hashes(pools, per_stratum)
            pools, pooled, threshold = [kept], len(kept), threshold_of(kept, per_stratum)
    kept = lowest_hashes(pools, per_stratum) if pools else pd.DataFrame()
    if kept.empty:
        return pd.DataFrame(columns=[*COLUMNS, WEIGHT]), 0
    taken = np.bincount(kept["_stratum"], minlength=n_strata)
    kept = kept.assign(**{WEIGHT: counts[kept["_stratum"]] / taken[kept["_stratum"]]})
    sample = kept.drop(columns=["_stratum", "_hash"]).sort_values(["month", "product_id"], ignore_index=True)
    return sample, int(counts.sum())


def lowest_hashes(pools: list[pd.DataFrame], per_stratum: int) -> pd.DataFrame:
    """The pooled rows cut to each stratum's `per_stratum` lowest hashes."""
    pool = pd.concat(pools, ignore_index=True)
    order = np.lexsort((pool["_hash"].to_numpy(), pool["_stratum"].to_numpy()))
    pool = pool.take(order).reset_index(drop=True)
    return pool[pool.groupby("_stratum").cumcount().to_numpy() < per_stratum]


def threshold_of(kept: pd.DataFrame, per_stratum: int) -> np.ndarray:
    """Per stratum, the highest hash a new row may have to be kept: that of the last kept row once the
    stratum is full, any hash before."""
    threshold = np.full(len(VOLUME_EDGES) + 1, np.iinfo(np.uint64).max, dtype=np.uint64)
    last = kept.groupby("_stratum")["_hash"].agg(["max", "size"])
    full = last[last["size"] >= per_stratum]
    threshold[full.index.to_numpy()] = full["max"].to_numpy(dtype=np.uint64)
    return threshold


def demand_rows(labeled_batches: Iterable[pd.DataFrame], held_out: pd.DataFrame) -> DemandRows:
    """`labeled_batches`: the product-months with a known next month before the held-out month, in batches;
    `held_out`: the held-out month's rows, whole."""
    months: set = set()

    def counted(batches):
        for frame in batches:
            months.update(frame["month"].unique())
            yield frame

    train, available = stratified_sample(counted(labeled_batches))
    return DemandRows(train, held_out, len(months) + (not held_out.empty), available)


# The held-out month: the last with a known next month. SQL that DuckDB and PostgreSQL both read.
LAST_LABELED = f"(select max(month) from {{table}} where {DEMAND_TARGET} is not null)"


def rows_of_table(warehouse, name: str) -> DemandRows:
    """DemandRows from table `name` of the ML warehouse (an MlWarehouse), streamed: the training rows are
    read a batch at a time and sampled as they come, the held-out month is read whole."""
    with warehouse.batches(name, COLUMNS, where=f"month = {LAST_LABELED}", order_by="product_id") as reader:
        held_out = reader.read_all().to_pandas(date_as_object=False)
    training = f"{DEMAND_TARGET} is not null and month < {LAST_LABELED}"
    with warehouse.batches(name, COLUMNS, where=training) as reader:
        return demand_rows((batch.to_pandas(date_as_object=False) for batch in reader), held_out)


def rows_of_panel(panel: pd.DataFrame) -> DemandRows:
    """DemandRows from a whole panel in memory (product_feature_panel's, as a DataFrame)."""
    labeled = panel[panel[DEMAND_TARGET].notna()]
    last = labeled["month"].max()
    held_out = labeled[labeled["month"] == last].sort_values("product_id", ignore_index=True)
    return demand_rows([labeled[labeled["month"] < last]], held_out)
