"""Hypothesis strategies for raw landing files: mostly valid customers, products and orders, in CSV or
Parquet, with hostile values mixed in, and what the build must then do with them.

The columns and their types come from the raw contract (analytics_dbt/models/staging/_raw__sources.yml)."""

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from hypothesis import strategies as st

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCES_YML = REPO_ROOT / "analytics_dbt" / "models" / "staging" / "_raw__sources.yml"

# The one definition, in the fuzzer, of what identifies a staged row of each table. A row of orders is an
# order line: (order_id, product_id) identifies it (README, "Order lines").
ORDERS_KEY = ("order_id", "product_id")
KEYS = {"customers": ("customer_id",), "products": ("product_id",), "orders": ORDERS_KEY}


def contract() -> dict[str, dict[str, str]]:
    """{table: {column: data_type}}, in the contract's column order. Optional columns (orders' line_number)
    are left out: the files generated lack them, and so keep the keys above (tests/analytics/test_line_numbers.py
    tests files that have them)."""
    [raw] = [s for s in yaml.safe_load(SOURCES_YML.read_text())["sources"] if s["name"] == "raw"]
    return {
        t["name"]: {c["name"]: c["data_type"] for c in t["columns"] if not (c.get("meta") or {}).get("optional")}
        for t in raw["tables"]
    }


CONTRACT = contract()
ARROW_TYPES = {"bigint": pa.int64(), "integer": pa.int32(), "double": pa.float64(), "date": pa.date32()}

# Hostile text, whatever the column: blanks, quoting and delimiters, line breaks, control characters.
HOSTILE_TEXT = st.one_of(
    st.sampled_from(["", " ", "\t", '"', '""', "'", ",", ";", "|", "a,b", 'say "hi"', "a\nb", "a\r\nb", "\\", "NULL"]),
    st.text(max_size=6),  # any unicode, control characters and NUL included
)
HOSTILE_NUMBER = st.one_of(
    st.sampled_from(
        [
            *"NaN nan NAN Infinity -Infinity inf -inf INF +inf 1e400 -1e400 1e308".split(),
            *"9223372036854775808 -9223372036854775809 2147483648 -1 -0 0 0.0".split(),
            *"2.5 -2.5 0.5 2.0 1e1 1E1 0x10 1_000 1,234.50 007 +3".split(),
            " 7 ",
            # around the contract's limits, and past what a DECIMAL(18,2) amount holds
            *"99999 100000 9999999.99 10000000 1e15 1e17".split(),
        ]
    ),
    st.integers().map(str),
    st.floats().map(repr),  # nan, inf and huge ones included
)
HOSTILE_DATE = st.one_of(
    st.sampled_from(
        [
            *"2024-02-30 2024-13-01 2023-00-10 99999-01-01 -2024-01-01 infinity -infinity epoch".split(),
            *"0001-01-01 1899-12-31 1900-01-01 2199-12-31 2200-01-01 2024/01/05 2024-1-5 20240105".split(),
            *"01/05/2024 2024-01-05T10:00:00".split(),
            " 2024-01-05 ",
            "5 Jan 2024",
        ]
    ),
    st.dates().map(str),
)
HOSTILE_TIER = st.sampled_from(["PREMIUM", " Basic ", "gold", "premium\n", "básic"])

# Typed Parquet columns: hostile values of the column's own type.
HOSTILE_TYPED = {
    "bigint": st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, -1, 2**63 - 1])),
    "integer": st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, -1, 99_999, 100_000, 2**31 - 1])),
    "double": st.one_of(
        st.sampled_from([math.nan, math.inf, -math.inf, -0.0, -1.0, 1e308, -1e308, 5e-324, 9999999.99, 1e7, 1e17]),
        st.floats(),
    ),
    "date": st.one_of(st.dates(), st.sampled_from([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1970, 1, 1)])),
}

# How a file can be unusable as a whole, and the words the raw-file error must then use about it.
FILE_PROBLEMS = {
    "empty": "is empty (0 bytes)",
    "header_only": "has no rows",
    "missing_column": "lacks column(s)",
}


