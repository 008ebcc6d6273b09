"""The daily-batch tests (tests/analytics/test_daily_batches.py) on PostgreSQL: after each operation on the
landing folder, `make load-raw` and a plain `dbt build` give exactly the tables a --full-refresh gives."""

import itertools
import sys
from pathlib import Path

import pytest
from analytics_login import create_analytics_login
from pg_pair import PgPair
from postgres_server import database_url

sys.path.insert(0, str(Path(__file__).parents[1] / "analytics"))
from batch_landing import CUSTOMERS, PRODUCTS
from test_daily_batches import (  # noqa: F401  (collected here, with this module's `pair`)
    test_a_bad_batch_file_names_itself_and_builds_nothing,
    test_each_operation_on_the_landing_folder_builds_as_a_full_refresh_would,
    test_random_sequences_of_operations_build_as_a_full_refresh_would,
)

DATABASES = itertools.count()


@pytest.fixture
def pair(tmp_path, postgres_admin_url) -> PgPair:
    n = next(DATABASES)
    urls = [
        create_analytics_login(
            database_url(postgres_admin_url, f"daily_{n}_{side}"), role=f"analytics_daily_{n}_{side}"
        )
        for side in ("inc", "full")
    ]
    pair = PgPair(tmp_path, *urls)
    pair.landing.write("customers", CUSTOMERS)
    pair.landing.write("products", PRODUCTS)
    return pair
