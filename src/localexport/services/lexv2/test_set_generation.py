"""Test set generation from conversation logs: StartTestSetGeneration, DescribeTestSetGeneration.

AWS reads the alias's text conversation logs (CloudWatch) for the time window and makes a test set of them.
No conversation logs are written here (the runtime keeps sessions, not logs), so a generation is a real job
that ends Failed with the reason: the alias has no text logs enabled, or no logged conversation was found.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ...aws.errors import AWSError
from ...core.jobs import JobFailed, JobOutcome
from ...core.runtime import RequestContext, Runtime
from ...core.store import Job
from . import testsets
from .built_locales import bot_and_alias
from .errors import conflict
from .handlers import op

KIND = "lexv2.test_set_generation"
STATUS = {"queued": "Pending", "running": "Generating", "succeeded": "Ready", "failed": "Failed"}
ECHOED = ("testSetName", "description", "storageLocation", "generationDataSource", "roleArn")


def _alias(ctx: RequestContext, source: dict[str, Any]) -> dict[str, Any]:
    return bot_and_alias(ctx, source["botId"], source["botAliasId"])[1]


@op("StartTestSetGeneration")
def start_test_set_generation(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _alias(ctx, params["generationDataSource"]["conversationLogsDataSource"])
    if ctx.store.find(ctx.scope, testsets.TEST_SET.kind, None, params["testSetName"]) is not None:
        raise conflict(f"A test set named {params['testSetName']} already exists.")
    spec = {k: params.get(k) for k in (*ECHOED, "testSetTags")}
    job = ctx.engine.submit(ctx.scope, KIND, ctx.ids.short(), spec)
    return {"testSetGenerationId": job.id, "creationDateTime": job.created_at,
            "testSetGenerationStatus": STATUS["queued"], **spec}


@op("DescribeTestSetGeneration")
def describe_test_set_generation(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = ctx.store.get_job(params["testSetGenerationId"], ctx.scope)
    if job is None or job.kind != KIND:
        raise AWSError("ResourceNotFoundException",
                       f"Test set generation {params['testSetGenerationId']} does not exist.")
    return {"testSetGenerationId": job.id, "testSetGenerationStatus": STATUS[job.state],
            "failureReasons": job.failure or None, "creationDateTime": job.created_at,
            "lastUpdatedDateTime": job.updated_at, **{k: job.spec.get(k) for k in ECHOED},
            **(job.result or {})}


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        scope = job.scope
        ctx = RequestContext(runtime, scope.account, scope.region, scope.service, "StartTestSetGeneration", "")
        source = job.spec["generationDataSource"]["conversationLogsDataSource"]
        try:
            alias = _alias(ctx, source)
        except AWSError as missing:
            raise JobFailed(missing.message) from None
        text_logs = ((alias.get("conversationLogSettings") or {}).get("textLogSettings") or [])
        if source["filter"]["inputMode"] == "Speech":
            raise JobFailed("No speech conversation logs were found: this endpoint records no audio logs.")
        if not any(setting.get("enabled") for setting in text_logs):
            raise JobFailed(f"Text conversation logs are not enabled for bot alias {source['botAliasId']} of bot "
                            f"{source['botId']}; enable them to generate a test set.")
        window = [_iso(source["filter"][k]) for k in ("startTime", "endTime")]
        raise JobFailed(f"No conversation logs of locale {source['localeId']} were found for bot alias "
                        f"{source['botAliasId']} between {window[0]} and {window[1]}.")

    return run


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
