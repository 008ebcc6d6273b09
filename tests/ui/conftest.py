import shutil

import pytest
from dagster_dev import DagsterDev
from shop_histories import write_shop

from analytics_location.project import analytics_dbt_project


@pytest.fixture(scope="module")
def dagster_dev(new_warehouse, tmp_path_factory):
    """`dagster dev` over workspace.yaml, on a small warehouse whose models beat their baselines (so their
    blocking checks pass and the predictions follow too: generated data this small cannot be learned from).
    dbt's artifacts go to the warehouse's own target/ (DBT_TARGET_PATH, as the test warehouse's hand builds
    write them), never the repo's: the hand-builds sensor reads that folder."""
    warehouse = new_warehouse("ui")
    write_shop(warehouse.raw)
    target = warehouse.root / "target"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(analytics_dbt_project.manifest_path, target)  # the session's parse, its time kept: no re-parse
    home = tmp_path_factory.mktemp("dagster_home")
    server = DagsterDev(home, warehouse.root, home / "dagster_dev.log", env={"DBT_TARGET_PATH": str(target)})
    server.warehouse = warehouse
    try:
        server.load_seconds = server.wait_until_loaded({"analytics", "ml"}, timeout=240)
        yield server
    finally:
        server.stop()
