"""keys_unique finds repeated keys by sorting one hash per row: every repeated key is found (nulls, text
and timestamps included), rows that only share a hash would be set apart by the exact group-by, and a
table of unique keys passes."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml_location.output_checks import keys_unique, rows_sharing_a_hash

pytestmark = pytest.mark.unit


def test_a_million_unique_keys_pass():
    products = np.repeat(np.arange(20_000), 50)
    months = np.tile(pd.date_range("2020-01-01", periods=50, freq="MS").to_numpy(), 20_000)
    table = pa.table({"product_id": products, "month": months})
    check = keys_unique(table, ("product_id", "month"))
    assert check.passed, check.description
    assert len(rows_sharing_a_hash(table)) == 0


def test_repeated_keys_with_nulls_and_text_are_found_in_order_of_first_row():
    frame = pd.DataFrame(
        {
            "customer_id": pd.array([7, None, 3, None, 7, 5, 3], dtype="Int64"),
            "snapshot": ["scoring", None, "training", None, "scoring", "scoring", "scoring"],
        }
    )
    assert list(rows_sharing_a_hash(pa.Table.from_pandas(frame))) == [0, 1, 3, 4]
    check = keys_unique(frame, ("customer_id", "snapshot"))
    assert not check.passed
    assert (
        check.description
        == "2 (customer_id, snapshot) appear more than once, in 4 rows, e.g. (7, 'scoring'), (None, None)."
    )
    assert check.metadata["duplicated_keys"].value == 2


def test_rows_that_only_share_a_hash_are_not_called_repeated(monkeypatch):
    # Every row hashes alike: the exact group-by, not the hash, decides.
    monkeypatch.setattr(pd.util, "hash_array", lambda values: np.zeros(len(values), dtype=np.uint64))
    check = keys_unique(pd.DataFrame({"customer_id": [1, 2, 3, 1]}), ("customer_id",))
    assert not check.passed
    assert check.description == "1 (customer_id) appear more than once, in 2 rows, e.g. 1."
