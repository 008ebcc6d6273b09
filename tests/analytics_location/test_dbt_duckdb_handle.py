"""The private dbt-duckdb internal analytics_location.dbt_duckdb_handle relies on: if an upgrade moves or
changes it, these tests fail and say so, before a run process starts keeping analytics.duckdb locked."""

import subprocess
import sys

import pytest
from dbt.adapters.contracts.connection import Connection
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.adapters.duckdb.credentials import DuckDBCredentials

from analytics_location.dbt_duckdb_handle import ENVIRONMENT_ATTRIBUTE, close_process_environment

pytestmark = pytest.mark.unit


def another_process_can_write(path) -> bool:
    script = f"import duckdb; duckdb.connect({str(path)!r}).close()"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, check=False).returncode == 0


@pytest.fixture
def opened_by_dbt_duckdb(tmp_path):
    """analytics.duckdb opened and closed the way dbt's adapter does it in a run process."""
    path = tmp_path / "analytics.duckdb"
    connection = Connection(
        type="duckdb", name="probe", credentials=DuckDBCredentials(path=str(path), database="analytics", schema="main")
    )
    DuckDBConnectionManager.open(connection)
    DuckDBConnectionManager.close(connection)
    yield path
    close_process_environment(DuckDBConnectionManager)


def test_dbt_duckdb_still_keeps_its_database_open_in_the_private_attribute(opened_by_dbt_duckdb):
    assert hasattr(DuckDBConnectionManager, ENVIRONMENT_ATTRIBUTE), (
        f"dbt-duckdb no longer has DuckDBConnectionManager.{ENVIRONMENT_ATTRIBUTE}: "
        "rewrite analytics_location/dbt_duckdb_handle.py for the new version"
    )
    assert getattr(DuckDBConnectionManager, ENVIRONMENT_ATTRIBUTE) is not None
    # Closing the adapter's connection leaves the file locked: the reason the workaround exists. Once an
    # upgrade stops doing this, the workaround can go.
    assert not another_process_can_write(opened_by_dbt_duckdb), (
        "dbt-duckdb now releases the file when its connection closes: drop analytics_location/dbt_duckdb_handle.py"
    )


def test_the_workaround_releases_the_file(opened_by_dbt_duckdb):
    close_process_environment(DuckDBConnectionManager)
    assert getattr(DuckDBConnectionManager, ENVIRONMENT_ATTRIBUTE) is None
    assert another_process_can_write(opened_by_dbt_duckdb)
