"""batch_landing.Pair on PostgreSQL: two databases loaded from one landing folder, `inc` built as Dagster and
analysts build it (`make load-raw`, then a plain `dbt build`), `full` with --full-refresh every time; every
table compared row by row (as multisets: the same engine computes both)."""

import json
import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
from support import BIN, DBT_PROJECT_DIR

from analytics_location.raw_load import load_raw_files

sys.path.insert(0, str(Path(__file__).parents[1] / "analytics"))
from batch_landing import BUILT_TABLES, Built, Pair

RAW_TABLES = ("customers", "orders", "products")


class PgPair(Pair):
    def __init__(self, root: Path, inc_url: str, full_url: str):
        super().__init__(root)
        self.urls = {self.inc: inc_url, self.full: full_url}

    def build(self, *args: str, command: str = "build", full: bool = False) -> Built:
        warehouse = self.full if full else self.inc
        load_raw_files(self.urls[warehouse], RAW_TABLES, warehouse / "raw")
        target = warehouse / "target"
        env = {
            **os.environ,
            "WAREHOUSE_DIR": str(warehouse),
            "WAREHOUSE_BACKEND": "postgres",
            "ANALYTICS_PG_URL": self.urls[warehouse],
        }
        done = subprocess.run(
            [
                str(BIN / "dbt"),
                command,
                *args,
                *(["--exclude-resource-type", "unit_test"] if command == "build" else []),
                *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
                *("--target-path", str(target), "--log-path", str(warehouse / "logs")),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        statuses, failed = {}, []
        if (target / "run_results.json").exists() and done.returncode in (0, 1):
            nodes = json.loads((target / "manifest.json").read_text())["nodes"]
            for result in json.loads((target / "run_results.json").read_text())["results"]:
                node = nodes.get(result["unique_id"], {})
                statuses[node.get("name", result["unique_id"])] = result["status"]
                if result["status"] == "fail" and node.get("test_metadata"):
                    failed.append(node["test_metadata"]["name"])
        return Built(done.returncode == 0, done.stdout + done.stderr, statuses, failed)

    def build_and_reference(self) -> tuple[Built, Built]:
        """Both at once: two dbt processes on two databases, which share nothing but the landing folder."""
        with ThreadPoolExecutor(max_workers=2) as pool:
            reference = pool.submit(self.build, "--full-refresh", command="run", full=True)
            return self.build(), reference.result()

    def rows(self, sql: str, warehouse: Path | None = None) -> list[tuple]:
        with psycopg2.connect(self.urls[warehouse or self.inc]) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def state(self) -> tuple[str, bool]:
        ran = (self.inc / "target" / "run" / "analytics" / "models" / "intermediate" / "typed_orders.sql").read_text()
        ledger = self.rows("select batch, fingerprint from ledger.built_order_batches order by 1")
        landed = self.rows("select distinct batch, batch_fingerprint from raw.orders order by 1")
        return ("incremental" if "delete from" in ran.lower() else "full"), ledger == landed

    def differences(self) -> dict[str, tuple[int, int]]:
        found = {}
        for table in BUILT_TABLES:
            inc, full = (Counter(self.rows(f"select * from {table}", w)) for w in (self.inc, self.full))
            if inc != full:
                found[table] = (sum((inc - full).values()), sum((full - inc).values()))
        return found
