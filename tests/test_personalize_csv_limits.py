"""Personalize bulk imports of hostile or broken CSV files: bounded limits, line-level reasons, bounded reasons."""

from __future__ import annotations

import time

import pytest
from personalize_helpers import INTERACTIONS, dataset, import_job

from localexport.services.personalize.records import MAX_COLUMNS, MAX_LINE_BYTES

BUCKET = "personalize-limits"
HEADER = b"USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n"
GOOD = b"u,i,x,1\n"


@pytest.fixture
def p(make_client):
    return make_client("personalize")


@pytest.fixture
def s3(make_client):
    client = make_client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def interactions(p):
    group = p.create_dataset_group(name="limits")["datasetGroupArn"]
    return dataset(p, group, "Interactions", INTERACTIONS)


def _import(p, s3, arn, body: bytes, name: str, key: str | None = None) -> dict:
    key = key or f"{name}.csv"
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return import_job(p, arn, f"s3://{BUCKET}/{key}", name)


def _failed(job: dict) -> str:
    assert job["status"] == "CREATE FAILED", job
    assert len(job["failureReason"]) < 500, job["failureReason"][:1000]
    return job["failureReason"]


def test_a_million_column_header_fails_fast_with_the_column_limit(p, s3, interactions):
    header = ",".join(f"c{i}" for i in range(1_000_000)).encode() + b"\n"  # ~7 MB, one line
    started = time.monotonic()
    reason = _failed(_import(p, s3, interactions, header + GOOD, "wide"))
    assert time.monotonic() - started < 20
    assert reason == f"The header of input file s3://{BUCKET}/wide.csv has more than {MAX_COLUMNS} columns, the maximum."


def test_headers_at_and_over_the_column_limit(p, s3, interactions):
    names = ["USER_ID", "ITEM_ID", "TIMESTAMP", "USER_ID", *(f"EXTRA{i}" for i in range(MAX_COLUMNS - 4))]
    reason = _failed(_import(p, s3, interactions, ",".join(names).encode() + b"\n" + GOOD, "at-limit"))
    assert "duplicate columns USER_ID; columns EXTRA0, EXTRA1," in reason
    assert f"EXTRA9 and {MAX_COLUMNS - 14} more are not in the schema" in reason
    over = ",".join([*names, "ONE_MORE"]).encode() + b"\n" + GOOD
    assert f"more than {MAX_COLUMNS} columns" in _failed(_import(p, s3, interactions, over, "over-limit"))


@pytest.mark.parametrize(("body", "line"), [
    (b"U" * (2 * 1024 * 1024) + b"\n" + GOOD, 1),
    (HEADER + GOOD + b"u,i," + b"y" * (2 * 1024 * 1024) + b",1\n" + GOOD, 3),
    (HEADER + GOOD * 200_000 + b"u,i," + b"y" * (MAX_LINE_BYTES - 6) + b",1\n", 200_002),  # one byte over
])
def test_an_overlong_line_fails_with_the_line_length_reason(p, s3, interactions, body, line):
    reason = _failed(_import(p, s3, interactions, body, "long"))
    assert reason == (f"Input file s3://{BUCKET}/long.csv does not match the schema. Line {line}: "
                      f"the line is longer than the maximum of {MAX_LINE_BYTES} bytes.")


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_a_line_of_the_maximum_length_and_normal_files_import(p, s3, interactions, newline):
    longest = b"u,i," + b"y" * (MAX_LINE_BYTES - 6 - len(newline)) + b",1"  # MAX_LINE_BYTES with its break
    body = b"\xef\xbb\xbf" + newline.join([HEADER.strip(), b"u,i,x,1", longest, b"v,j,x,2", b""])
    job = _import(p, s3, interactions, body, "longest")
    assert job["status"] == "ACTIVE", job.get("failureReason")


@pytest.mark.parametrize(("row", "problem"), [
    (b"u,i,x,1,5", "expected 4 columns, found 5"),
    (b"u,i,x", "expected 4 columns, found 3"),
    (b"u,i,x,yesterday", 'the value "yesterday" of TIMESTAMP is not a valid long'),
    (b"u,i\xff,x,1", "the line is not valid UTF-8"),  # was "The header row cannot be read"
    (b'u,"i,x,1', "a quoted value has no closing quote"),
])
def test_a_bad_data_row_is_reported_at_its_line(p, s3, interactions, row, problem):
    body = HEADER + GOOD * 55 + row + b"\n" + GOOD * 3
    reason = _failed(_import(p, s3, interactions, body, "bad-row"))
    assert reason == f"Input file s3://{BUCKET}/bad-row.csv does not match the schema. Line 57: {problem}."


def test_a_bad_row_in_a_folder_names_its_file(p, s3, interactions):
    s3.put_object(Bucket=BUCKET, Key="many/a.csv", Body=HEADER + GOOD)
    s3.put_object(Bucket=BUCKET, Key="many/b.csv", Body=HEADER + GOOD + b"u,i,x,soon\n")
    reason = _failed(import_job(p, interactions, f"s3://{BUCKET}/many/", "many"))
    assert reason.startswith(f"Input file s3://{BUCKET}/many/b.csv does not match the schema. Line 3: ")


def test_a_bad_header_is_still_reported_as_the_header(p, s3, interactions):
    reason = _failed(_import(p, s3, interactions, b"USER_ID,ITEM\xff_ID,TIMESTAMP\n" + GOOD, "bad-header"))
    assert reason.startswith(f"The header row cannot be read in input file s3://{BUCKET}/bad-header.csv: ")


def test_reasons_never_echo_a_huge_value(p, s3, interactions):
    value = b"9" * 10 + b"y" * 500_000
    reason = _failed(_import(p, s3, interactions, HEADER + b"u,i,x," + value + b"\n", "huge-value"))
    assert f'Line 2: the value "{"9" * 10}{"y" * 30}..." of TIMESTAMP is not a valid long.' in reason
    name = b"N" * 100_000
    reason = _failed(_import(p, s3, interactions, HEADER.strip() + b"," + name + b"\n" + GOOD, "huge-name"))
    assert f"columns {'N' * 40}... are not in the schema" in reason
