"""How a landing file is read, on every backend: the one definition of a file that cannot be read at all and
of a CSV line that cannot be read as the contract's columns.

Both backends read through here: dbt-duckdb calls `landing_file` as a SQL function (dbt_duckdb_landing_plugin.py)
from the raw-file hook, and the PostgreSQL raw loader (raw_load.py) calls it before loading a file.

- **A file that cannot be read at all** (`LandingFile.problem`, one sentence naming the file): zero bytes, a
  Parquet file without Parquet's markers or whose footer does not read (truncated), a `.csv` that is binary
  (a Parquet file, or NUL bytes), UTF-16 text, carriage returns alone as line ends, or a file that is not
  UTF-8 as a whole (more than one line with bytes that are not UTF-8 and not one UTF-8 character: a Latin-1
  or Windows-1252 export). dbt's hook stops the build with it, before anything is built.
- **A CSV line that cannot be read** (`csv_lines`): one row with the contract columns null, its line number
  (`file_line`), its text as received (`line_text`, bytes that are not UTF-8 escaped as `\\xE9`) and why
  (`read_problem`): a field count other than the header's, a carriage return inside an unquoted field, text
  after a closing quote, a quote never closed, bytes that are not UTF-8. Every other line is read as before;
  a blank line is no line. checked_<table> quarantines the row with `read_problem` as its reason.
- **An optional contract column** (meta `optional: true` in _raw__sources.yml, e.g. orders' line_number) may be
  absent from a file: the file is still usable, and its lines have the column null.

The CSV dialect is RFC 4180's, as exported by spreadsheets and databases: comma-separated, `"` quotes, `""`
inside quotes, LF or CRLF line ends, a header line, UTF-8 (with or without a byte-order mark); an empty
field is null. Python's csv module reads the lines: DuckDB's reader (2.0.1) stops the whole file on a stray
carriage return in strict mode and, not strict, drops a line's extra fields without a word; pyarrow's
invalid-row handler fails on a bad line holding non-UTF-8 bytes. A quote left open runs, by CSV's rules, to
the end of the file; here a line whose quote does not close within it is the malformed line, and reading
resumes on the next line, so one stray quote costs one line, not the rest of the file."""

import codecs
import csv
import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

LINE_COLUMNS = ("file_line", "line_text", "read_problem")  # what raw.<table> adds to a file's columns
BATCH_ROWS = 200_000
PARQUET_MAGIC = b"PAR1"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # the UTF-32 marks start with these too
SNIFF_BYTES = 1 << 16
BINARY_SAMPLE = 4096  # a file's first bytes, at least this many, say whether it is text
# Files a source system may send under a .csv name: what they are, in a user's words.
ARCHIVES = {
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook is one)",
    b"\x1f\x8b": "gzip-compressed",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
}
FACTS_KEY = "landing_facts"  # a CSV copy's Parquet metadata: the facts of the file it was read from


@dataclass
class LandingFile:
    """What the raw checks need of one landing file (macros/raw_files.sql check_file_facts)."""

    path: str
    size: int
    columns: list[str] = field(default_factory=list)  # a CSV's header, a Parquet file's schema
    has_rows: bool | None = None
    problem: str | None = None  # the file cannot be read at all

    def facts(self) -> dict:
        return asdict(self)

    def usable(self, contract: list[str], optional: list[str]) -> bool:
        """Readable, with rows and every contract column but the optional ones."""
        required = set(contract) - set(optional)
        return self.problem is None and self.size > 0 and bool(self.has_rows) and required <= set(self.columns)


def inspect(path: str) -> LandingFile:
    """The size, columns and rows of a landing file, or the sentence saying why it cannot be read."""
    size = os.path.getsize(path)
    found = LandingFile(path, size)
    if size == 0:
        return found  # the checks say "is empty (0 bytes)"
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
        handle.seek(max(size - len(PARQUET_MAGIC), 0))
        tail = handle.read()
    if path.endswith(".csv"):
        found.problem = csv_file_problem(path, head)
        if found.problem is None:
            found.columns, found.has_rows = csv_header(path)
    else:
        found.problem = parquet_file_problem(path, head, tail)
        if found.problem is None:
            try:
                metadata = pq.read_metadata(path)
            except (OSError, pa.ArrowException) as error:
                why = first_line(error)
                found.problem = f"{path} is a damaged Parquet file (its footer does not read: {why}): deliver it again"
            else:
                found.columns, found.has_rows = metadata.schema.to_arrow_schema().names, metadata.num_rows > 0
    return found


def parquet_file_problem(path: str, head: bytes, tail: bytes) -> str | None:
    if not head.startswith(PARQUET_MAGIC):
        what = "text, a CSV perhaps" if b"\x00" not in head else "another binary format"
        return (
            f"{path} is not a Parquet file (it does not start with Parquet's PAR1 marker; it looks like {what}): "
            "re-export it as Parquet, or name a CSV file .csv"
        )
    if tail != PARQUET_MAGIC:
        return (
            f"{path} is a truncated Parquet file (it lacks Parquet's closing PAR1 marker and footer): "
            "deliver the whole file again"
        )
    return None


