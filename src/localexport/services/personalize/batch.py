"""What batch inference jobs and batch segment jobs share: their operations (Create, Describe, List), checks,
statuses, and the files they read and write in the account's S3.

Input (Amazon Personalize developer guide, "Preparing input data for batch recommendations"): JSON
Lines, one query per line; the path is an S3 prefix ("Amazon S3 is prefix based": every file under
it is input; a path naming one object is that file); files under the job's output path are not input
(the guide asks for "a separate location for your output data").  Output: each input file gives
``<output path>/<its path under the input folder>.out``, one line per input line, in its order:
``{"input": <the line>, "output": {...}, "error": null}``.  A line that cannot be answered (not
JSON, a missing userId, a filter value missing...) gets ``"output": null`` and its reason in
``"error"``, and the job goes on.  A job's ``numResults`` is the number of results per line it was
asked for (default 25).  The output files are uploaded once every line is answered, so a failed job
leaves none and a reader never sees half of one.

Statuses (BatchInferenceJob, BatchSegmentJob): PENDING, IN PROGRESS, ACTIVE, CREATE FAILED.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ...aws.errors import AWSError
from ...core.jobs import JobFailed
from ...core.objects import ObjectError, S3Url
from ...core.runtime import JobName, RequestContext, Runtime
from ...core.store import Job
from . import filter_expressions, filters, imports, jobs, recommend, tags
from .errors import invalid
from .handlers import op

STATUS = {"queued": "PENDING", "running": "IN PROGRESS", "succeeded": "ACTIVE", "failed": "CREATE FAILED",
          "deleting": "CREATE FAILED"}
CHUNK = 10_000  # input lines answered together (one model query per chunk)
DEFAULT_RESULTS = 25
MAX_FILTER_VALUES = 25  # filterValues entries (the runtime model's bound)
PREPARED = 256  # distinct filterValues of one job kept prepared
ITEMS, USERS = filter_expressions.ITEM, filter_expressions.USER  # what a job's filter filters


@dataclass(frozen=True)
class JobType:
    """A kind of batch job, as its operations name it."""

    name: str  # BatchInferenceJob: CreateBatchInferenceJob, its describe key batchInferenceJob, ...
    kind: str  # the engine's job kind
    arn_part: str
    members: tuple[str, ...]  # what Describe shows of the request
    summary: tuple[str, ...]  # what List shows
    recipe_types: tuple[str, ...]  # the recipes whose versions it takes
    most_results: int  # numResults' bound
    filter_target: str  # what its filters filter (items, users)

    @property
    def noun(self) -> str:
        return self.name[0].lower() + self.name[1:]

    @property
    def arn_field(self) -> str:
        return self.noun + "Arn"

    @property
    def label(self) -> str:  # batch inference job
        return re.sub(r"(?<!^)([A-Z])", r" \1", self.name).lower()


Checks = Callable[[RequestContext, dict[str, Any], recommend.Source], dict[str, Any]]


def register(job: JobType, checks: Checks) -> None:
    """Create/Describe/List operations of ``job``; ``checks`` refuses what the kind refuses and returns what its
    spec adds to the request's members."""
    op.names_jobs(job.kind)(lambda found: JobName(found.spec["arn"], str(output_prefix(
        found.spec["jobOutput"]["s3DataDestination"]["path"]))))

    @op(f"Create{job.name}")
    def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        tags.check(params.get("tags"))
        source = _source(ctx, params, job)
        spec = {**{m: params.get(m) for m in job.members}, "numResults": params.get("numResults", DEFAULT_RESULTS),
                "tags": params.get("tags"), **checks(ctx, params, source)}
        return {job.arn_field: jobs.submit(ctx, job.kind, job.arn_part, job.arn_field, spec)}

    @op(f"Describe{job.name}")
    def describe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {job.noun: jobs.view(jobs.load(ctx, job.kind, params[job.arn_field]), job.members, STATUS)}

    @op(f"List{job.name}s")
    def list_jobs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        # (an unknown solution version lists nothing: List* declare no ResourceNotFound)
        chunk, token = jobs.listing(ctx, job.kind, params, job.summary, parent="solutionVersionArn", status=STATUS)
        return {job.noun + "s": chunk, "nextToken": token}


