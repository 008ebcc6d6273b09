"""Least privilege and safety: the ML location cannot write the analytics warehouse, names reaching SQL
are validated, nothing loads a pickle, secrets come only from the environment, the UI stays local."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import dagster as dg
import duckdb
import psutil
import pytest
from dagster_dev import free_port
from shop_histories import write_shop
from support import REPO_ROOT

import ml_location.definitions as ml
from ml_location.duckdb_files import quoted

OUR_PACKAGES = ["analytics_location", "ml_location", "warehouse_paths", "datagen", "demo"]


def our_python_files():
    for package in OUR_PACKAGES:
        yield from (REPO_ROOT / package).rglob("*.py")


@pytest.fixture
def built(warehouse):
    write_shop(warehouse.raw)  # models that beat their baselines, so every ML asset is written
    assert warehouse.dbt("build").returncode == 0
    return warehouse


def test_the_ml_location_opens_the_analytics_warehouse_read_only(built, monkeypatch):
    opened = []
    connect = duckdb.connect

    def recording_connect(database=":memory:", read_only=False, **kwargs):
        opened.append((Path(database).resolve(), read_only))
        return connect(database, read_only=read_only, **kwargs)

    monkeypatch.setattr(duckdb, "connect", recording_connect)
    job = ml.defs.resolve_implicit_global_asset_job_def()
    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success

    analytics = [read_only for path, read_only in opened if path == built.analytics_db.resolve()]
    assert analytics and all(analytics)  # every open of analytics.duckdb, and there were some


def test_a_write_through_the_ml_locations_reader_fails(built):
    reader = ml.defs.resources["analytics"].process_config_and_initialize()  # WAREHOUSE_DIR resolved
    with reader.connection() as con, pytest.raises(duckdb.Error, match="read-only"):
        con.execute("create table marts.sneaky as select 1")


def test_names_reach_sql_only_validated_and_quoted():
    assert quoted("customer_order_summary") == '"customer_order_summary"'
    for name in ('x"; drop table marts.customer_order_summary; --', "Robert'); --", "a b", "", "1st"):
        with pytest.raises(ValueError, match="not a valid table or column name"):
            quoted(name)


def test_no_code_of_ours_loads_a_pickle():
    unpicklers = re.compile(r"\b(import pickle|from pickle|cloudpickle|joblib|read_pickle|dill)\b")
    offenders = [str(path) for path in our_python_files() if unpicklers.search(path.read_text())]
    assert not offenders


def test_no_asset_output_is_pickled_to_dagster_storage(built, tmp_path):
    (tmp_path / "home").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "home")) as instance:
        job = ml.defs.resolve_implicit_global_asset_job_def()
        assert job.execute_in_process(instance=instance).success
    storage = tmp_path / "home" / "storage"
    asset_names = {key.path[-1] for key in ml.defs.resolve_asset_graph().get_all_asset_keys()}
    pickled = [p for p in storage.rglob("*") if p.is_file() and p.name in asset_names] if storage.exists() else []
    assert not pickled  # every ML output went to ml.duckdb, not through Dagster's default pickling IO manager


def test_secrets_are_never_written_in_the_repo():
    tokens = re.compile(r"xox[abpr]-[0-9A-Za-z-]{10,}")
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    texts = [REPO_ROOT / name for name in tracked.stdout.split() if not name.endswith(".png")]
    assert not [str(path) for path in texts if path.is_file() and tokens.search(path.read_text(errors="ignore"))]


def listening_addresses(root: psutil.Process, port: int) -> set[str]:
    """The local addresses on which `root` or one of its descendants listens on TCP `port`."""
    addresses = set()
    for process in [root, *root.children(recursive=True)]:
        try:
            connections = process.net_connections(kind="tcp")
        except psutil.Error:  # it ended meanwhile
            continue
        addresses |= {c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
    return addresses


def test_the_webserver_binds_localhost_unless_asked(warehouse, tmp_path):
    """`make ui` as a user runs it (only the port and the Dagster home moved to temporary ones): the
    server it starts listens on the loopback address and nowhere else."""
    warehouse.generate(orders=300)  # raw files present: `make ui` generates none
    port = free_port()
    env = {**os.environ, "WAREHOUSE_DIR": str(warehouse.root)}
    command = ["make", "ui", f"UI_PORT={port}", f"DAGSTER_HOME={tmp_path}"]
    ui = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=(tmp_path / "ui.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        addresses: set[str] = set()
        while not addresses and time.monotonic() < deadline:
            assert ui.poll() is None, (tmp_path / "ui.log").read_text()[-3000:]
            time.sleep(1)
            addresses = listening_addresses(psutil.Process(ui.pid), port)
        assert addresses == {"127.0.0.1"}, (addresses, (tmp_path / "ui.log").read_text()[-3000:])
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        try:
            ui.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
            ui.wait(timeout=10)