def csv_file_problem(path: str, head: bytes) -> str | None:
    if head.startswith(PARQUET_MAGIC):
        return f"{path} is a Parquet file named .csv: rename it {Path(path).stem}.parquet"
    for magic, what in ARCHIVES.items():
        if head.startswith(magic):
            return f"{path} is {what}, not CSV text: export the table itself as a UTF-8 CSV (or Parquet) file"
    # UTF-16 without a byte-order mark: a NUL beside every ASCII character. A NUL now and then is a value.
    if head.startswith(UTF16_BOMS) or head.count(b"\x00") > len(head) // 4:
        kind = (
            "UTF-16 text (it starts with a UTF-16 byte-order mark)"
            if head.startswith(UTF16_BOMS)
            else "not text (it holds NUL bytes: UTF-16, or a binary file named .csv)"
        )
        return f"{path} is {kind}: the contract is UTF-8 CSV; export it as UTF-8"
    # Random bytes are one eighth control bytes; text, even with control characters in a few values, far fewer.
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
    if len(head) >= BINARY_SAMPLE and controls > len(head) // 10:
        return f"{path} is not text ({controls:,} control bytes in its first {len(head):,}): a binary file named .csv"
    if b"\r" in head and b"\n" not in head:
        return (
            f"{path} ends its lines with carriage returns alone (an old Mac format): save it with LF or CRLF line ends"
        )
    return whole_file_encoding_problem(path)


def whole_file_encoding_problem(path: str) -> str | None:
    """A file written in a single-byte encoding (Latin-1, Windows-1252) rather than UTF-8: more than one line
    with bytes that are not UTF-8, and not one UTF-8 character anywhere. One such line alone is quarantined."""
    invalid_lines = 0
    with open(path, "rb") as handle:
        for line in handle:
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                return None  # real UTF-8 text: its bad lines are bad lines
            except UnicodeDecodeError:
                invalid_lines += 1
    if invalid_lines > 1:
        return (
            f"{path} is not UTF-8: {invalid_lines:,} of its lines hold bytes that are not UTF-8 and none holds a "
            "UTF-8 character, so it was written in another encoding (Latin-1 or Windows-1252, most likely): "
            "export it as UTF-8"
        )
    return None


def csv_header(path: str) -> tuple[list[str], bool]:
    """The header's column names and whether any line follows it, as csv_records reads them."""
    records = csv_records(path)
    header = next(records, None)
    return [name.strip() for name in (header[2] if header else None) or []], next(records, None) is not None


def decode(line: bytes) -> tuple[str, bool]:
    """The line as text, and whether it was UTF-8; bytes that are not UTF-8 escaped (`\\xE9`)."""
    try:
        return line.decode("utf-8"), True
    except UnicodeDecodeError:
        return line.decode("utf-8", "backslashreplace"), False


def csv_lines(path: str, contract: list[str]) -> Iterator[pa.RecordBatch]:
    """Every line of a CSV file after its header, in batches: the contract columns as text (null for an empty
    field, for a line that cannot be read, and for an optional column the file lacks) and LINE_COLUMNS. The
    file must be usable (`LandingFile.usable`)."""
    columns = {name: [] for name in (*contract, *LINE_COLUMNS)}
    records = csv_records(path)
    header = [name.strip() for name in next(records)[2] or []]
    positions = [header.index(name) if name in header else None for name in contract]
    for number, text, fields, problem in records:
        for name, position in zip(contract, positions, strict=True):
            absent = problem or position is None or fields[position] == ""
            columns[name].append(None if absent else fields[position])
        columns["file_line"].append(number)
        columns["line_text"].append(text if problem else None)
        columns["read_problem"].append(problem)
        if len(columns["file_line"]) >= BATCH_ROWS:
            yield record_batch(columns)
            columns = {name: [] for name in columns}
    if columns["file_line"]:
        yield record_batch(columns)


def record_batch(columns: dict[str, list]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {name: pa.array(values, pa.int64() if name == "file_line" else pa.string()) for name, values in columns.items()}
    )


def csv_records(path: str) -> Iterator[tuple[int, str, list[str] | None, str | None]]:
    """(first line number, text, fields, problem) of each record of the file, header first; blank lines
    skipped; `problem` says why a record after the header cannot be read as the header's columns. A record
    spanning lines that does not read (a quote left open, closing lines later or never) is its first line
    alone, malformed, and reading starts again on the next line."""
    width = None
    with open(path, "rb") as handle:
        start, offset = 1, 0
        while offset is not None:
            handle.seek(offset)
            lines = Lines(handle, start)
            reader = csv.reader(lines, strict=True)
            offset = None
            while True:
                lines.begin_record()
                try:
                    fields, problem = next(reader), None
                except StopIteration:
                    break
                except csv.Error as error:
                    fields, problem = None, read_error_words(str(error))
                if width is None and not fields:
                    continue  # blank lines before the header
                if width is None:
                    width = len(fields or [])
                    yield lines.first, "", fields, None
                    continue
                if problem is None and len(fields) != width:
                    plural = "s" if len(fields) != 1 else ""
                    problem = f"has {len(fields)} field{plural}, the header has {width}"
                if len(lines.raw) > 1 and (problem or not lines.utf8):
                    yield (
                        lines.first,
                        lines.texts[0].rstrip("\r\n"),
                        None,
                        f"line {lines.first} opens a quote that does not close on that line",
                    )
                    start, offset = lines.first + 1, lines.offsets[0] + len(lines.raw[0])
                    break
                text = "".join(lines.texts).rstrip("\r\n")
                if not text.strip():
                    continue  # a blank line is no line
                if problem is None and not lines.utf8:
                    escapes = sorted(set(re.findall(r"\\x[0-9a-f]{2}", text)))
                    problem = f"holds bytes that are not UTF-8 ({', '.join(escapes)})"
                yield lines.first, text, fields, f"line {lines.first} {problem}" if problem else None