def _source(ctx: RequestContext, params: dict[str, Any], job: JobType) -> recommend.Source:
    """The model a new batch job reads, after AWS's checks: an ACTIVE solution version whose recipe the job
    takes, a filter it can apply, numResults in range, S3 paths."""
    source = recommend.of_version(ctx, params["solutionVersionArn"])
    if source.recipe.recipe_type not in job.recipe_types or source.model == "trending":
        raise invalid(f"A {job.label} cannot use solution version {params['solutionVersionArn']}: its recipe "
                      f"{source.recipe.name} is not a {' or '.join(job.recipe_types)} recipe it takes.")
    if params.get("filterArn"):
        filters.check_for_job(ctx, params["filterArn"], source.group_arn, job.filter_target,
                              related=source.model == "similar",
                              interactions=source.recipe.name != "aws-item-attribute-affinity")
    wanted = params.get("numResults", DEFAULT_RESULTS)
    if not 1 <= wanted <= job.most_results:
        raise invalid(f"numResults must be between 1 and {job.most_results}.")
    imports.check_path(params["jobInput"]["s3DataSource"]["path"])
    imports.check_path(params["jobOutput"]["s3DataDestination"]["path"])
    return source


def output_prefix(path: str) -> S3Url:
    url = S3Url.parse(path)
    return S3Url(url.bucket, url.key if not url.key or url.key.endswith("/") else url.key + "/")


# -- the runner ------------------------------------------------------------------------------


class LineError(Exception):
    """An input line that cannot be answered: its message is the line's ``error``."""


Answer = Callable[[list[dict[str, Any]]], list[dict[str, Any] | str]]  # records -> outputs, or error messages


def begin(runtime: Runtime, job: Job) -> tuple[RequestContext, recommend.Source, Filters]:
    """A batch job's context, the model it reads (the job fails when it is gone), and its filter."""
    ctx = jobs.runner_context(runtime, job)
    try:
        source = recommend.of_version(ctx, job.spec["solutionVersionArn"])
    except AWSError as error:
        raise JobFailed(error.message) from None
    return ctx, source, Filters(ctx, job.spec.get("filterArn"), source.group_arn)


def answers(records: list[dict[str, Any]], ask: Callable[[dict[str, Any]], tuple[Any, Any]],
            solve: Callable[[list[Any], list[Any]], list[Any]], shape: Callable[[Any], dict[str, Any]]
            ) -> list[dict[str, Any] | str]:
    """Each line's output, or why it has none: ``ask`` turns a line into (its query, its filter) or raises
    LineError (or an AWSError: a filter's values) for that line alone; ``solve`` answers every query of the
    chunk at once; ``shape`` makes an answer the line's ``output``."""
    results: list[dict[str, Any] | str] = []
    queries, keeps, where = [], [], []
    for record in records:
        try:
            query, keep = ask(record)
        except LineError as error:
            results.append(str(error))
            continue
        except AWSError as error:
            results.append(error.message)
            continue
        where.append(len(results))
        results.append("")
        queries.append(query)
        keeps.append(keep)
    if queries:
        for at, found in zip(where, solve(queries, keeps)):
            results[at] = shape(found)
    return results


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


def _relative(source: str, path: str) -> str:
    """An input file's name under the input folder (``s3://b/in/x/a.json`` under ``s3://b/in/``: ``x/a.json``),
    so that two files of the same name in different folders keep apart."""
    key, folder = S3Url.parse(source).key, S3Url.parse(path).key
    return key[folder.rfind("/") + 1:] if key != folder else key.rsplit("/", 1)[-1]


