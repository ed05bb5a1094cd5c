"""Dataset records, in columnar files (DuckDB reads and writes them; nothing per row in the metadata store).

A dataset's folder in the artifact store holds:

    bulk/<n>.parquet   one segment per dataset import job; the dataset document lists
                       the live ones (FULL replaces the list, INCREMENTAL appends)
    put/<t>-<u>.jsonl  the records of one PutEvents/PutItems/PutUsers... call
    put/<t>-<u>.parquet  the logs written until then, compacted into one (before each export)

and a dataset group's data deletion jobs each write one file of the USER_IDs they delete
(``read_user_ids``), which the group's document lists with the time of the deletion.

Each file is written once and never changed (so the artifact store may be S3).

Every record knows when it arrived: bulk rows through their segment's time and
position, put rows through a ``_ts`` column.  Exports are one DuckDB query that
picks the segments an ingestion mode selects, resolves newer records the way
Personalize documents, leaves out the records of users deleted after they arrived (one hash anti-join
on USER_ID, absent when the group has no deletions), and streams record batches into CSV parts.  DuckDB runs
under a memory limit and spills to the job's scratch folder, so memory stays
bounded whatever the dataset size.
"""

from __future__ import annotations

import csv
import json
import mmap
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ...core.lazy import LazyModule
from .schemas import Field

duckdb = LazyModule("duckdb")
pa = LazyModule("pyarrow")

MEMORY_LIMIT = "256MB"
_BATCH_ROWS = 128 * 1024


class RecordError(Exception):
    """Input records that break the schema; the message is the job's failureReason."""


def connect(scratch: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(scratch / "duckdb"),
                                  "preserve_insertion_order": True})


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(fields: Iterable[Field]) -> str:
    return "{" + ", ".join(f"{_literal(f.name)}: {_literal(f.sql_type)}" for f in fields) + "}"


# -- bulk imports ------------------------------------------------------------------------

# Input limits, so that a hostile file fails at its first offending line in bounded time and
# memory.  A Personalize schema has a few dozen fields (at most 50 metadata fields plus the
# reserved ones, in at most 20,000 characters), so a header wider than this is never one.
MAX_COLUMNS = 1000
# Bytes of a line with its line break.  Ids are at most 256 characters, categorical values
# 1,000, a PutItems record 32,000: no record Personalize accepts comes near this, and it
# bounds what one row costs to parse.
MAX_LINE_BYTES = 1024 * 1024
_ECHO = 40  # characters of an input value a failure reason quotes


def _echo(text: str, most: int = _ECHO) -> str:
    """Text as a failure reason quotes it: a short prefix, never the whole of a huge value."""
    return text if len(text) <= most else text[:most] + "..."