# How a CSV line can be malformed (landing_reader.py), as bytes made from one valid line's fields, and the
# words its quarantine reason starts with after "line <n> ". A quote never closed runs to the end of the
# file by CSV's rules, so the fuzzer puts that one last (elsewhere, a later quoted field may close it).
MALFORMED_LINES = {
    "field_too_many": (lambda fields: ",".join([*fields, "x"]).encode(), "fields, the header has"),
    "field_too_few": (lambda fields: ",".join(fields[:-1]).encode(), "the header has"),
    "carriage_return": (lambda fields: ",".join([fields[0] + "\r7", *fields[1:]]).encode(), "has a carriage return"),
    "not_utf8": (
        lambda fields: ",".join([fields[0], "Jos\xe9", *fields[2:]]).encode("latin-1", "replace"),
        "holds bytes that are not UTF-8",
    ),
    "text_after_quote": (lambda fields: ",".join(['"1"2', *fields[1:]]).encode(), "has text after a closing quote"),
    "quote_never_closed": (
        lambda fields: ",".join([*fields[:-1], '"' + fields[-1]]).encode(),
        "opens a quote that is never closed",
    ),
}


@dataclass
class RawFile:
    """One raw landing file as generated: rows of python values (str for text cells), how it is written,
    and the column types of a Parquet file (a contract type, or a wrong one)."""

    table: str
    rows: list[dict]
    fmt: str  # csv | parquet
    arrow_types: dict[str, pa.DataType] = field(default_factory=dict)
    problem: str | None = None  # a FILE_PROBLEMS key, or None when the file is usable
    extra_column: bool = False
    crlf: bool = False
    bom: bool = False
    # CSV only: (kind, row index it is written before) of each malformed line (MALFORMED_LINES)
    malformed: list[tuple[str, int]] = field(default_factory=list)
    malformed_at: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason words), once written

    @property
    def name(self) -> str:
        return f"{self.table}.{self.fmt}"

    def columns(self) -> list[str]:
        names = list(CONTRACT[self.table])
        if self.problem == "missing_column":
            names = names[:-1]
        return [*names, "note"] if self.extra_column else names

    def data_rows(self) -> int:
        """The lines after the header (a malformed line too), or the Parquet rows."""
        return 0 if self.problem in ("empty", "header_only") else len(self.rows) + len(self.malformed)

    def write(self, raw_dir: Path) -> None:
        path = raw_dir / self.name
        if self.problem == "empty":
            path.write_bytes(b"")
            return
        columns = self.columns()
        rows = [] if self.problem == "header_only" else self.rows
        if self.fmt == "csv":
            end = b"\r\n" if self.crlf else b"\n"
            # (the malformed kind or None, the record's bytes): the kind travels beside the record, never inside
            # it, since a hostile value may hold any byte.
            records: list[tuple[str | None, bytes]] = [
                (None, ",".join(map(csv_field, fields)).encode("utf-8", "surrogatepass"))
                for fields in [
                    columns,
                    *(["" if row.get(c) is None else str(row.get(c)) for c in columns] for row in rows),
                ]
            ]
            # Malformed lines go before the row they name (the header is record 0); lines are numbered as written.
            # Of lines before the same row, the quote never closed is inserted first, so it stays last (each
            # later insert at that place goes before it): a line after it would be read into its open quote.
            placed = sorted(self.malformed if rows else [], key=lambda m: (-m[1], m[0] != "quote_never_closed"))
            for kind, before in placed:
                make = MALFORMED_LINES[kind][0]
                records.insert(1 + before, (kind, make([str(i + 1) for i in range(len(columns))])))
            text, line, self.malformed_at = b"", 1, []
            for kind, record in records:
                if kind is not None:
                    self.malformed_at.append((line, MALFORMED_LINES[kind][1]))
                text += record + end
                line += record.count(b"\n") + 1
            path.write_bytes(("\ufeff" if self.bom else "").encode() + text)
        else:
            types = {**self.arrow_types, "note": pa.string()}
            arrays = {c: pa.array([row.get(c) for row in rows], type=types[c]) for c in columns}
            pq.write_table(pa.table(arrays), path)


def csv_field(value: str) -> str:
    """A CSV field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break (CR or LF).
    Python's csv module, writing LF line ends, leaves a lone CR unquoted: a malformed file (see
    docs/reliability.md), which this fuzzer does not generate."""
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


def _valid(table: str, column: str, data_type: str):
    """Values the contract accepts. Keys come from small ranges, so duplicates and orders pointing at no
    customer or product happen often."""
    ids = {"customer_id": (1, 8), "product_id": (1, 8), "order_id": (1, 12)}
    if column in ids:
        low, high = ids[column]
        return st.integers(low, high + 2 if table == "orders" and column != "order_id" else high)
    if column == "tier":
        return st.sampled_from(["basic", "premium"])
    if column == "quantity":
        return st.integers(1, 20)
    if data_type == "double":
        return st.integers(0, 100_000).map(lambda cents: cents / 100)
    if data_type == "date":
        return st.dates(dt.date(2020, 1, 1), dt.date(2025, 12, 31))
    return st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=12)


