"""What batch inference jobs and batch segment jobs share: their checks, statuses, listing, and the files
they read and write in the account's S3.

Input (Amazon Personalize developer guide, "Preparing input data for batch recommendations"): JSON
Lines, one query per line; the path is an S3 prefix ("Amazon S3 is prefix based": every file under
it is input; a path naming one object is that file).  Output: each input file ``name`` gives
``<output path>/<name>.out``, one line per input line, in its order:
``{"input": <the line>, "output": {...}, "error": null}``.  A line that cannot be answered (not
JSON, a missing userId, a filter value missing...) gets ``"output": null`` and its reason in
``"error"``, and the job goes on.  A job's ``numResults`` is the number of results per line it was
asked for (default 25).
An output file is uploaded once complete, so a reader never sees half of one.

Statuses (BatchInferenceJob, BatchSegmentJob): PENDING, IN PROGRESS, ACTIVE, CREATE FAILED.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from ...aws.errors import AWSError
from ...core.jobs import JobFailed
from ...core.objects import ObjectError, S3Url
from ...core.runtime import RequestContext, Runtime
from ...core.store import Job
from . import filters, imports, jobs, recommend
from . import resources as r
from .errors import invalid

STATUS = {"queued": "PENDING", "running": "IN PROGRESS", "succeeded": "ACTIVE", "failed": "CREATE FAILED",
          "deleting": "CREATE FAILED"}
CHUNK = 10_000  # input lines answered together (one model query per chunk)
DEFAULT_RESULTS = 25


def source_of(ctx: RequestContext, params: dict[str, Any], recipe_types: tuple[str, ...], job: str,
              most: int) -> recommend.Source:
    """The model a new batch job reads, after AWS's checks: an ACTIVE solution version whose recipe the job
    takes, a filter of the same dataset group, numResults in range, S3 paths."""
    source = recommend.of_version(ctx, params["solutionVersionArn"])
    if source.recipe.recipe_type not in recipe_types or source.model == "trending":
        raise invalid(f"A {job} cannot use solution version {params['solutionVersionArn']}: its recipe "
                      f"{source.recipe.name} is not a {' or '.join(recipe_types)} recipe it takes.")
    if params.get("filterArn"):
        found = r.load(ctx, r.FILTER, params["filterArn"])
        if found.body["datasetGroupArn"] != source.group_arn:
            raise invalid(f"Filter {params['filterArn']} belongs to another dataset group than solution version "
                          f"{params['solutionVersionArn']}.")
    wanted = params.get("numResults", DEFAULT_RESULTS)
    if not 1 <= wanted <= most:
        raise invalid(f"numResults must be between 1 and {most}.")
    for name in ("jobInput", "jobOutput"):
        member = params[name]
        path = (member.get("s3DataSource") or member.get("s3DataDestination"))["path"]
        try:
            S3Url.parse(path)
        except ValueError:
            raise invalid(f"Invalid S3 location: {path}.") from None
    return source


def output_prefix(path: str) -> S3Url:
    url = S3Url.parse(path)
    return S3Url(url.bucket, url.key if not url.key or url.key.endswith("/") else url.key + "/")


def view(job: Job, members: tuple[str, ...]) -> dict[str, Any]:
    return {**jobs.view(job, members), "status": STATUS[job.state]}


def listing(ctx: RequestContext, kind: str, params: dict[str, Any], members: tuple[str, ...]) -> tuple[list, Any]:
    """Jobs of ``kind`` (of one solution version when ``solutionVersionArn`` is given), newest first, paged."""
    version = params.get("solutionVersionArn")  # an unknown version lists nothing (List* declare no NotFound)
    found = [j for j in ctx.store.jobs(r.scope(ctx), kind) if not version or j.spec["solutionVersionArn"] == version]
    found.sort(key=lambda j: (j.created_at, j.id), reverse=True)
    return r.page_of([view(j, members) for j in found], params, [kind, version])


# -- the runner ------------------------------------------------------------------------------


class LineError(Exception):
    """An input line that cannot be answered: its message is the line's ``error``."""


