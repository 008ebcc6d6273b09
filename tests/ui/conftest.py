import pytest
from dagster_dev import DagsterDev
from shop_histories import write_shop


@pytest.fixture(scope="module")
def dagster_dev(new_warehouse, tmp_path_factory):
    """`dagster dev` over workspace.yaml, on a small warehouse whose models beat their baselines (so their
    blocking checks pass and the predictions follow too: generated data this small cannot be learned from)."""
    warehouse = new_warehouse("ui")
    write_shop(warehouse.raw)
    home = tmp_path_factory.mktemp("dagster_home")
    server = DagsterDev(home, warehouse.root, home / "dagster_dev.log")
    try:
        server.load_seconds = server.wait_until_loaded({"analytics", "ml"}, timeout=240)
        yield server
    finally:
        server.stop()
