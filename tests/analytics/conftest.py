"""The daily-batch tests' fixture: two warehouses on one landing folder (batch_landing.Pair)."""

import pytest
from batch_landing import CUSTOMERS, PRODUCTS, Pair


@pytest.fixture
def pair(tmp_path) -> Pair:
    pair = Pair(tmp_path)
    pair.landing.write("customers", CUSTOMERS)
    pair.landing.write("products", PRODUCTS)
    return pair
