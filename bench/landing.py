"""The orders files the baseline and the floor read: the same landing as the dbt project's (the README's
landing contract), either the single file raw/orders.parquet or every batch file of the folder raw/orders/.
The benchmark writes Parquet only, so CSV batches are refused here rather than silently left out."""

from pathlib import Path


def orders_files(raw: Path) -> list[Path]:
    folder = raw / "orders"
    if folder.is_dir():
        if any(folder.glob("*.csv")):
            raise SystemExit(f"{folder}: CSV batches are not read by the benchmark's baseline and floor; use Parquet")
        files = sorted(folder.glob("*.parquet"))
        if files:
            return files
    single = raw / "orders.parquet"
    if not single.exists():
        raise SystemExit(f"no orders in {raw}: expected orders.parquet or Parquet batch files in orders/")
    return [single]