Answer = Callable[[list[dict[str, Any]]], list[dict[str, Any] | str]]  # records -> outputs, or error messages


def _records(lines: list[bytes]) -> tuple[list[Any], list[dict[str, Any] | str]]:
    """Each line parsed (or the line itself, as text), and what it asks (or why it cannot be answered)."""
    inputs, asked = [], []
    for line in lines:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            inputs.append(line.decode("utf-8", "replace"))
            asked.append("The input line is not valid JSON.")
            continue
        inputs.append(record)
        asked.append(record if isinstance(record, dict) else "The input line is not a JSON object.")
    return inputs, asked


def _chunks(path: Path) -> Iterator[list[bytes]]:
    chunk = []
    with open(path, "rb") as lines:
        for line in lines:
            if line.strip():
                chunk.append(line.strip())
                if len(chunk) == CHUNK:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


def _count(files: list[tuple[str, Path]]) -> int:
    return sum(1 for _, local in files for chunk in _chunks(local) for _ in chunk)


def run(runtime: Runtime, job: Job, answer: Answer, most_lines: int | None = None) -> dict[str, Any]:
    """Answer every input line with ``answer`` and upload one ``.out`` file per input file (the job fails
    when the input has more than ``most_lines`` lines)."""
    spec = job.spec
    destination = spec["jobOutput"]["s3DataDestination"]
    target = output_prefix(destination["path"])
    try:
        runtime.objects.check_bucket(job.scope.account, target.bucket)
    except ObjectError as error:
        raise JobFailed(f"Failed to write to {destination['path']}: {error.code}: {error.message}") from None
    lines = 0
    files = []
    with runtime.artifacts.scratch() as scratch:
        path = spec["jobInput"]["s3DataSource"]["path"]
        inputs = imports.fetch(jobs.runner_context(runtime, job), path, scratch, prefix=True)
        if most_lines is not None and _count(inputs) > most_lines:
            raise JobFailed(f"The input data has {_count(inputs)} queries; at most {most_lines} are allowed.")
        for source, local in inputs:
            name = source.rsplit("/", 1)[-1]
            out = scratch / f"{local.name}.out"
            with open(out, "wb") as written:
                for chunk in _chunks(local):
                    inputs, asked = _records(chunk)
                    valid = [record for record in asked if isinstance(record, dict)]
                    answers = iter(answer(valid))
                    for line, record in zip(inputs, asked):
                        result = next(answers) if isinstance(record, dict) else record
                        if isinstance(result, str):
                            written.write(orjson.dumps({"input": line, "output": None, "error": result}))
                        else:
                            written.write(orjson.dumps({"input": line, "output": result, "error": None}))
                        written.write(b"\n")
                        lines += 1
            key = f"{target.key}{name}.out"
            try:
                runtime.objects.upload(job.scope.account, target.bucket, key, out, destination.get("kmsKeyArn"))
            except ObjectError as error:
                raise JobFailed(f"Failed to write to {destination['path']}: {error.code}: {error.message}") from None
            files.append(f"s3://{target.bucket}/{key}")
    return {"lines": lines, "files": files}


class Filters:
    """The job's filter, prepared once per distinct filterValues of its input lines."""

    def __init__(self, ctx: RequestContext, filter_arn: str | None, group_arn: str):
        self._ctx, self._arn, self._group = ctx, filter_arn, group_arn
        self._prepared: dict[bytes, Any] = {}

    def prepared(self, record: dict[str, Any]) -> filters.Prepared | None:
        """The prepared filter for the line (None without a filter); AWSError when its values are wrong."""
        if self._arn is None:
            if record.get("filterValues"):
                raise invalid("filterValues are only allowed when the job has a filterArn.")
            return None
        values = record.get("filterValues") or None
        key = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
        if key not in self._prepared:
            try:
                self._prepared[key] = filters.prepare(self._ctx, self._arn, values, self._group)
            except AWSError as error:
                self._prepared[key] = error
        found = self._prepared[key]
        if isinstance(found, AWSError):
            raise found
        return found