def _names(names: list[str], most: int = 10) -> str:
    shown = ", ".join(_echo(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


SCHEMA = "the schema"  # what input files are checked against (``expected`` below)


def _at_line(label: str, line: int, problem: str, expected: str = SCHEMA) -> RecordError:
    return RecordError(f"Input file {label} does not match {expected}. Line {line}: {problem}.")


def _too_long() -> str:
    return f"the line is longer than the maximum of {MAX_LINE_BYTES} bytes"


def read_header(label: str, path: Path, expected: str = SCHEMA) -> list[str]:
    """The header row, read with a bounded read (an overlong first line is never read whole)."""
    with open(path, "rb") as f:
        raw = f.read(MAX_LINE_BYTES + 1)
    head = re.match(rb"[^\r\n]*", raw)[0]  # headers are never quoted, so never hold a line break
    wide = RecordError(f"The header of input file {label} has more than {MAX_COLUMNS} columns, the maximum.")
    if len(head) >= MAX_LINE_BYTES:  # say which limit it breaks
        raise wide if head.count(b",") >= MAX_COLUMNS else _at_line(label, 1, _too_long(), expected)
    try:
        header = next(csv.reader([head.decode("utf-8-sig")]), [])
    except (csv.Error, UnicodeDecodeError) as error:
        raise RecordError(f"The header row cannot be read in input file {label}: {error}.") from None
    if len(header) > MAX_COLUMNS:
        raise wide
    return header


def _check_lines(label: str, path: Path, expected: str = SCHEMA) -> None:
    """Fail at the first line longer than MAX_LINE_BYTES.  DuckDB's own max_line_size is not enough: it
    reads an overlong line whole and, past some tens of MB, fails with an unrelated error.  The file is
    mapped, not read: from each line's start, the last line break within MAX_LINE_BYTES starts the next
    line to look from, so the scan is one pass of ``rfind`` (no copy of the file).  (A mapped file that shrank
    would fault: an import's files never change once written, its scratch copies nor the embedded S3's files,
    see ``EmbeddedS3.held_file``.)"""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < MAX_LINE_BYTES:  # (no line can be that long; an empty file cannot be mapped)
            return
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            style = re.search(rb"\r\n?|\n", data[:MAX_LINE_BYTES])  # the header's line break is the file's
            end = b"\r" if style and style[0] == b"\r" else b"\n"  # DuckDB reads old Mac files too
            start = 0  # where the line being looked at starts
            while size - start >= MAX_LINE_BYTES:  # (a shorter rest holds no overlong line)
                last = data.rfind(end, start, start + MAX_LINE_BYTES)
                if last < 0:
                    line = 1 + sum(data[i:min(i + MAX_LINE_BYTES, start)].count(end)
                                   for i in range(0, start, MAX_LINE_BYTES))
                    raise _at_line(label, line, _too_long(), expected)
                start = last + 1


def _check_header(label: str, header: list[str], fields: list[Field]) -> None:
    by_name = {f.name: f for f in fields}
    if not header:
        raise RecordError(f"Input file {label} is empty: it needs a header row of the schema's field names.")
    present = set(header)  # every check is linear: the header can be MAX_COLUMNS wide
    duplicates = sorted(h for h, n in Counter(header).items() if n > 1)
    unknown = [h for h in header if h not in by_name]
    missing = [f.name for f in fields if not f.nullable and f.name not in present]
    problems = []
    if duplicates:
        problems.append(f"duplicate columns {_names(duplicates)}")
    if unknown:
        problems.append(f"columns {_names(unknown)} are not in the schema")
    if missing:
        problems.append(f"required columns {', '.join(missing)} are missing")
    if problems:
        raise RecordError(f"The header of input file {label} does not match the schema: {'; '.join(problems)}. "
                          f"Expected columns: {', '.join(f.name for f in fields)}.")


# DuckDB's CSV errors read "CSV Error on Line: N", the line, then the problem.  The line may hold
# any text, so the problem is the last match, and every pattern is bounded: the search is linear.
_LINE = re.compile(r"CSV Error on Line: (\d+)")
_COLUMNS = re.compile(r"Expected Number of Columns: (\d{1,9}) Found: (\d{1,9})")
_CAST = re.compile(r'converting column "([^"]{1,200})"\. Could not convert string "(.{0,100})', re.DOTALL)
_CLUES = {"Invalid unicode": "the line is not valid UTF-8", "unterminated quote": "a quoted value has no closing quote",
          "Maximum line size": _too_long()}


def _line_problem(text: str, fields: list[Field]) -> str | None:
    if found := [*_COLUMNS.finditer(text)]:
        return "expected {} columns, found {}".format(*found[-1].groups())
    if found := [*_CAST.finditer(text)]:
        column, value = found[-1].groups()
        value = value.split("\" to '", 1)[0] if "\" to '" in value else value + "..."
        kind = next((f.type for f in fields if f.name == column), "value")
        return f'the value "{_echo(value)}" of {column} is not a valid {kind}'
    return next((problem for clue, problem in _CLUES.items() if clue in text), None)


def _reason(where: str, error: duckdb.Error, fields: list[Field], expected: str = SCHEMA) -> str:
    """The failure reason of a DuckDB error: the line and its problem where DuckDB names them,
    else DuckDB's first lines, without its hints and type prefix ("Conversion Error: ...")."""
    text = str(error)
    at = _LINE.search(text)
    if at and (problem := _line_problem(text, fields)):
        return f"{where} does not match {expected}. Line {at[1]}: {problem}."
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = " ".join(line for line in lines[:3] if not line.startswith(("Possible", "*", "Original", "Parser")))
    return f"{where} does not match {expected}: {_echo(text.split(' Error: ', 1)[-1], 300)}"


def _culprit(con: duckdb.DuckDBPyConnection, files: list[tuple[str, Path]], selects: list[str],
             error: duckdb.Error, fields: list[Field], expected: str = SCHEMA) -> str:
    """The failure reason, naming the input file at fault (each file is read alone to find it)."""
    for (label, _), select in zip(files, selects, strict=True):
        if len(files) > 1:
            try:
                con.execute(f"SELECT count(COLUMNS(*)) FROM ({select})").fetchall()  # count(*) skips parsing
                continue
            except duckdb.Error as own:
                error = own
        return _reason(f"Input file {label}", error, fields, expected)
    return _reason("Input data", error, fields, expected)


def import_csv(con: duckdb.DuckDBPyConnection, files: list[tuple[str, Path]], fields: list[Field], out: Path,
               max_id_length: int = 256) -> int:
    """Validate CSV ``files`` (label, path) against the schema and write them as one Parquet file.

    Exact duplicate rows are kept once.  Returns the row count; RecordError names
    the first problem (and nothing is written)."""
    selects = []
    for label, path in files:
        header = read_header(label, path)
        _check_header(label, header, fields)
        _check_lines(label, path)
        types = {f.name: f for f in fields}
        present = set(header)
        columns = ", ".join(_ident(f.name) if f.name in present else f"NULL::{f.sql_type} AS {_ident(f.name)}"
                            for f in fields)
        selects.append(
            f"SELECT {columns} FROM read_csv({_literal(str(path))}, header=true, auto_detect=false, "
            f"columns={_columns(types[h] for h in header)}, quote='\"', escape='\"', strict_mode=true, "
            f"max_line_size={2 * MAX_LINE_BYTES})"  # a looser bound on rows with quoted line breaks
        )
    target = _literal(str(out))
    try:  # in the files' order; exact duplicates are removed below, where there are any
        con.execute(f"COPY ({' UNION ALL '.join(selects)}) TO {target} (FORMAT parquet)")
    except duckdb.Error as error:
        out.unlink(missing_ok=True)
        raise RecordError(_culprit(con, files, selects, error, fields)) from None
    checks = ["count(*)"]
    for f in fields:
        checks.append(f"count(*) FILTER (WHERE {_ident(f.name)} IS NULL)")
        checks.append(f"max(length({_ident(f.name)}))" if f.type == "string" else "0")
    # Rows whose hashes all differ hold no two equal rows (equal rows hash alike, as DISTINCT's own table
    # relies on): then the file stands; otherwise DISTINCT decides, which costs a second pass on its own.
    hashes = f"count(DISTINCT hash({', '.join(_ident(f.name) for f in fields)}))"
    *row, distinct_hashes = con.execute(f"SELECT {', '.join(checks)}, {hashes} FROM read_parquet({target})").fetchall()[0]
    if distinct_hashes < row[0]:
        kept = out.with_name(out.name + ".distinct")
        con.execute(f"COPY (SELECT DISTINCT * FROM read_parquet({target})) TO {_literal(str(kept))} "
                    "(FORMAT parquet)")
        kept.replace(out)
        row = con.execute(f"SELECT {', '.join(checks)} FROM read_parquet({target})").fetchall()[0]
    for i, f in enumerate(fields):
        nulls, longest = row[1 + 2 * i], row[2 + 2 * i] or 0
        problem = None
        if nulls and not f.nullable:
            problem = f"{nulls} rows have no value for {f.name}, which the schema does not allow to be null"
        elif f.name.endswith("_ID") and f.type == "string" and longest > max_id_length:
            problem = f"values of {f.name} are up to {longest} characters long; the maximum is {max_id_length}"
        elif f.categorical and longest > 1000:
            problem = f"categorical values of {f.name} are up to {longest} characters long; the maximum is 1000"
        if problem:
            out.unlink(missing_ok=True)
            raise RecordError(f"Input data does not match the schema: {problem}.")
    return int(row[0])


USER_ID = "USER_ID"


def read_user_ids(con: duckdb.DuckDBPyConnection, files: list[tuple[str, Path]], out: Path) -> int:
    """The USER_IDs of data deletion input ``files`` (label, path), each a CSV file of a single USER_ID
    column with its header ("Deleting users" in the Personalize developer guide), written once each to
    the Parquet file ``out`` (empty values skipped).  Returns how many; RecordError names the first problem."""
    column = [Field(USER_ID, "string", False)]
    expected = "the format of a data deletion input file"
    selects = []
    for label, path in files:
        header = read_header(label, path, expected)
        if header != [USER_ID]:
            found = f"its header is {_names(header)}" if header else "it is empty"
            raise RecordError(f"Input file {label} must be a CSV file with a single {USER_ID} column (and that "
                              f"header row): {found}.")
        _check_lines(label, path, expected)
        selects.append(f"SELECT {USER_ID} FROM read_csv({_literal(str(path))}, header=true, auto_detect=false, "
                       f"columns={_columns(column)}, quote='\"', escape='\"', strict_mode=true, "
                       f"max_line_size={2 * MAX_LINE_BYTES})")
    try:
        con.execute(f"COPY (SELECT DISTINCT {USER_ID} FROM ({' UNION ALL '.join(selects)}) WHERE {USER_ID} <> '') "
                    f"TO {_literal(str(out))} (FORMAT parquet)")
    except duckdb.Error as error:
        out.unlink(missing_ok=True)
        raise RecordError(_culprit(con, files, selects, error, column, expected)) from None
    # (fetchall, not fetchone: a result read to its end leaves the connection free for the caller)
    return con.execute(f"SELECT count(*) FROM read_parquet({_literal(str(out))})").fetchall()[0][0]


# -- individual records ("PUT") ----------------------------------------------------------


# A put log and its segment keep each record's arrival in a column "_ts" (their format on disk); a field of that
# name (in any case: DuckDB's names ignore it) is kept beside it as "$" + its name, which no Avro name can be.
_ARRIVAL = "_ts"


def _logged(name: str) -> str:
    """The column of a put log or segment that holds the field ``name``."""
    return "$" + name if name.lower() == _ARRIVAL else name


def log_lines(rows: list[dict[str, Any]], now_ns: int) -> bytes:
    """Records (schema names -> values) as lines of a put log, each stamped with its arrival."""
    return "".join(json.dumps({**{_logged(k): v for k, v in row.items()}, _ARRIVAL: now_ns + i},
                              separators=(",", ":")) + "\n" for i, row in enumerate(rows)).encode()


def compact_logs(con: duckdb.DuckDBPyConnection, log: Path, fields: list[Field], out: Path) -> None:
    """Turn a put log (lines of ``log_lines``) into a Parquet segment."""
    columns = _columns([*(replace(f, name=_logged(f.name)) for f in fields), Field(_ARRIVAL, "long", False)])
    con.execute(f"COPY (SELECT * FROM read_json({_literal(str(log))}, format='newline_delimited', "
                f"columns={columns})) TO {_literal(str(out))} (FORMAT parquet)")


# -- exports -----------------------------------------------------------------------------


# The columns an export's query adds to the records' (time of arrival, position in its file, which file):
# named as no field can be (Avro names are [A-Za-z_][A-Za-z0-9_]*), so a field "_seg" stays the field.
_TS, _ROW, _SEG = '"$ts"', '"$row"', '"$seg"'


@dataclass(frozen=True, slots=True)
class Segment:
    path: Path
    ts: int | None  # bulk: when it was imported; None: rows carry ``_ts`` (put segments)


def export_query(bulk: list[Segment], put: list[Segment], fields: list[Field], id_field: str | None,
                 mode: str, deleted: Sequence[Segment] = ()) -> str:
    """The records ``mode`` (BULK, PUT, ALL) exports, as Personalize documents it:
    exact duplicates once; records replaced by a later INCREMENTAL import gone;
    with ALL, only the newest record per id of Items/Users (every interaction).

    ``deleted``: files of USER_IDs (``read_user_ids``), each with the time of its deletion: a
    record of such a user that arrived before it is gone (one that arrived later stays)."""
    cols = ", ".join(_ident(f.name) for f in fields)
    logged = ", ".join(f"{_ident(_logged(f.name))} AS {_ident(f.name)}" for f in fields)
    numbered = not _shadows_row_number(fields)

    def scan(segments: list[Segment], first: int) -> list[str]:
        return [
            f"SELECT {cols if s.ts is not None else logged}, "  # (put segments: their own names, their arrivals)
            f"{s.ts if s.ts is not None else _ARRIVAL}::BIGINT AS {_TS}, "
            f"{'file_row_number' if numbered else 'row_number() OVER () - 1'} AS {_ROW}, {first + i} AS {_SEG} "
            f"FROM read_parquet({_literal(str(s.path))}{', file_row_number=true' if numbered else ''})"
            for i, s in enumerate(segments)
        ]

    parts = []
    if mode in ("BULK", "ALL") and bulk:
        union = " UNION ALL ".join(scan(bulk, 0))
        if id_field and len(bulk) > 1:  # a later import replaces records with the same id
            union = f"SELECT * FROM ({union}) QUALIFY {_SEG} = max({_SEG}) OVER (PARTITION BY {_ident(id_field)})"
        parts.append(union)
    if mode in ("PUT", "ALL") and put:
        parts.extend(scan(put, len(bulk)))
    if not parts:
        return f"SELECT {', '.join(f'NULL::{f.sql_type} AS {_ident(f.name)}' for f in fields)} LIMIT 0"
    source = " UNION ALL ".join(f"({p})" for p in parts)
    erased = _erases(deleted, fields)
    if erased:
        # After the replacing above, with the same result as before it: a replacing record arrived later,
        # so whenever it is deleted, so is the one it replaced.  The deletions are the (small) build side.
        source = (f"SELECT _r.* FROM ({source}) _r ANTI JOIN ({_deletions(deleted)}) _d "
                  f"ON _d.{USER_ID} = _r.{USER_ID} AND _d.{_TS} > _r.{_TS}")
    if mode == "ALL" and id_field:
        return (f"SELECT {cols} FROM ({source}) QUALIFY row_number() OVER "
                f"(PARTITION BY {_ident(id_field)} ORDER BY {_TS} DESC, {_ROW} DESC) = 1")
    if len(parts) == 1 and mode == "BULK" and len(bulk) == 1:
        # one import: deduplicated when it was imported, exported in its order (which a join does not keep)
        return f"SELECT {cols} FROM ({source})" + (f" ORDER BY {_ROW}" if erased else "")
    return f"SELECT DISTINCT {cols} FROM ({source})"


def _shadows_row_number(fields: list[Field]) -> bool:
    """Whether a field has the name (in any case: DuckDB's names are) of the column in which DuckDB numbers a
    Parquet file's rows: the file's own column then hides it.  Such files are numbered by a window over the
    file's rows, which keeps their order (as DuckDB documents), the plain column being the faster."""
    return any(f.name.lower() == "file_row_number" for f in fields)


def _erases(deleted: Sequence[Segment], fields: list[Field]) -> bool:
    return bool(deleted) and any(f.name == USER_ID for f in fields)


def whole_segment(bulk: list[Segment], mode: str, deleted: Sequence[Segment], fields: list[Field]) -> Path | None:
    """The segment an export reads whole and in its order, leaving nothing out (one import's, exported BULK,
    none of its users deleted): ``export_query`` then selects its columns and nothing more."""
    if mode == "BULK" and len(bulk) == 1 and not _erases(deleted, fields):
        return bulk[0].path
    return None


def _deletions(deleted: Sequence[Segment]) -> str:
    """(USER_ID, its time): each deleted user once, with the time of their latest deletion."""
    files = [f"SELECT {USER_ID}, {d.ts}::BIGINT AS {_TS} FROM read_parquet({_literal(str(d.path))})" for d in deleted]
    if len(files) == 1:
        return files[0]  # (a file holds each user once)
    return f"SELECT {USER_ID}, max({_TS}) AS {_TS} FROM ({' UNION ALL '.join(files)}) GROUP BY {USER_ID}"


def segment_parts(con: duckdb.DuckDBPyConnection, segment: Path, fields: list[Field], folder: Path,
                  part_rows: int) -> Iterator[Path]:
    """``csv_parts`` of a ``whole_segment``: each part one COPY of its range of the file's rows (DuckDB reads
    the row groups that hold it, in parallel), not through Arrow batches in this process: a quarter faster.
    Parts smaller than a row group would each decode their groups again: those go through ``csv_parts``, as
    do files with a field hiding the row numbers (``_shadows_row_number``)."""
    source = _literal(str(segment))
    rows, groups = con.execute(f"SELECT num_rows, num_row_groups FROM parquet_file_metadata({source})").fetchall()[0]
    cols = ", ".join(_ident(f.name) for f in fields)
    if (groups and part_rows < rows / groups) or _shadows_row_number(fields):
        yield from csv_parts(con, f"SELECT {cols} FROM read_parquet({source})", folder, part_rows)
        return
    for count, start in enumerate(range(0, max(rows, 1), part_rows)):
        path = folder / f"part-{count:05d}.csv"
        con.execute(f"COPY (SELECT {cols} FROM read_parquet({source}, file_row_number=true) "
                    f"WHERE file_row_number >= {start} AND file_row_number < {start + part_rows}) "
                    f"TO {_literal(str(path))} (HEADER, DELIMITER ',')")
        yield path


def csv_parts(con: duckdb.DuckDBPyConnection, query: str, folder: Path, part_rows: int) -> Iterator[Path]:
    """Stream the query's rows into ``part-00000.csv``, ... of at most ``part_rows`` rows,
    yielding each file once it is complete (at least one, with its header row, even
    when there are no rows).

    Rows arrive as Arrow batches; each part's batches are written by DuckDB's CSV
    writer (quotes only where needed), so memory holds one part at most."""
    reader = con.sql(query).to_arrow_reader(min(_BATCH_ROWS, part_rows))
    writer = con.cursor()  # the first connection is busy streaming
    pending: list[pa.RecordBatch] = []
    rows = count = 0

    def flush() -> Path:
        nonlocal count
        path = folder / f"part-{count:05d}.csv"
        writer.register("part", pa.Table.from_batches(pending, schema=reader.schema))
        writer.execute(f"COPY part TO {_literal(str(path))} (HEADER, DELIMITER ',')")
        writer.unregister("part")
        pending.clear()
        count += 1
        return path

    for batch in reader:
        while batch.num_rows:
            take = min(batch.num_rows, part_rows - rows)
            pending.append(batch.slice(0, take))
            rows += take
            batch = batch.slice(take)
            if rows == part_rows:
                yield flush()
                rows = 0
    if pending or not count:
        yield flush()
