"""One `dagster dev` over both code locations, checked through its GraphQL API and in a real browser."""

import json
import time
import urllib.parse

import duckdb
from dagster_dev import IN_PROGRESS, LAUNCH, activity, runs, ticks
from playwright.sync_api import expect, sync_playwright
from support import contract_types

from analytics_location.project import analytics_dbt_project

RUN = "query ($id: ID!) { runOrError(runId: $id) { ... on Run { status endTime tags { key value } } } }"
LATEST = """
query ($keys: [AssetKeyInput!]) {
  assetNodes(assetKeys: $keys) { assetKey { path } assetMaterializations(limit: 1) { runId timestamp } }
}"""
DOWNSTREAM = ["customer_features", "product_features", "customer_risk_scores", "product_demand_forecasts"]
BOUND_SECONDS = 300
AUTOMATION_SENSORS = {"analytics_automation": "analytics", "ml_automation": "ml"}


def wait_until_idle(server, timeout: float) -> None:
    """Until automation has looked at the new warehouse and every run it started is done. On a new warehouse
    analytics automation builds the models at once; a second run of the same assets launched beside it could
    leave the marts' latest materialization without the latest executions of their checks (Dagster keeps, per
    check, the execution of the run submitted last, not of the run that finished last), and the ML assets,
    which wait for the marts' blocking checks, would wait for the next build."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        looked = all(ticks(server.url, location, sensor) for sensor, location in AUTOMATION_SENSORS.items())
        if looked and not any(run["status"] in IN_PROGRESS for run in runs(server.url)):
            return
        time.sleep(3)
    raise AssertionError(f"automation's own runs not done in {timeout} s:\n{activity(server.url, AUTOMATION_SENSORS)}")


def wait_for_run(server, run_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = server.graphql(RUN, id=run_id)["runOrError"]
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return run
        time.sleep(2)
    raise TimeoutError(f"run {run_id} did not finish in {timeout} s")


def latest_materializations(server) -> dict[str, dict]:
    nodes = server.graphql(LATEST, keys=[{"path": [name]} for name in DOWNSTREAM])["assetNodes"]
    return {n["assetKey"]["path"][0]: (n["assetMaterializations"] or [None])[0] for n in nodes}


def test_materializing_the_marts_updates_ml_by_automation(dagster_dev, record_property):
    """The impact-analysis promise, with the real daemon: materializing the analytics marts makes the ML
    features and predictions materialize by declarative automation, across code locations, unattended."""
    record_property("dagster_dev_seconds_to_serve_both_locations", round(dagster_dev.load_seconds, 1))
    wait_until_idle(dagster_dev, timeout=BOUND_SECONDS)
    params = {
        "selector": {
            "repositoryLocationName": "analytics",
            "repositoryName": "__repository__",
            "jobName": "daily_marts_build",  # the public marts and everything upstream of them
        },
        "runConfigData": {},
    }
    launched = dagster_dev.graphql(LAUNCH, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    marts_run = wait_for_run(dagster_dev, launched["run"]["runId"], timeout=BOUND_SECONDS)
    assert marts_run["status"] == "SUCCESS", f"see {dagster_dev.log}"
    marts_done = marts_run["endTime"]

    deadline = time.monotonic() + BOUND_SECONDS
    while time.monotonic() < deadline:
        latest = latest_materializations(dagster_dev)
        if all(m and float(m["timestamp"]) / 1000 > marts_done for m in latest.values()):
            break
        time.sleep(3)
    else:
        raise AssertionError(
            f"not all of {DOWNSTREAM} re-materialized within {BOUND_SECONDS} s: {latest}\n"
            + activity(dagster_dev.url, AUTOMATION_SENSORS)
        )
    waited = max(float(m["timestamp"]) / 1000 for m in latest.values()) - marts_done
    record_property("automation_seconds_after_marts", round(waited, 1))
    print(
        f"\nUI served both locations after {dagster_dev.load_seconds:.0f} s; ML assets updated "
        f"{waited:.0f} s after the marts run ended"
    )

    for name, materialization in latest.items():
        tags = {
            t["key"]: t["value"] for t in dagster_dev.graphql(RUN, id=materialization["runId"])["runOrError"]["tags"]
        }
        assert tags.get("dagster/sensor_name") == "ml_automation", (name, tags)


CHROMIUM = "/usr/bin/chromium"  # Debian's package; make system-deps installs it
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def open_lineage(page, url: str, showing: str, selection: str | None = None) -> None:
    """The global asset lineage, optionally filtered, with its groups expanded so that the asset `showing`
    is drawn (⌥E toggles all groups; the UI remembers the last state)."""
    path = f"/asset-groups~{urllib.parse.quote(selection, safe='')}/" if selection else "/asset-groups"
    page.goto(url + path, wait_until="networkidle", timeout=60_000)
    welcome = page.get_by_role("button", name="Skip")  # the community sign-up dialog of a new instance
    if welcome.count():
        welcome.click()
    page.wait_for_timeout(1_000)
    if not page.get_by_text(showing, exact=True).is_visible():
        page.get_by_text("Global asset lineage").click()
        page.keyboard.press("Alt+e")
        # The URL now names the expanded groups; loaded afresh, the graph is zoomed to fit them all.
        page.wait_for_timeout(1_000)
        page.goto(page.url, wait_until="networkidle", timeout=60_000)
    expect(page.get_by_text(showing, exact=True)).to_be_visible(timeout=15_000)


def test_global_lineage_in_a_browser_spans_both_locations(dagster_dev, tmp_path, record_property):
    wait_until_idle(dagster_dev, timeout=BOUND_SECONDS)  # the picture of a built graph (docs/lineage.png)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1800, "height": 1000})
            # The global lineage, filtered to assets of both locations, a group per layer: the whole graph no
            # longer fits one screen at the UI's default zoom. (This screenshot is docs/lineage.png.)
            analytics = ("raw_orders", "stg_orders", "customer_order_summary")
            ml = ("customer_features", "product_features")
            both = " or ".join(f'key:"{asset}"' for asset in (*analytics, *ml))
            open_lineage(page, dagster_dev.url, showing="customer_features", selection=both)
            # Each node's status, once loaded: every one of them was built (wait_until_idle).
            expect(page.get_by_text("Materialized", exact=True)).to_have_count(len(analytics + ml) - 1, timeout=30_000)
            screenshot = tmp_path / "global_asset_lineage.png"
            page.screenshot(path=str(screenshot))
            record_property("screenshot", str(screenshot))
            print(f"\nscreenshot of the global asset lineage: {screenshot}")
            for asset in (*analytics, *ml):
                assert page.get_by_text(asset, exact=True).is_visible(), asset

            selection = 'key:"customer_order_summary" or key:"customer_features"'
            open_lineage(page, dagster_dev.url, showing="customer_order_summary", selection=selection)
            summary = page.get_by_text("customer_order_summary", exact=True).bounding_box()
            features = page.get_by_text("customer_features", exact=True).bounding_box()
            assert summary and features
            assert features["x"] > summary["x"] + summary["width"]  # the graph runs left to right
            page.screenshot(path=str(tmp_path / "across_the_boundary.png"))

            page.goto(f"{dagster_dev.url}/deployment/locations", wait_until="networkidle")
            for module in ("analytics_location.definitions", "ml_location.definitions"):
                expect(page.get_by_text(module).first).to_be_visible()
            expect(page.get_by_text("Loaded", exact=True)).to_have_count(2)

            # Across the boundary, column by column: a feature's columns name the mart columns they come from.
            page.goto(f"{dagster_dev.url}/assets/customer_features", wait_until="networkidle")
            is_premium = "1 for a premium customer, 0 for basic. From customer_order_summary: tier."
            expect(page.get_by_text(is_premium)).to_be_visible()
            page.screenshot(path=str(tmp_path / "feature_columns.png"), full_page=True)
        finally:
            browser.close()


LINEAGE = """
query ($keys: [AssetKeyInput!]) {
  assetNodes(assetKeys: $keys) {
    assetKey { path }
    assetMaterializations(limit: 1) { runId metadataEntries { label } }
  }
}"""


def test_each_public_mart_s_latest_materialization_carries_column_lineage(dagster_dev):
    """What other teams read shows where each of its columns comes from (dagster-dbt's sqlglot lineage)."""
    wait_until_idle(dagster_dev, timeout=BOUND_SECONDS)  # at least automation's start-up build
    manifest = json.loads(analytics_dbt_project.manifest_path.read_text())
    marts = sorted(n["name"] for n in manifest["nodes"].values() if n.get("access") == "public")
    assert len(marts) == 4
    nodes = dagster_dev.graphql(LINEAGE, keys=[{"path": [mart]} for mart in marts])["assetNodes"]
    labels = {
        n["assetKey"]["path"][0]: {e["label"] for m in n["assetMaterializations"] for e in m["metadataEntries"]}
        for n in nodes
    }
    assert {mart for mart, found in labels.items() if "dagster/column_lineage" not in found} == set(), labels


HAND_BUILT = """
query ($keys: [AssetKeyInput!]) {
  assetNodes(assetKeys: $keys) {
    assetMaterializations(limit: 1) {
      runId timestamp
      metadataEntries {
        label
        ... on IntMetadataEntry { intValue }
        ... on TableSchemaMetadataEntry { schema { columns { name type } } }
      }
    }
  }
}"""


def latest_of(server, asset: str) -> dict | None:
    [node] = server.graphql(HAND_BUILT, keys=[{"path": [asset]}])["assetNodes"]
    return (node["assetMaterializations"] or [None])[0]


def test_the_mart_page_after_a_hand_build_shows_its_row_count_and_contract_types(dagster_dev, tmp_path):
    """An analyst's `dbt build` outside Dagster: the sensor records the mart as a Dagster run would, and its
    page says so (row count, the contract's column types as DuckDB names them)."""
    wait_until_idle(dagster_dev, timeout=BOUND_SECONDS)
    mart = "customer_order_summary"
    before = latest_of(dagster_dev, mart)
    warehouse = dagster_dev.warehouse
    built = warehouse.dbt("build", "--select", mart)
    assert built.returncode == 0, built.stdout[-3000:]

    deadline = time.monotonic() + 120
    latest = before
    while latest == before and time.monotonic() < deadline:
        time.sleep(2)
        latest = latest_of(dagster_dev, mart)
    sensor = {"dbt_hand_builds_sensor": "analytics"}
    assert latest != before, f"no new materialization of {mart} in 120 s:\n{activity(dagster_dev.url, sensor)}"
    assert latest["runId"] == "", latest  # runless: recorded by the sensor, not run by Dagster
    entries = {e["label"]: e for e in latest["metadataEntries"]}
    wait_until_idle(dagster_dev, timeout=BOUND_SECONDS)  # the ML assets follow; then the warehouse is free
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        [(rows,)] = con.execute(f"select count(*) from marts.{mart}").fetchall()
    assert entries["dagster/row_count"]["intValue"] == rows
    manifest = json.loads((warehouse.root / "target" / "manifest.json").read_text())
    columns = entries["dagster/column_schema"]["schema"]["columns"]
    assert [(c["name"], c["type"]) for c in columns] == contract_types(manifest, mart)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1400})
            page.goto(f"{dagster_dev.url}/assets/{mart}", wait_until="networkidle", timeout=60_000)
            expect(page.get_by_text("Row count").first).to_be_visible(timeout=30_000)
            expect(page.get_by_text(f"{rows:,}", exact=True).first).to_be_visible()
            for column, kind in contract_types(manifest, mart):
                expect(page.get_by_text(column, exact=True).first).to_be_visible()
                expect(page.get_by_text(kind, exact=True).first).to_be_visible()
            page.screenshot(path=str(tmp_path / "mart_after_a_hand_build.png"), full_page=True)
            print(f"\nscreenshot of {mart} after a hand build: {tmp_path / 'mart_after_a_hand_build.png'}")
        finally:
            browser.close()
