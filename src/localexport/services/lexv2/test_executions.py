"""Test executions of the Lex V2 test workbench: StartTestExecution, DescribeTestExecution,
ListTestExecutions, ListTestExecutionResultItems, GetTestExecutionArtifactsUrl.

A test execution is a core job of kind ``lexv2.test_execution``: its runner plays every conversation of the
test set through the dialog of the target alias's built locale (test_scoring.py) and keeps the turn scores in
the job's result, from which each resultTypeFilter view is computed.  Both API modes run as text: Streaming
and NonStreaming differ only in transport, which a text run does not have.  There is no speech recognition
here, so Audio executions are refused at start.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from ...aws.errors import AWSError
from ...core.archives import write_zip
from ...core.jobs import JobFailed, JobOutcome
from ...core.pagination import InvalidToken, page
from ...core.runtime import RequestContext, Runtime
from ...core.store import Job
from . import code_hooks, test_scoring, testsets
from .built_locales import resolve
from .errors import conflict, validation
from .handlers import op

KIND = "lexv2.test_execution"
STATUS = {"queued": "Pending", "running": "InProgress", "succeeded": "Completed", "failed": "Failed"}
URL_SECONDS = 300  # artifact URLs are valid 5 minutes, as export download URLs
RUNTIME = "lexv2-runtime"  # the scope code hooks are registered in


def _summary(job: Job) -> dict[str, Any]:
    spec = job.spec
    return {"testExecutionId": job.id, "creationDateTime": job.created_at, "lastUpdatedDateTime": job.updated_at,
            "testExecutionStatus": STATUS[job.state], "testSetId": spec["testSetId"],
            "testSetName": spec["testSetName"], "target": spec["target"], "apiMode": spec["apiMode"],
            "testExecutionModality": spec["testExecutionModality"]}


def _load(ctx: RequestContext, test_execution_id: str) -> Job:
    job = ctx.store.get_job(test_execution_id, ctx.scope)
    if job is None or job.kind != KIND:
        raise AWSError("ResourceNotFoundException", f"Test execution {test_execution_id} does not exist.")
    return job


def _paged(items: list, params: dict[str, Any], query: Any) -> tuple[list, str | None]:
    try:
        chunk, token = page(items, params.get("maxResults") or 50, params.get("nextToken"), query)
    except InvalidToken as error:
        raise validation(str(error)) from None
    return list(chunk), token


@op("StartTestExecution")
def start_test_execution(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    target = params["target"].get("botAliasTarget")  # TestExecutionTarget's only member, not required
    if not target:
        raise validation("target.botAliasTarget is required: the bot alias and locale to run the test set on.")
    test_set = testsets.load(ctx, params["testSetId"]).body
    modality = params.get("testExecutionModality") or "Text"
    if modality == "Audio":
        raise validation("Audio test executions are not supported: this endpoint has no speech recognition; "
                         "run the test set with testExecutionModality Text.")
    if test_set.get("status") != "Ready":
        raise conflict(f"Test set {params['testSetId']} is {test_set.get('status')}; a test execution needs a "
                       "Ready test set.")
    resolve(ctx, target["botId"], target["botAliasId"], target["localeId"])  # the errors AWS answers at start
    spec = {"testSetId": params["testSetId"], "testSetName": test_set["testSetName"], "target": params["target"],
            "apiMode": params["apiMode"], "testExecutionModality": modality}
    job = ctx.engine.submit(ctx.scope, KIND, ctx.ids.short(), spec)
    summary = _summary(job)
    return {k: summary[k] for k in ("testExecutionId", "creationDateTime", "testSetId", "target", "apiMode",
                                    "testExecutionModality")}


@op("DescribeTestExecution")
def describe_test_execution(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = _load(ctx, params["testExecutionId"])
    return {**_summary(job), "failureReasons": job.failure or None}


@op("ListTestExecutions")
def list_test_executions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    sort = params.get("sortBy") or {"attribute": "CreationDateTime", "order": "Descending"}
    jobs = list(ctx.store.jobs(ctx.scope, KIND))
    if sort["attribute"] == "TestSetName":
        jobs.sort(key=lambda j: (j.spec["testSetName"].lower(), j.created_at))
    else:
        jobs.sort(key=lambda j: j.created_at)
    if sort["order"] == "Descending":
        jobs.reverse()
    chunk, token = _paged(jobs, params, {"sortBy": sort})
    return {"testExecutions": [_summary(j) for j in chunk], "nextToken": token}


@op("ListTestExecutionResultItems")
def list_test_execution_result_items(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = _load(ctx, params["testExecutionId"])
    if job.state != "succeeded":
        raise validation(f"Test execution {job.id} is {STATUS[job.state]}; its results are listed once it is "
                         "Completed.")
    wanted = params["resultFilterBy"]
    member, view = test_scoring.VIEWS[wanted["resultTypeFilter"]]
    scores = job.result["scores"]
    if member == "conversationLevelTestResults":
        items = view(scores, (wanted.get("conversationLevelTestResultsFilterBy") or {}).get("endToEndResult"))
    else:
        items = view(scores)
    chunk, token = _paged(items, params, {"id": job.id, "filter": wanted})
    return {"testExecutionResults": {member: {"items": chunk}}, "nextToken": token}


@op("GetTestExecutionArtifactsUrl")
def get_test_execution_artifacts_url(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = _load(ctx, params["testExecutionId"])
    if job.state != "succeeded" or not job.artifact:
        raise validation(f"Test execution {job.id} is {STATUS[job.state]}; its artifacts are ready once it is "
                         "Completed.")
    return {"testExecutionId": job.id,
            "downloadArtifactsUrl": ctx.runtime.urls.sign(ctx.base_url, job.artifact, URL_SECONDS)}


# -- the job -------------------------------------------------------------------


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        scope = job.scope
        ctx = RequestContext(runtime, scope.account, scope.region, scope.service, "StartTestExecution", "")
        target = job.spec["target"]["botAliasTarget"]
        if ctx.store.get(ctx.scope, testsets.TEST_SET.kind, job.spec["testSetId"]) is None:
            raise JobFailed(f"Test set {job.spec['testSetId']} was deleted before the test execution ran.")
        hook_ctx = ctx.as_service(RUNTIME)
        try:
            hook = code_hooks.find(hook_ctx, target["botId"], target["botAliasId"], target["localeId"])
            built = resolve(ctx, target["botId"], target["botAliasId"], target["localeId"], hook)
        except AWSError as missing:  # deleted or unbuilt since StartTestExecution
            raise JobFailed(missing.message) from None
        now = datetime.fromtimestamp(runtime.clock.now(), UTC)
        scores: list[dict[str, Any]] = []
        for number, group in enumerate(test_scoring.conversations(testsets.records_of(ctx, job.spec["testSetId"]))):
            scores += test_scoring.play(built.locale, group, now, f"{job.id}-{number}")
        key = f"lexv2/{scope.account}/{scope.region}/testexecutions/{job.id}/{job.id}-results.zip"
        with runtime.artifacts.writer(key) as out:
            write_zip(out, [("TestExecutionResults.csv", results_csv(scores))], when=runtime.clock.now())
        return JobOutcome({"scores": scores, "artifacts": [key]}, key)

    return run


RESULT_COLUMNS = ("Line #", "Conversation #", "Source", "Input", "Expected Output Intent", "Actual Output Intent",
                  "Expected Output Slots", "Actual Output Slots", "Intent Match Result", "Slot Match Result",
                  "End-to-end Result", "Error")


def _slots_cell(intent: dict[str, Any]) -> str:
    return "; ".join(f"{name} = {slot.get('value', '')}" for name, slot in (intent.get("slots") or {}).items())


def results_csv(scores: list[dict[str, Any]]) -> bytes:
    """The artifact: one row per turn, the test set's columns followed by the actual output and results."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for score in scores:
        item = score["item"]
        where = [item["recordNumber"], item.get("conversationId", "")]
        agent = item["turnResult"].get("agent")
        if agent is not None:
            writer.writerow([*where, "Agent", agent["expectedAgentPrompt"], "", agent.get("actualIntent", ""),
                             "", "", "", "", "", ""])
            continue
        user = item["turnResult"]["user"]
        expected, actual = user["expectedOutput"]["intent"], (user.get("actualOutput") or {}).get("intent") or {}
        writer.writerow([*where, "User", user["input"]["utteranceInput"].get("textInput", ""), expected["name"],
                         actual.get("name", ""), _slots_cell(expected), _slots_cell(actual),
                         user["intentMatchResult"], user["slotMatchResult"], user["endToEndResult"],
                         (user.get("errorDetails") or {}).get("errorMessage", "")])
    return out.getvalue().encode()