def read_error_words(message: str) -> str:
    """Python's csv error, in the contract's words."""
    if message.startswith("new-line character seen in unquoted field"):
        return "has a carriage return inside an unquoted field (quote the field, or remove the character)"
    if message.startswith("',' expected after '\"'"):
        return 'has text after a closing quote (a quote inside a quoted field is written "")'
    if message.startswith("unexpected end of data"):
        return "opens a quote that is never closed"
    return f"cannot be read as CSV ({message})"


class Lines:
    """The file's lines as text for csv.reader, keeping which lines (and bytes) the current record took."""

    def __init__(self, handle, first_number: int):
        self.handle, self.number = handle, first_number
        self.position = handle.tell()
        self.begin_record()

    def begin_record(self) -> None:
        self.raw, self.texts, self.offsets, self.utf8, self.first = [], [], [], True, self.number

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.handle.readline()
        if not line:
            raise StopIteration
        if self.number == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :]
            self.position += len(codecs.BOM_UTF8)
        text, utf8 = decode(line)
        self.raw.append(line)
        self.offsets.append(self.position)
        self.texts.append(text)
        self.utf8 = self.utf8 and utf8
        self.position += len(line)
        self.number += 1
        return text


def first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def readable_copy(path: str, contract: list[str], cache_dir: str, facts: dict) -> str:
    """On DuckDB, a CSV landing file's lines (csv_lines) as a Parquet file the raw views read, made once per
    fingerprint (size and modification time) in `cache_dir`, with the file's facts in its metadata; older
    copies of the same file are removed."""
    folder, name = copy_folder(path, cache_dir), Path(path).name
    copy = folder / f"{name}.{copy_key(path, contract)}.parquet"
    folder.mkdir(parents=True, exist_ok=True)
    partial = copy.with_suffix(".partial")
    schema = pa.schema(
        [
            *((c, pa.string()) for c in contract),
            ("file_line", pa.int64()),
            ("line_text", pa.string()),
            ("read_problem", pa.string()),
        ],
        metadata={FACTS_KEY: json.dumps(facts)},
    )
    with pq.ParquetWriter(partial, schema) as writer:
        for batch in csv_lines(path, contract):
            writer.write_batch(batch)
    os.replace(partial, copy)
    for older in folder.glob(f"{glob_escape(name)}.*.parquet"):
        if older != copy:
            older.unlink(missing_ok=True)
    return str(copy)


def copy_folder(path: str, cache_dir: str) -> Path:
    return Path(cache_dir) / Path(path).parent.name


def copy_key(path: str, contract: list[str]) -> str:
    """The file's fingerprint (warehouse_paths.landing_fingerprint) and the contract it was read for."""
    stat = os.stat(path)
    return f"{stat.st_size}-{stat.st_mtime_ns // 1000}-{len(contract)}"


def cached_facts(path: str, contract: list[str], cache_dir: str) -> dict | None:
    """The facts of a CSV file read before, unchanged since: its copy is still good."""
    copy = copy_folder(path, cache_dir) / f"{Path(path).name}.{copy_key(path, contract)}.parquet"
    if not copy.exists():
        return None
    facts = json.loads(pq.read_schema(copy).metadata[FACTS_KEY.encode()])
    return {**facts, "read_as": str(copy)}


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def landing_file(path: str, contract: list[str], optional: list[str], cache_dir: str) -> str:
    """The SQL function dbt's hook calls on DuckDB: the file's facts as JSON, with `read_as`, the Parquet file
    the raw view reads for it (the file itself, or its CSV lines' copy, with every `contract` column) when it
    is usable (it may lack the `optional` ones)."""
    try:
        if path.endswith(".csv") and (cached := cached_facts(path, contract, cache_dir)):
            return json.dumps(cached)
        found = inspect(path)
    except FileNotFoundError:
        return json.dumps(
            {
                "path": path,
                "size": 0,
                "columns": [],
                "has_rows": None,
                "problem": f"{path} was removed while the build read it: run the build again",
            }
        )
    facts = found.facts()
    if found.usable(contract, optional):
        facts["read_as"] = readable_copy(path, contract, cache_dir, facts) if path.endswith(".csv") else path
    return json.dumps(facts)
