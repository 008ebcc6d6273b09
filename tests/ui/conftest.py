import pytest
from dagster_dev import DagsterDev


@pytest.fixture(scope="module")
def dagster_dev(new_warehouse, tmp_path_factory):
    """`dagster dev` over workspace.yaml, on a warehouse with a small generated dataset."""
    warehouse = new_warehouse("ui")
    warehouse.generate(orders=3_000)
    home = tmp_path_factory.mktemp("dagster_home")
    server = DagsterDev(home, warehouse.root, home / "dagster_dev.log")
    try:
        server.load_seconds = server.wait_until_loaded({"analytics", "ml"}, timeout=240)
        yield server
    finally:
        server.stop()
