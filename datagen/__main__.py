"""`python -m datagen --orders N`: write the raw landing files into $WAREHOUSE_DIR/raw/."""

import argparse
import sys
from datetime import date
from pathlib import Path

from datagen.batches import append_batch, landed_batches, split_into_batches
from datagen.generate import FORMATS, Sizes, generate
from warehouse_paths import raw_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datagen", description=__doc__)
    parser.add_argument(
        "--orders",
        type=int,
        default=100_000,
        help="order lines, the rows of orders (default: %(default)s); an order has 1.8 lines on average",
    )
    parser.add_argument("--customers", type=int, help="customers (default: order lines / 25)")
    parser.add_argument("--products", type=int, help="products (default: order lines / 500, 50 to 5,000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--bad-rate",
        type=float,
        default=0.002,
        help="share of rows broken on purpose, per kind of problem (default: %(default)s)",
    )
    parser.add_argument("--format", choices=FORMATS, default="parquet")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=date(2025, 6, 30),
        help="last day of the data (default: %(default)s)",
    )
    parser.add_argument("--years", type=int, default=3, help="years of history (default: %(default)s)")
    parser.add_argument(
        "--batches",
        type=int,
        help="write orders as this many daily batch files raw/orders/<day>.<format> (late rows and a few "
        "lines resent across batches included) instead of one orders file",
    )
    parser.add_argument(
        "--append-batch",
        type=int,
        metavar="M",
        help="add one batch of M order lines to an existing raw/orders/ folder, continuing its history "
        "(new customers included, in a rewritten customers snapshot); generates nothing else",
    )
    parser.add_argument(
        "--line-numbers",
        action="store_true",
        help="give orders the optional column line_number, with 1%% of the orders of several lines holding "
        "a product on two lines (default: no such column, one line per product)",
    )
    parser.add_argument("--out", type=Path, default=None, help="directory (default: $WAREHOUSE_DIR/raw)")
    parser.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing when the directory already holds raw files (e.g. ones you brought)",
    )
    args = parser.parse_args(argv)

    out = args.out or raw_dir()
    if args.append_batch is not None:
        path = append_batch(out, args.append_batch, args.seed)
        print(f"appended batch {path} ({args.append_batch:,} order lines)", file=sys.stderr)
        return 0
    existing = sorted(p.name for fmt in FORMATS for p in out.glob(f"*.{fmt}")) if out.is_dir() else []
    if args.if_empty and existing:
        print(f"raw files already in {out} ({', '.join(existing)}): not generating", file=sys.stderr)
        return 0
    sizes = Sizes.for_orders(args.orders, args.customers, args.products)
    print(
        f"generating {sizes.orders:,} order lines, {sizes.customers:,} customers, {sizes.products:,} products "
        f"(seed {args.seed}) into {out}",
        file=sys.stderr,
    )
    summary = generate(
        out,
        sizes,
        seed=args.seed,
        bad_rate=args.bad_rate,
        fmt=args.format,
        end=args.end_date,
        years=args.years,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        line_numbers=args.line_numbers,
    )
    if args.batches:
        files = split_into_batches(out, args.batches, args.seed, args.format)
        summary.files["orders"] = files[0].parent
    else:  # one orders file: batches of an earlier run would make the landing ambiguous
        for stale in landed_batches(out):
            stale.unlink()
    for table, path in summary.files.items():
        broken = sum(summary.broken[table].values())
        orders = f" ({summary.distinct_orders:,} orders)" if table == "orders" else ""
        if table == "orders" and args.batches:
            orders += f", in {args.batches:,} daily batch files"
        print(f"  {path}: {summary.rows[table]:,} rows{orders}, {broken:,} broken on purpose", file=sys.stderr)
    print(f"done in {summary.seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
