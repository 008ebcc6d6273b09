"""A warehouse built by an earlier version of the project, whose history models had other columns: the next
plain build stops in one sentence saying to run a full refresh (dbt's on_schema_change: fail, said by
macros/schema_changes.sql), and the full refresh rebuilds it."""

import duckdb
import pytest

pytestmark = pytest.mark.integration


def test_a_history_model_with_other_columns_asks_for_one_full_refresh(warehouse):
    warehouse.generate(orders=2_000)
    assert warehouse.dbt("build").returncode == 0
    # As an earlier version left it: typed_orders without a column this version adds.
    with duckdb.connect(str(warehouse.analytics_db)) as con:
        con.execute("alter table intermediate.typed_orders drop column line_number")

    stopped = warehouse.dbt("build")

    assert stopped.returncode != 0
    assert (
        "intermediate.typed_orders was built by an earlier version of this project (columns added: line_number; "
        "removed: none): run `dbt build --full-refresh` once" in stopped.stdout
    ), stopped.stdout[-3000:]
    assert "Binder Error" not in stopped.stdout
    rebuilt = warehouse.dbt("build", "--full-refresh")
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    assert warehouse.dbt("build").returncode == 0  # and incremental again
