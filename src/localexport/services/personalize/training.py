"""Solution versions, trained as jobs: CreateSolutionVersion, DescribeSolutionVersion, ListSolutionVersions,
StopSolutionVersionCreation, GetSolutionMetrics.

A version is a job of the engine (so the timing modes and failure injection apply), named
``solution/<solution>/<8 hex>`` as AWS names them.  Statuses: CREATE PENDING (queued), CREATE
IN_PROGRESS (running), ACTIVE, CREATE FAILED; a stopped version is CREATE STOPPED (straight from
pending, or through CREATE STOPPING while it trains).  The runner reads the dataset group's
interaction records, checks the minimums (``personalize_min_interactions`` records from at least
``personalize_min_users`` users with 2 or more each: AWS's 1000 and 25 by default), trains the
recipe's model (models.py) and publishes its Parquet files under the account's folder of the
artifact store, where a later process (a campaign's runtime) reads them.  ``trainingHours`` is
the time the training took.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core.artifacts import account_prefix
from ...core.jobs import JobFailed, JobOutcome
from ...core.runtime import JobName, RequestContext, Runtime
from ...core.store import Doc, Job
from . import datasets, jobs, models, recipes, records, schemas
from . import resources as r
from .errors import already_exists, in_use, invalid, not_found
from .handlers import op

KIND = datasets.TRAINING
MEMBERS = ("name", "solutionArn", "performHPO", "performAutoML", "performIncrementalUpdate", "recipeArn",
           "eventType", "datasetGroupArn", "solutionConfig", "trainingMode", "trainingType")
SUMMARY = ("solutionVersionArn", "status", "trainingMode", "trainingType", r.CREATED, r.UPDATED, "failureReason")
STOP = "stopRequested"
STOPPED_REASON = "The solution version creation was stopped."
op.names_jobs(KIND)(lambda job: JobName(job.spec["arn"]))


def of_solution(ctx: RequestContext, solution_arn: str) -> list[Job]:
    """The versions of a solution, newest first (not those being purged with a deleted solution)."""
    found = [j for j in ctx.store.jobs(r.scope(ctx), KIND) if j.spec["solutionArn"] == solution_arn
             and j.state != "deleting"]
    return sorted(found, key=lambda j: (j.created_at, j.id), reverse=True)


def status(job: Job) -> str:
    if job.spec.get(STOP) and job.state != "succeeded":  # (a stop that came as it finished changes nothing)
        return "CREATE STOPPING" if job.state in jobs.ACTIVE_STATES else "CREATE STOPPED"
    return jobs.STATUS[job.state]


def view(job: Job) -> dict[str, Any]:
    out = {m: job.spec.get(m) for m in MEMBERS}
    failed = job.state == "failed" and not job.spec.get(STOP)
    out.update(solutionVersionArn=job.spec["arn"], status=status(job), creationDateTime=job.created_at,
               lastUpdatedDateTime=job.updated_at, failureReason="; ".join(job.failure) if failed else None)
    if job.state == "succeeded":
        out["trainingHours"] = job.result["trainingHours"]
    return out


def latest(ctx: RequestContext, solution_arn: str) -> dict[str, Any] | None:
    versions = of_solution(ctx, solution_arn)
    return _summary(versions[0]) if versions else None


def _summary(job: Job) -> dict[str, Any]:
    body = view(job)
    return {k: body.get(k) for k in SUMMARY}


def load(ctx: RequestContext, arn: str, recommender: bool = False) -> Job:
    """A solution version (or with ``recommender``, a recommender's training, which no solution shows)."""
    job = ctx.store.get_job(jobs.job_id(ctx, arn), r.scope(ctx))
    if job is None or job.kind != KIND or job.state == "deleting" or bool(job.spec.get("recommenderArn")) != recommender:
        raise not_found(arn)
    return job


def load_active(ctx: RequestContext, arn: str, recommender: bool = False) -> Job:
    job = load(ctx, arn, recommender)
    if job.state != "succeeded":
        raise in_use(f"The solution version {arn} is {status(job)}; it must be ACTIVE.")
    return job


def model_files(runtime: Runtime, job: Job) -> dict[str, Path]:
    """The Parquet files of a trained version's model (models.TABLES, and models.CONTEXT where it has one)."""
    return {name: runtime.artifacts.path(key) for name, key in job.result["model"].items()}


@op("CreateSolutionVersion")
def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    solution = r.load_active(ctx, r.SOLUTION, params["solutionArn"])
    recipe = recipes.find(solution.body["recipeArn"])
    mode = params.get("trainingMode") or "FULL"
    versions = of_solution(ctx, params["solutionArn"])
    if mode == "AUTOTRAIN":
        raise invalid("trainingMode AUTOTRAIN is reserved for versions that automatic training creates.")
    if mode == "UPDATE":
        if not recipe.updatable:
            raise invalid(f"trainingMode UPDATE is only for solutions of the User-Personalization recipe; this "
                          f"solution uses {recipe.name}.")
        if not any(j.state == "succeeded" and j.spec["trainingMode"] == "FULL" for j in versions):
            raise invalid("trainingMode UPDATE needs an ACTIVE solution version of this solution trained with "
                          "trainingMode FULL.")
    busy = [j.spec["arn"] for j in versions if j.state in jobs.ACTIVE_STATES]
    if busy:
        raise in_use(f"Solution {params['solutionArn']} already has a solution version being created: {busy[0]}.")
    group = solution.body["datasetGroupArn"]
    check_datasets(ctx, group, recipe)
    if params.get("name"):
        same = [j for j in versions if j.spec.get("name") == params["name"]]
        if same:
            raise already_exists(same[0].spec["arn"])
    arn = f"{params['solutionArn']}/{ctx.ids.uuid().replace('-', '')[:8]}"
    body = solution.body
    spec = {
        "name": params.get("name"), "solutionArn": params["solutionArn"], "datasetGroupArn": group,
        "recipeArn": body["recipeArn"], "performHPO": body.get("performHPO", False), "performAutoML": False,
        "performIncrementalUpdate": body.get("performIncrementalUpdate", False), "eventType": body.get("eventType"),
        "solutionConfig": body.get("solutionConfig") or {}, "trainingMode": mode, "trainingType": "MANUAL",
        "tags": params.get("tags"),
    }
    submit(ctx, arn, spec)
    return {"solutionVersionArn": arn}


def check_datasets(ctx: RequestContext, group: str, recipe: recipes.Recipe) -> None:
    """The group has the ACTIVE datasets the recipe trains on (InvalidInput, ResourceInUse)."""
    for kind in recipe.needs:
        dataset = datasets.of_group(ctx, group, kind)
        if dataset is None:
            raise invalid(f"The dataset group {group} has no {kind} dataset; the {recipe.name} recipe needs one.")
        if r.view(ctx, dataset)["status"] != r.ACTIVE:
            raise in_use(f"The dataset {dataset.body['datasetArn']} is {r.view(ctx, dataset)['status']}; it must "
                         "be ACTIVE.")


def submit(ctx: RequestContext, arn: str, spec: dict[str, Any]) -> None:
    """Train a model (a solution version, or a recommender's) as a job named ``arn``."""
    ctx.engine.submit(r.scope(ctx), KIND, jobs.job_id(ctx, arn), {**spec, "arn": arn})


@op("DescribeSolutionVersion")
def describe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"solutionVersion": view(load(ctx, params["solutionVersionArn"]))}


