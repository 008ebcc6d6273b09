"""Vectorised, seeded generator of the raw landing files.

Customers have an active window (signup until they churn, or until the end of the data) and an order
rate; orders fall in their customer's window, on days weighted by season and growth. A row of orders is
an order line: an order has one line or more (geometric: most have 1 to 3, a few up to
MAX_LINES_PER_ORDER), one per product, all with the order's customer and date; products are picked with
Zipf-like popularity, distinct within an order. A small share of rows of each table is broken on
purpose, one kind of problem per row, so the quarantine has something of every kind to explain. Order
lines are generated and written in chunks of at most CHUNK_ROWS lines (whole orders, the last one cut to
fit), each from its own seeded stream, so memory stays flat and the output depends on the seed and the
sizes only. With `line_numbers`, orders gets the optional column line_number (1, 2, ... within an order)
and a share REPEATED_PRODUCT_SHARE of the orders of two lines or more holds its first line's product on
its second line too, as TPC-H and shop exports do; without it the output is what it always was.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from datagen.names import ADJECTIVES, CATEGORIES, FIRST_NAMES, LAST_NAMES, SUPPLIERS

CHUNK_ROWS = 1_000_000
# Lines per order: geometric with this success probability (P(1 line) = 0.55; mean 1/0.55 = 1.8), capped.
LINES_PER_ORDER_P = 0.55
MAX_LINES_PER_ORDER = 12
FORMATS = ("parquet", "csv")
# With line numbers: the share of orders of several lines that hold a product on two lines.
REPEATED_PRODUCT_SHARE = 0.01

# The raw-file contract (analytics_dbt/models/staging/_raw__sources.yml), as Arrow types.
SCHEMAS = {
    "customers": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("name", pa.string()),
            ("email", pa.string()),
            ("signup_date", pa.date32()),
            ("tier", pa.string()),
        ]
    ),
    "products": pa.schema(
        [
            ("product_id", pa.int64()),
            ("product", pa.string()),
            ("category", pa.string()),
            ("cost", pa.float64()),
            ("retail_price", pa.float64()),
            ("supplier", pa.string()),
        ]
    ),
    "orders": pa.schema(
        [
            ("order_id", pa.int64()),
            ("customer_id", pa.int64()),
            ("product_id", pa.int64()),
            ("quantity", pa.int32()),
            ("price", pa.float64()),
            ("order_date", pa.date32()),
        ]
    ),
}

# orders with the optional contract column line_number (datagen --line-numbers).
ORDERS_WITH_LINE_NUMBERS = SCHEMAS["orders"].append(pa.field("line_number", pa.int64()))

# Kinds of broken rows, per table. Each broken row has exactly one of them.
CUSTOMER_FAULTS = ("null_customer_id", "duplicate_customer_id", "bad_tier")
PRODUCT_FAULTS = ("null_product_id", "duplicate_product_id", "negative_cost")
ORDER_FAULTS = (
    "null_customer_id",
    "unknown_customer_id",
    "unknown_product_id",
    "non_positive_quantity",
    "negative_price",
    "null_order_date",
    "duplicate_line",
    "customer_disagrees",
    "date_disagrees",
)
# The two kinds that break an order's agreement; each lands on a line that loses its order's vote.
DISAGREEMENT_FAULTS = ("customer_disagrees", "date_disagrees")


@dataclass(frozen=True)
class Sizes:
    orders: int  # order lines: rows of the orders file
    customers: int
    products: int

    @classmethod
    def for_orders(cls, orders: int, customers: int | None = None, products: int | None = None) -> "Sizes":
        """Sizes that scale with the order lines: ~25 lines per customer, a catalogue of 50 to 5,000."""
        return cls(
            orders=orders,
            customers=customers if customers is not None else max(20, orders // 25),
            products=products if products is not None else min(5_000, max(50, orders // 500)),
        )


@dataclass
class Summary:
    sizes: Sizes
    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    broken: dict[str, dict[str, int]] = field(default_factory=dict)
    distinct_orders: int = 0  # order ids in the orders file (its rows are lines)
    seconds: float = 0.0


def broken_count(rows: int, rate: float) -> int:
    """How many rows of each fault kind: a share `rate` of the rows, at least one when rate > 0."""
    return 0 if rate <= 0 or rows < 10 else max(1, round(rows * rate))


def pick_disjoint(
    rng: np.random.Generator,
    rows: int,
    kinds: tuple[str, ...],
    per_kind: int,
    candidates: np.ndarray | None = None,
) -> dict:
    """Distinct row positions (among `candidates`, default all) for each kind of fault, `per_kind` each,
    fewer if the table is tiny."""
    candidates = np.arange(rows) if candidates is None else candidates
    per_kind = min(per_kind, len(candidates) // (2 * len(kinds)))
    chosen = rng.choice(candidates, size=per_kind * len(kinds), replace=False)
    return {kind: chosen[i * per_kind : (i + 1) * per_kind] for i, kind in enumerate(kinds)}


def day_weights(start: date, days: int) -> np.ndarray:
    """Relative order volume per day: yearly season (peak before Christmas), weekly rhythm, growth."""
    dates = np.datetime64(start) + np.arange(days)
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(int)
    weekday = (dates.astype(int) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    season = 1 + 0.3 * np.sin(2 * np.pi * (day_of_year - 100) / 365) + 0.6 * (day_of_year >= 320)
    week = np.where(weekday >= 5, 1.25, 1.0)
    growth = 1 + 0.4 * np.arange(days) / days
    return season * week * growth


class Generator:
    def __init__(self, sizes: Sizes, seed: int, bad_rate: float, end: date, years: int, line_numbers: bool = False):
        self.sizes, self.seed, self.bad_rate, self.line_numbers = sizes, seed, bad_rate, line_numbers
        self.end = end
        self.start = end - timedelta(days=365 * years)
        self.days = (self.end - self.start).days + 1
        self.rng = np.random.default_rng([seed, 0])
        self._plan_customers()
        self._plan_products()
        weights = day_weights(self.start, self.days)
        self.day_cdf = np.concatenate([[0.0], np.cumsum(weights)])

    def _plan_customers(self) -> None:
        rng, n = self.rng, self.sizes.customers
        self.premium = rng.random(n) < 0.25
        self.signup = rng.integers(0, max(1, self.days - 60), n)
        churns = rng.random(n) < np.where(self.premium, 0.25, 0.45)
        lifetime = rng.exponential(365, n).astype(int) + 30
        self.last_active = np.where(churns, np.minimum(self.signup + lifetime, self.days - 1), self.days - 1)
        rate = rng.lognormal(0, 0.8, n) * np.where(self.premium, 1.6, 1.0)
        weight = rate * (self.last_active - self.signup + 1)
        self.customer_cdf = np.cumsum(weight) / weight.sum()
        # Broken customer rows are drawn from the less active half: rejecting a customer rejects its
        # orders too, and a few heavy buyers would otherwise take a large share of all orders with them.
        self.quiet_customers = np.flatnonzero(weight <= np.median(weight))
        self.busy_customers = np.flatnonzero(weight > np.median(weight))  # never broken
        self.safe_customer = np.isin(np.arange(n), self.busy_customers)

    def _plan_products(self) -> None:
        rng, n = self.rng, self.sizes.products
        popularity = 1.0 / (rng.permutation(n) + 1.0) ** 1.05
        self.product_cdf = np.cumsum(popularity) / popularity.sum()
        self.quiet_products = np.flatnonzero(popularity <= np.median(popularity))  # as for customers
        self.safe_product = ~np.isin(np.arange(n), self.quiet_products)
        self.cost = np.round(rng.lognormal(2.5, 0.9, n), 2)
        self.retail_price = np.round(self.cost * rng.uniform(1.3, 2.5, n), 2)

    # --- customers and products: small, made in one piece -------------------------------------------------

    def customers(self) -> tuple[pa.Table, dict[str, int]]:
        rng, n = np.random.default_rng([self.seed, 1]), self.sizes.customers
        ids = np.arange(1, n + 1)
        first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
        last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
        name = np.char.add(np.char.add(first, " "), last)
        email = np.char.add(
            np.char.add(np.char.lower(np.char.add(np.char.add(first, "."), last)), ids.astype(str)),
            "@example.com",
        )
        signup = np.datetime64(self.start) + self.signup
        tier = np.where(self.premium, "premium", "basic").astype(object)
        id_null = np.zeros(n, bool)

        faults = pick_disjoint(rng, n, CUSTOMER_FAULTS, broken_count(n, self.bad_rate), self.quiet_customers)
        id_null[faults["null_customer_id"]] = True
        tier[faults["bad_tier"]] = "gold"
        table = pa.table(
            {
                "customer_id": pa.array(ids, mask=id_null),
                "name": name,
                "email": email,
                "signup_date": signup,
                "tier": tier.astype(str),
            },
            schema=SCHEMAS["customers"],
        )
        # A duplicate is a second row for an existing id, as a CRM re-import would send.
        copies = faults["duplicate_customer_id"]
        duplicates = table.take(copies).set_column(
            4, "tier", pa.array(np.where(self.premium[copies], "basic", "premium"))
        )
        return pa.concat_tables([table, duplicates]), {k: len(v) for k, v in faults.items()}

    def products(self) -> tuple[pa.Table, dict[str, int]]:
        rng, n = np.random.default_rng([self.seed, 2]), self.sizes.products
        category_names = np.array(list(CATEGORIES))
        nouns = np.array(list(CATEGORIES.values()))  # categories x nouns
        category_index = rng.integers(0, len(category_names), n)
        category = category_names[category_index]
        noun = nouns[category_index, rng.integers(0, nouns.shape[1], n)]
        adjective = np.array(ADJECTIVES)[rng.integers(0, len(ADJECTIVES), n)]
        product = np.char.add(np.char.add(adjective, " "), noun)
        supplier = np.array(SUPPLIERS)[rng.integers(0, len(SUPPLIERS), n)]
        ids = np.arange(1, n + 1)
        cost = self.cost.copy()
        id_null = np.zeros(n, bool)

        faults = pick_disjoint(rng, n, PRODUCT_FAULTS, broken_count(n, self.bad_rate), self.quiet_products)
        id_null[faults["null_product_id"]] = True
        cost[faults["negative_cost"]] *= -1
        table = pa.table(
            {
                "product_id": pa.array(ids, mask=id_null),
                "product": product,
                "category": category,
                "cost": cost,
                "retail_price": self.retail_price,
                "supplier": supplier,
            },
            schema=SCHEMAS["products"],
        )
        copies = faults["duplicate_product_id"]
        duplicates = table.take(copies).set_column(
            4, "retail_price", pa.array(np.round(self.retail_price[copies] * 1.1, 2))
        )
        return pa.concat_tables([table, duplicates]), {k: len(v) for k, v in faults.items()}

    # --- orders: large, made chunk by chunk ---------------------------------------------------------------

    def order_chunk(self, index: int, first_id: int, rows: int) -> tuple[pa.Table, dict[str, int], int]:
        """`rows` order lines: whole orders with ids from `first_id` on (the last one cut to fit). Returns
        the lines, the broken lines per kind, and the number of orders they hold."""
        rng = np.random.default_rng([self.seed, 3, index])
        lines = self._lines_per_order(rng, rows)
        orders = len(lines)
        starts = np.cumsum(lines) - lines
        order_of_line = np.repeat(np.arange(orders), lines)

        # Per order: its customer, and its day, drawn from the season-weighted days of the customer's window.
        customer = np.searchsorted(self.customer_cdf, rng.random(orders), side="right")
        customer = np.minimum(customer, self.sizes.customers - 1)
        lo, hi = self.day_cdf[self.signup[customer]], self.day_cdf[self.last_active[customer] + 1]
        day = np.searchsorted(self.day_cdf, lo + rng.random(orders) * (hi - lo), side="right") - 1
        day = np.clip(day, self.signup[customer], self.last_active[customer])[order_of_line]
        customer = customer[order_of_line]

        # Per line: a product not yet in its order, quantity and price.
        product = self._draw_products(rng, rows)
        self._make_distinct_within_orders(rng, product, order_of_line, starts, lines)
        quantity = np.minimum(rng.geometric(0.55, rows), 20).astype(np.int32)
        discount = rng.choice(np.array([1.0, 0.9, 0.8]), rows, p=[0.7, 0.2, 0.1])
        price = np.round(self.retail_price[product] * discount, 2)

        order_id = first_id + order_of_line.astype(np.int64)
        customer_id = customer.astype(np.int64) + 1
        product_id = product.astype(np.int64) + 1
        customer_null = np.zeros(rows, bool)
        date_null = np.zeros(rows, bool)

        faults = self._pick_order_faults(rng, rows, customer, product, order_of_line, starts, lines)
        customer_null[faults["null_customer_id"]] = True
        customer_id[faults["unknown_customer_id"]] = (
            self.sizes.customers + 1 + rng.integers(0, 1000, len(faults["unknown_customer_id"]))
        )
        product_id[faults["unknown_product_id"]] = (
            self.sizes.products + 1 + rng.integers(0, 1000, len(faults["unknown_product_id"]))
        )
        quantity[faults["non_positive_quantity"]] = -rng.integers(0, 3, len(faults["non_positive_quantity"]))
        price[faults["negative_price"]] *= -1
        date_null[faults["null_order_date"]] = True
        # A line that disagrees with its order: another (valid) customer, or a day 1 to 30 days off.
        moved = faults["customer_disagrees"]
        pick = rng.integers(0, len(self.busy_customers), len(moved))
        pick = np.where(self.busy_customers[pick] == customer[moved], (pick + 1) % len(self.busy_customers), pick)
        customer_id[moved] = self.busy_customers[pick].astype(np.int64) + 1
        moved = faults["date_disagrees"]
        shift = rng.integers(1, 31, len(moved))
        day[moved] = np.where(day[moved] + shift < self.days, day[moved] + shift, day[moved] - shift)
        line_number = None
        if self.line_numbers:
            line_number = (np.arange(rows) - starts[order_of_line] + 1).astype(np.int64)
            self._repeat_products(index, faults, order_of_line, starts, lines, customer, product, product_id, price)
        # A duplicate line repeats another valid line of the chunk (same order and product, or line number),
        # as a retried export would, with its own quantity.
        duplicates = faults["duplicate_line"]
        if len(duplicates):
            broken = np.concatenate(list(faults.values()))
            contested = np.isin(order_of_line, order_of_line[broken])
            valid = np.flatnonzero(~contested & self.safe_customer[customer] & self.safe_product[product])
            source = rng.choice(valid, len(duplicates), replace=False)
            for column in (order_id, customer_id, product_id, price, day, line_number):
                if column is not None:
                    column[duplicates] = column[source]

        table = pa.table(
            {
                "order_id": order_id,
                "customer_id": pa.array(customer_id, mask=customer_null),
                "product_id": product_id,
                "quantity": quantity,
                "price": price,
                "order_date": pa.array(np.datetime64(self.start) + day, mask=date_null),
                **({"line_number": line_number} if self.line_numbers else {}),
            },
            schema=ORDERS_WITH_LINE_NUMBERS if self.line_numbers else SCHEMAS["orders"],
        )
        # A duplicate may have taken the only line of its order: count the orders that kept a line.
        kept_lines = lines - np.bincount(order_of_line[duplicates], minlength=orders)
        return table, {k: len(v) for k, v in faults.items()}, int(np.count_nonzero(kept_lines))

    def _repeat_products(self, index, faults, order_of_line, starts, lines, customer, product, product_id, price):
        """In place: a share of the orders of two lines or more, none with a broken line, get their first
        line's product (and price) on their second line. From a stream of its own, so that the lines without
        line numbers are drawn as they always were."""
        rng = np.random.default_rng([self.seed, 4, index])
        broken = np.concatenate(list(faults.values()))
        contested = np.zeros(len(lines), bool)
        contested[order_of_line[broken]] = True
        contested[order_of_line[~(self.safe_customer[customer] & self.safe_product[product])]] = True
        candidates = np.flatnonzero((lines >= 2) & ~contested)
        chosen = rng.choice(candidates, int(len(candidates) * REPEATED_PRODUCT_SHARE), replace=False)
        first, second = starts[chosen], starts[chosen] + 1
        product_id[second], price[second] = product_id[first], price[first]

    def _lines_per_order(self, rng: np.random.Generator, rows: int) -> np.ndarray:
        """Lines of each order, summing to `rows` (the last order cut to fit); never more than products."""
        cap = min(MAX_LINES_PER_ORDER, self.sizes.products)
        lines = np.empty(0, np.int64)
        while lines.sum() < rows:
            more = int((rows - lines.sum()) * LINES_PER_ORDER_P * 1.1) + 16
            lines = np.concatenate([lines, np.minimum(rng.geometric(LINES_PER_ORDER_P, more), cap)])
        orders = int(np.searchsorted(np.cumsum(lines), rows)) + 1
        lines = lines[:orders]
        lines[-1] -= lines.sum() - rows
        return lines

    def _draw_products(self, rng: np.random.Generator, count: int, popular: bool = True) -> np.ndarray:
        if not popular:
            return rng.integers(0, self.sizes.products, count)
        return np.minimum(np.searchsorted(self.product_cdf, rng.random(count), side="right"), self.sizes.products - 1)

    def _make_distinct_within_orders(self, rng, product, order_of_line, starts, lines) -> None:
        """Redraws (in place) every line whose product is already in its order, until none is: first by
        popularity, then uniformly (a small catalogue's top products would collide for long). Only the
        orders that had a collision are looked at again."""
        check = np.arange(len(product))
        for attempt in range(1000):
            key = order_of_line[check] * self.sizes.products + product[check]
            by_key = np.argsort(key, kind="stable")
            repeated = check[by_key[1:][key[by_key[1:]] == key[by_key[:-1]]]]
            if not len(repeated):
                return
            product[repeated] = self._draw_products(rng, len(repeated), popular=attempt < 10)
            orders = np.unique(order_of_line[repeated])
            counts = lines[orders]
            check = (
                np.repeat(starts[orders], counts)
                + np.arange(counts.sum())
                - np.repeat(np.cumsum(counts) - counts, counts)
            )
        raise RuntimeError("could not make the products of every order distinct")

    def _pick_order_faults(self, rng, rows, customer, product, order_of_line, starts, lines) -> dict:
        """Lines to break, per kind. A disagreeing line is one per multi-line order, never its lowest
        product's line, and its order gets no other fault and has no customer or product that may be
        broken: so it is the line its order outvotes (or, on a tie, the one the lowest product's line
        beats), and the quarantine counts it under its own reason. The other kinds fall on lines of the
        other orders."""
        unsafe_orders = np.zeros(len(lines), bool)
        unsafe_orders[order_of_line[~(self.safe_customer[customer] & self.safe_product[product])]] = True
        multi = np.flatnonzero((lines >= 2) & ~unsafe_orders)
        first, second = starts[multi], starts[multi] + 1
        candidates = np.where(product[second] > product[first], second, first)
        per_kind = broken_count(rows, self.bad_rate)
        kinds = DISAGREEMENT_FAULTS if len(self.busy_customers) >= 2 else DISAGREEMENT_FAULTS[1:]
        faults = dict.fromkeys(DISAGREEMENT_FAULTS, np.empty(0, np.int64))
        if len(candidates) >= 2 * len(kinds):
            faults |= pick_disjoint(rng, rows, kinds, per_kind, candidates)
        contested = np.zeros(len(lines), bool)
        contested[order_of_line[np.concatenate(list(faults.values()))]] = True
        others = tuple(kind for kind in ORDER_FAULTS if kind not in DISAGREEMENT_FAULTS)
        return faults | pick_disjoint(rng, rows, others, per_kind, np.flatnonzero(~contested[order_of_line]))


class RawFileWriter:
    """Writes one raw table as <dir>/<table>.<format>, in pieces, under a temporary name that is renamed
    into place at the end: a reader never sees half a file. Removes the table's file in the other format,
    since the contract allows exactly one per table."""

    def __init__(self, directory: Path, table: str, fmt: str, schema: pa.Schema | None = None):
        self.path = directory / f"{table}.{fmt}"
        self.partial = directory / f".{table}.{fmt}.partial"
        self.schema, self.fmt = schema or SCHEMAS[table], fmt
        self.writer = (
            pq.ParquetWriter(self.partial, self.schema)
            if fmt == "parquet"
            else pacsv.CSVWriter(self.partial, self.schema)
        )

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def close(self) -> Path:
        self.writer.close()
        self.partial.replace(self.path)
        for other in FORMATS:
            stale = self.path.with_suffix(f".{other}")
            if other != self.fmt and stale.exists():
                stale.unlink()
        return self.path


def generate(
    out: Path,
    sizes: Sizes,
    seed: int = 42,
    bad_rate: float = 0.002,
    fmt: str = "parquet",
    end: date = date(2025, 6, 30),
    years: int = 3,
    progress: Callable[[str], None] | None = None,
    line_numbers: bool = False,
) -> Summary:
    """Write customers, products and orders into `out` and return what was written; orders with the optional
    column line_number when `line_numbers`."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    if sizes.customers < 1 or sizes.products < 1 or sizes.orders < 0:
        raise ValueError(f"need at least one customer and one product, got {sizes}")
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    gen = Generator(sizes, seed, bad_rate, end, years, line_numbers)
    summary = Summary(sizes)

    for name, make in (("customers", gen.customers), ("products", gen.products)):
        table, broken = make()
        writer = RawFileWriter(out, name, fmt)
        writer.write(table)
        summary.files[name], summary.rows[name], summary.broken[name] = writer.close(), table.num_rows, broken

    writer = RawFileWriter(out, "orders", fmt, ORDERS_WITH_LINE_NUMBERS if line_numbers else None)
    broken_orders = dict.fromkeys(ORDER_FAULTS, 0)
    next_order_id = 1
    for index, first in enumerate(range(0, sizes.orders, CHUNK_ROWS)):
        rows = min(CHUNK_ROWS, sizes.orders - first)
        table, broken, orders = gen.order_chunk(index, next_order_id, rows)
        next_order_id = int(table["order_id"].to_numpy().max()) + 1 if rows else next_order_id
        summary.distinct_orders += orders
        writer.write(table)
        for kind, count in broken.items():
            broken_orders[kind] += count
        if progress:
            done = first + rows
            progress(
                f"order lines {done:>13,} / {sizes.orders:,}  {done / sizes.orders:4.0%}"
                f"  {time.perf_counter() - started:6.1f} s"
            )
    summary.files["orders"], summary.rows["orders"] = writer.close(), sizes.orders
    summary.broken["orders"] = broken_orders
    summary.seconds = time.perf_counter() - started
    return summary
