"""The demand model's bounded training sample (demand_sample.py) on constructed panels: at most the quota per
volume stratum, weights that add up to every row, the same rows however the stream is cut into batches, and
every row when a stratum is smaller than its quota."""

import numpy as np
import pandas as pd
import pytest

from ml_location.demand_sample import LEVEL, VOLUME_EDGES, WEIGHT, rows_of_panel, strata, stratified_sample
from ml_location.features import DEMAND_TARGET, PRODUCT_FEATURES

pytestmark = pytest.mark.unit


def panel(products: int, months: int, level) -> pd.DataFrame:
    """Every product in every month, its 3-month level given by `level(product_ids)`."""
    product_id = np.repeat(np.arange(1, products + 1), months)
    frame = pd.DataFrame({name: 1.0 for name in PRODUCT_FEATURES}, index=range(len(product_id)))
    frame.insert(0, "month", np.tile(pd.date_range("2020-01-01", periods=months, freq="MS").to_numpy(), products))
    frame.insert(0, "product_id", product_id)
    frame[LEVEL] = level(product_id).astype(float)
    frame[DEMAND_TARGET] = 2.0
    return frame


def skewed(product_id: np.ndarray) -> np.ndarray:
    """Most products sell nothing, a few hundred sell a lot: 9,000 at 0, 900 at 5, 100 at 500."""
    return np.select([product_id <= 9_000, product_id <= 9_900], [0, 5], 500)


def test_each_stratum_keeps_at_most_its_quota_and_weighs_every_row():
    rows = panel(10_000, 12, skewed)  # strata: 108,000 rows at 0, 10,800 at 5, 1,200 above 100
    sample, total = stratified_sample([rows], per_stratum=5_000)
    assert total == len(rows) == 120_000
    by_stratum = sample.groupby(strata(sample[LEVEL].to_numpy()))
    assert by_stratum.size().to_dict() == {0: 5_000, 3: 5_000, 6: 1_200}  # the smallest kept whole
    assert by_stratum[WEIGHT].sum().round(6).to_dict() == {0: 108_000, 3: 10_800, 6: 1_200}
    assert (sample.loc[sample[LEVEL] == 500, WEIGHT] == 1).all()
    assert not sample.duplicated(["product_id", "month"]).any()


def test_the_sample_does_not_depend_on_how_the_stream_is_cut():
    rows = panel(3_000, 12, skewed)
    whole, _ = stratified_sample([rows], per_stratum=2_000)
    cut = [rows.iloc[start : start + 7_001] for start in range(0, len(rows), 7_001)]
    streamed, _ = stratified_sample(cut, per_stratum=2_000)
    pd.testing.assert_frame_equal(whole, streamed)
    reversed_order, _ = stratified_sample([rows.iloc[::-1]], per_stratum=2_000)
    pd.testing.assert_frame_equal(whole, reversed_order)


def test_a_long_stream_cut_back_many_times_keeps_the_same_rows():
    # 72 batches against a quota of 100: the pool is cut back and batches are prefiltered by each full
    # stratum's threshold many times over, and the rows kept are still the lowest hashes of the whole.
    rows = panel(3_000, 12, skewed)
    whole, total = stratified_sample([rows], per_stratum=100)
    streamed, streamed_total = stratified_sample(
        [rows.iloc[start : start + 500] for start in range(0, len(rows), 500)], per_stratum=100
    )
    pd.testing.assert_frame_equal(whole, streamed)
    assert total == streamed_total == 36_000
    assert strata(whole[LEVEL].to_numpy()).tolist().count(0) == 100


def test_a_small_panel_is_fit_whole_and_the_held_out_month_is_never_sampled():
    rows = panel(50, 6, lambda ids: ids % 7)
    rows.loc[rows["month"] == rows["month"].max(), DEMAND_TARGET] = np.nan  # the month to forecast
    demand = rows_of_panel(rows)
    assert demand.available == len(demand.train) == 50 * 4  # months 1-4: the 5th is held out
    assert (demand.train[WEIGHT] == 1).all()
    assert len(demand.test) == 50 and demand.test["month"].nunique() == 1
    assert demand.months == 5


def test_the_strata_edges_are_volume_bands():
    assert list(strata(np.array([0, 0.5, 1, 2, 3, 9.9, 10, 30, 99, 100, 101, 1e6]))) == [
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        5,
        5,
        6,
        6,
    ]
    assert len(VOLUME_EDGES) == 6