@op("ListSolutionVersions")
def list_versions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    solution = params.get("solutionArn")
    if solution:
        r.load(ctx, r.SOLUTION, solution)
        found = of_solution(ctx, solution)
    else:
        found = sorted((j for j in ctx.store.jobs(r.scope(ctx), KIND)
                        if j.state != "deleting" and not j.spec.get("recommenderArn")),
                       key=lambda j: (j.created_at, j.id), reverse=True)
    chunk, token = r.page_of([_summary(j) for j in found], params, [KIND, solution])
    return {"solutionVersions": chunk, "nextToken": token}


@op("StopSolutionVersionCreation")
def stop(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = load(ctx, params["solutionVersionArn"])
    if job.state not in jobs.ACTIVE_STATES or job.spec.get(STOP):
        raise in_use(f"The solution version {params['solutionVersionArn']} is {status(job)}: only a version in "
                     "CREATE PENDING or CREATE IN_PROGRESS can be stopped.")
    ctx.store.update_job(job.id, spec={**job.spec, STOP: True})
    # pending: stopped at once; training: the runner stops at its next step (CREATE STOPPING until then)
    ctx.store.update_job(job.id, only_from=("queued",), state="failed", failure=[STOPPED_REASON],
                                updated_at=ctx.clock.now())
    return {}


@op("GetSolutionMetrics")
def metrics(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = load_active(ctx, params["solutionVersionArn"])
    return {"solutionVersionArn": job.spec["arn"], "metrics": job.result["metrics"]}


# -- the runner ------------------------------------------------------------------------------


def _check_stop(runtime: Runtime, job: Job) -> None:
    current = runtime.store.get_job(job.id)
    if current is None or current.spec.get(STOP):
        raise JobFailed(STOPPED_REASON)


@dataclass(frozen=True)
class Learns:
    """What a recipe trains on: the events dataset, the catalogue dataset and its id (Next-Best-Action: the
    actions users took, of the Actions dataset; every other recipe: item interactions, of the Items dataset)."""

    events: str
    catalogue: str
    id_field: str


ITEMS = Learns("Interactions", "Items", "ITEM_ID")
ACTIONS = Learns("Action_Interactions", "Actions", "ACTION_ID")
TAKEN = "TAKEN"  # the action interactions Next-Best-Action learns from (NOT_TAKEN and VIEWED teach nothing here)


def _events(ctx: RequestContext, con, spec: dict[str, Any], dataset: Doc, scratch: Path,
            learns: Learns) -> tuple[str, list[schemas.Field]]:
    """Table ``events``: the records the model learns from; and the query and fields of all of them."""
    query, fields = datasets.records_query(ctx, dataset, con, scratch)
    names = {f.name for f in fields}
    where = [f"upper(EVENT_TYPE) = '{TAKEN}'"] if learns is ACTIONS else []
    if spec.get("eventType"):
        if "EVENT_TYPE" not in names:
            raise JobFailed(f"The solution trains on eventType {spec['eventType']}, but the {learns.events} "
                            "dataset has no EVENT_TYPE field.")
        where.append("EVENT_TYPE = ?")
    threshold = spec["solutionConfig"].get("eventValueThreshold")
    if threshold is not None:
        if "EVENT_VALUE" not in names:
            raise JobFailed(f"The solution has an eventValueThreshold, but the {learns.events} dataset has no "
                            "EVENT_VALUE field.")
        where.append(f"EVENT_VALUE >= {float(threshold)!r}")
    con.execute(f"""CREATE TEMP TABLE events AS SELECT USER_ID::VARCHAR AS USER_ID,
        {learns.id_field}::VARCHAR AS ITEM_ID, TIMESTAMP::BIGINT AS TIMESTAMP FROM ({query})
        {'WHERE ' + ' AND '.join(where) if where else ''}""", [spec["eventType"]] if spec.get("eventType") else [])
    return query, fields


def _contextual(fields: list[schemas.Field]) -> list[str]:
    """The interactions' contextual metadata: their categorical metadata fields (DEVICE, LOCATION...)."""
    kind = schemas.dataset_type("Interactions")
    return [f.name for f in fields if f.categorical and f.name not in kind.required and f.name not in kind.reserved]


def _catalogue(ctx: RequestContext, con, dataset: Doc | None, scratch: Path, learns: Learns) -> dict[str, Any]:
    """Table ``catalogue``: what the model may recommend.  Items without interactions belong to it (cold items).
    Actions: only those of the Actions dataset ("from the actions you import into your Actions dataset"); one
    already expired is left out with its events, and the catalogue (the ids, with the expiration time of those
    that have one) is returned, so that answers leave out what expires later and add the actions nobody took
    ("before you import action interactions, Amazon Personalize recommends actions without personalization",
    score 0)."""
    if dataset is None:
        con.execute("CREATE TEMP TABLE catalogue AS SELECT DISTINCT ITEM_ID FROM events")
        return {}
    query, fields = datasets.records_query(ctx, dataset, con, scratch)
    if learns is not ACTIONS:
        con.execute(f"CREATE TEMP TABLE catalogue AS SELECT ITEM_ID FROM events UNION "
                    f"SELECT ITEM_ID::VARCHAR FROM ({query})")
        return {}
    expires = "EXPIRATION_TIMESTAMP" if "EXPIRATION_TIMESTAMP" in {f.name for f in fields} else "NULL"
    now = int(ctx.clock.now())
    con.execute(f"""CREATE TEMP TABLE catalogue AS SELECT ACTION_ID::VARCHAR AS ITEM_ID, {expires}::BIGINT AS expires
        FROM ({query}) WHERE {expires} IS NULL OR {expires} > {now}""")
    con.execute("DELETE FROM events WHERE ITEM_ID NOT IN (SELECT ITEM_ID FROM catalogue)")
    rows = con.execute("SELECT ITEM_ID, expires FROM catalogue ORDER BY ITEM_ID").fetchall()
    return {"actions": [[action, expiry] for action, expiry in rows]}


def _counts(con) -> dict[str, int]:
    count, active, items = con.execute("""SELECT (SELECT count(*) FROM events),
        (SELECT count(*) FROM (SELECT USER_ID FROM events GROUP BY USER_ID HAVING count(*) >= 2)),
        (SELECT count(DISTINCT ITEM_ID) FROM events)""").fetchone()
    return {"interactions": count, "users": active, "items": items}


def _check_minimums(runtime: Runtime, con) -> dict[str, int]:
    least = runtime.options.get("personalize_min_interactions", 1000)
    users = runtime.options.get("personalize_min_users", 25)
    counts = _counts(con)
    count, active = counts["interactions"], counts["users"]
    if count < least or active < users:
        raise JobFailed(f"Not enough interactions to train: at least {least} interactions from at least {users} "
                        f"users with 2 or more interactions each are required; the dataset group has {count} "
                        f"interactions and {active} such users.")
    return counts


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        started = time.monotonic()
        ctx = jobs.runner_context(runtime, job)
        spec = job.spec
        _check_stop(runtime, job)
        recipe = recipes.find(spec["recipeArn"])
        half_life = recipes.trend_half_life(spec["solutionConfig"]) if recipe.model == "trending" else 1.0
        learns = ACTIONS if recipe.model == "actions" else ITEMS
        interactions = datasets.of_group(ctx, spec["datasetGroupArn"], learns.events)
        if interactions is None:
            raise JobFailed(f"The dataset group {spec['datasetGroupArn']} no longer has an {learns.events} dataset.")
        items = datasets.of_group(ctx, spec["datasetGroupArn"], learns.catalogue)
        with runtime.artifacts.scratch() as scratch, records.connect(scratch) as con:
            everything, fields = _events(ctx, con, spec, interactions, scratch, learns)
            catalogue = _catalogue(ctx, con, items, scratch, learns)
            # (Next-Best-Action has no minimum: without action interactions it recommends without personalizing)
            counts = _counts(con) if learns is ACTIONS else _check_minimums(runtime, con)
            _check_stop(runtime, job)
            folder = scratch / "model"
            folder.mkdir()
            files, scores = models.train(con, recipe.model, half_life, folder)
            if recipe.model in models.CONTEXTUAL:
                context = models.write_context(con, everything, _contextual(fields), folder / "context.parquet")
                if context is not None:
                    files[models.CONTEXT] = context
            _check_stop(runtime, job)
            prefix = f"{account_prefix(ctx.account)}/personalize/{ctx.region}/models/{job.id}"
            model = {}
            for name, path in files.items():
                model[name] = f"{prefix}/{name}.parquet"
                runtime.artifacts.publish(path, model[name])
        for dataset in (interactions, items):  # files a FULL import retired while this read them
            if dataset is not None:
                datasets.sweep(ctx, dataset.body["datasetArn"], running=job.id)
        hours = round((time.monotonic() - started) / 3600, 6)
        return JobOutcome({"model": model, "artifacts": list(model.values()), "metrics": scores,
                           "trainingHours": hours, **counts, **catalogue})

    return run