def _hostile_text(column: str, data_type: str):
    specific = {"bigint": HOSTILE_NUMBER, "integer": HOSTILE_NUMBER, "double": HOSTILE_NUMBER, "date": HOSTILE_DATE}
    if column == "tier":
        return st.one_of(HOSTILE_TIER, HOSTILE_TEXT)
    return st.one_of(specific.get(data_type, HOSTILE_TEXT), HOSTILE_TEXT)


def _cell(valid, hostile):
    """Mostly valid: one cell in eight is hostile, one in sixteen null (shrinks towards valid)."""
    return st.integers(0, 15).flatmap(lambda n: valid if n < 13 else (hostile if n < 15 else st.none()))


def _as_text(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


@st.composite
def raw_file(draw, table: str) -> RawFile:
    fmt = draw(st.sampled_from(["csv", "parquet"]))
    arrow_types = {}
    cells = {}
    for column, data_type in CONTRACT[table].items():
        valid = _valid(table, column, data_type)
        # A Parquet column has the contract's type, or is text, or another wrong type.
        representation = "text"
        if fmt == "parquet":
            representation = draw(st.sampled_from(["typed", "typed", "text", "wrong"]))
            if data_type == "varchar" and representation == "wrong":
                representation = "int"
        if representation == "typed" and data_type in ARROW_TYPES:
            arrow_types[column] = ARROW_TYPES[data_type]
            cells[column] = _cell(valid, HOSTILE_TYPED[data_type])
        elif representation == "wrong" and data_type in ("bigint", "integer"):
            arrow_types[column] = pa.float64()  # 2.0 is an integer, 2.5 is not
            cells[column] = _cell(valid.map(float), st.one_of(HOSTILE_TYPED["double"], st.sampled_from([2.5, 0.5])))
        elif representation == "wrong" and data_type == "date":
            arrow_types[column] = pa.int64()  # 20240105: a date typed as a number
            cells[column] = _cell(valid.map(lambda d: int(d.strftime("%Y%m%d"))), HOSTILE_TYPED["bigint"])
        elif representation in ("wrong", "int"):
            arrow_types[column] = pa.int64()
            cells[column] = _cell(st.integers(0, 99), HOSTILE_TYPED["bigint"])
        else:
            arrow_types[column] = pa.string()
            cells[column] = _cell(valid.map(_as_text), _hostile_text(column, data_type))
    # A build costs the same for 4 rows or 16: enough rows that most examples hold several hostile values.
    rows = draw(st.lists(st.fixed_dictionaries(cells), min_size=4, max_size=16))
    # Three files in forty are unusable as a whole (then the build must stop with the raw-file error).
    problem = draw(st.integers(0, 39).map(lambda n: list(FILE_PROBLEMS)[n - 37] if n >= 37 else None))
    return RawFile(
        table,
        rows,
        fmt,
        arrow_types={**arrow_types, "note": pa.string()},
        problem=problem,
        extra_column=draw(st.integers(0, 7)) == 7,
        crlf=draw(st.booleans()),
        bom=fmt == "csv" and draw(st.integers(0, 3)) == 3,
        malformed=draw(malformed_lines(len(rows))) if fmt == "csv" else [],
    )


def malformed_lines(rows: int):
    """Mostly none; else one to three malformed lines, at most one of each kind (two lines not UTF-8 in an
    otherwise ASCII file make the whole file another encoding), a quote never closed only last."""
    kinds = st.lists(st.sampled_from(list(MALFORMED_LINES)), max_size=3, unique=True)
    return st.integers(0, 2).flatmap(
        lambda n: (
            st.just([])
            if n
            else kinds.flatmap(
                lambda chosen: st.tuples(*(st.integers(0, rows) for _ in chosen)).map(
                    lambda places: [
                        (k, rows if k == "quote_never_closed" else p) for k, p in zip(chosen, places, strict=True)
                    ]
                )
            )
        )
    )


RAW_FILES = st.fixed_dictionaries({table: raw_file(table) for table in CONTRACT})


def expected_file_errors(files: dict[str, RawFile]) -> list[str]:
    """What the raw-file error must say, one phrase per unusable file: '<table>.<fmt> <problem words>'."""
    return [f"{f.name} {FILE_PROBLEMS[f.problem]}" for f in files.values() if f.problem]