def run(runtime: Runtime, job: Job, answer: Answer, most_lines: int | None = None) -> dict[str, Any]:
    """Answer every input line with ``answer``, then upload one ``.out`` file per input file (the job fails
    when the input has more than ``most_lines`` lines)."""
    spec = job.spec
    destination = spec["jobOutput"]["s3DataDestination"]
    target = output_prefix(destination["path"])
    try:
        runtime.objects.check_bucket(job.scope.account, target.bucket)
    except ObjectError as error:
        raise JobFailed(f"Failed to write to {destination['path']}: {error.code}: {error.message}") from None
    answered = []
    with runtime.artifacts.scratch() as scratch:
        path = spec["jobInput"]["s3DataSource"]["path"]
        with imports.fetch(jobs.runner_context(runtime, job), path, scratch, prefix=True, skip=target) as files:
            if most_lines is not None:
                lines = sum(len(chunk) for _, local in files for chunk in _chunks(local))
                if lines > most_lines:
                    raise JobFailed(f"The input data has {lines} queries; at most {most_lines} are allowed.")
            for n, (source, local) in enumerate(files):
                out = scratch / f"output-{n:05d}.json"
                with open(out, "wb") as written:
                    for chunk in _chunks(local):
                        shown, asked = _records(chunk)
                        answers = iter(answer([record for record in asked if isinstance(record, dict)]))
                        for line, record in zip(shown, asked):
                            result = next(answers) if isinstance(record, dict) else record
                            if isinstance(result, str):
                                written.write(orjson.dumps({"input": line, "output": None, "error": result}))
                            else:
                                written.write(orjson.dumps({"input": line, "output": result, "error": None}))
                            written.write(b"\n")
                answered.append((f"{target.key}{_relative(source, path)}.out", out))
        try:
            for key, out in answered:
                runtime.objects.upload(job.scope.account, target.bucket, key, out, destination.get("kmsKeyArn"))
        except ObjectError as error:
            raise JobFailed(f"Failed to write to {destination['path']}: {error.code}: {error.message}") from None
    return {"files": [f"s3://{target.bucket}/{key}" for key, _ in answered]}


def text_field(record: dict[str, Any], name: str, needed: bool) -> str | None:
    """A line's ``userId`` / ``itemId``: a non-empty string (LineError otherwise; absent is fine unless
    ``needed``)."""
    value = record.get(name)
    if value is None and not needed:
        return None
    if not isinstance(value, str) or not value:
        raise LineError(f"The input line has no {name}, or it is not a non-empty string." if needed else
                        f"{name} must be a non-empty string.")
    return value


class Filters:
    """The job's filter, prepared once per distinct filterValues of its input lines (the latest PREPARED)."""

    def __init__(self, ctx: RequestContext, filter_arn: str | None, group_arn: str):
        self._ctx, self._arn, self._group = ctx, filter_arn, group_arn
        self._prepared: OrderedDict[bytes, filters.Prepared | AWSError | None] = OrderedDict()

    def prepared(self, record: dict[str, Any]) -> filters.Prepared | None:
        """The prepared filter for the line (None without a filter); LineError when its values are wrong."""
        values = record.get("filterValues")
        if values is not None and (not isinstance(values, dict) or len(values) > MAX_FILTER_VALUES or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in values.items())):
            raise LineError(f"filterValues must map at most {MAX_FILTER_VALUES} parameter names to strings of "
                            "quoted values.")
        key = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
        if key not in self._prepared:
            try:
                self._prepared[key] = filters.prepare(self._ctx, self._arn, values or None, self._group)
            except AWSError as error:
                self._prepared[key] = error
            while len(self._prepared) > PREPARED:
                self._prepared.popitem(last=False)
        self._prepared.move_to_end(key)
        found = self._prepared[key]
        if isinstance(found, AWSError):
            raise LineError(found.message)
        return found
