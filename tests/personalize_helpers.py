"""Building Personalize datasets for the tests, and reading back what an export wrote."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"
TRAVEL = Path("personalize/aws-samples__amazon-personalize-immersion-day/TravelGenAI")
MOVIES = Path("personalize/aws-samples__amazon-personalize-samples/next_steps/operations/ml_ops/example")

INTERACTIONS = {"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
                "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                           {"name": "EVENT_TYPE", "type": "string"}, {"name": "EVENT_VALUE", "type": ["null", "float"]},
                           {"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}
ITEMS = {"type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
         "fields": [{"name": "ITEM_ID", "type": "string"}, {"name": "GENRES", "type": ["null", "string"],
                                                           "categorical": True},
                    {"name": "PRICE", "type": "float"}], "version": "1.0"}


def travel_schemas(fixtures: Path) -> dict[str, dict]:
    params = json.loads((fixtures / TRAVEL / "params.json").read_text())
    return {name: spec["schema"]["serviceConfig"]["schema"] for name, spec in params["datasets"].items()}


def dataset(p, group_arn: str, kind: str, schema: dict, name: str | None = None) -> str:
    name = name or f"{kind.lower()}-data"
    schema_arn = p.create_schema(name=f"{name}-schema", schema=json.dumps(schema))["schemaArn"]
    return p.create_dataset(name=name, schemaArn=schema_arn, datasetGroupArn=group_arn, datasetType=kind)["datasetArn"]


def put_csv(s3, bucket: str, key: str, rows: list[list]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    s3.put_object(Bucket=bucket, Key=key, Body=out.getvalue().encode())
    return f"s3://{bucket}/{key}"


def import_job(p, dataset_arn: str, location: str, name: str, mode: str = "FULL") -> dict:
    arn = p.create_dataset_import_job(jobName=name, datasetArn=dataset_arn, dataSource={"dataLocation": location},
                                      roleArn=ROLE, importMode=mode)["datasetImportJobArn"]
    return p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]


def export_job(p, dataset_arn: str, bucket: str, name: str, mode: str | None, path: str = "exports/") -> dict:
    extra = {"ingestionMode": mode} if mode else {}
    arn = p.create_dataset_export_job(jobName=name, datasetArn=dataset_arn, roleArn=ROLE,
                                      jobOutput={"s3DataDestination": {"path": f"s3://{bucket}/{path}"}},
                                      **extra)["datasetExportJobArn"]
    return p.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"]


def exported(s3, bucket: str, prefix: str) -> tuple[list[str], list[dict]]:
    """(file keys, header and rows of every CSV file) under ``prefix``."""
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    headers, rows = set(), []
    for key in keys:
        reader = csv.DictReader(io.StringIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()))
        rows.extend(reader)
        headers.add(tuple(reader.fieldnames))
    assert len(headers) <= 1, headers
    return keys, rows


def canonical(rows, schema: dict) -> list[tuple]:
    """Rows as comparable tuples: numbers as numbers, empty cells as None, in schema order."""
    types = {f["name"]: f["type"] for f in schema["fields"]}

    def value(name, text):
        if text in ("", None):
            return None
        kinds = types[name] if isinstance(types[name], list) else [types[name]]
        if {"float", "double"} & set(kinds):
            return float(text)
        if {"int", "long"} & set(kinds):
            return int(float(text))
        return text

    names = [f["name"] for f in schema["fields"]]
    return sorted((tuple(value(n, row.get(n)) for n in names) for row in rows), key=repr)


# -- training on small hand-made histories --------------------------------------------------

BUCKET = "training-data"
RECIPE = "arn:aws:personalize:::recipe/"
HOUR = 3600
# Who interacted with what (in this order, an hour apart): A is the most popular item, B shares most users with A.
HISTORIES = {"u1": "ABC", "u2": "AB", "u3": "ABD", "u4": "AC", "u5": "ADE", "u6": "BC"}


def rows_of(histories: dict[str, str], start: int = 1_700_000_000) -> list[list]:
    """Interaction rows (with a header): each user's items one hour apart, users ten hours apart."""
    rows = [["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"]]
    for n, (user, items) in enumerate(histories.items()):
        rows += [[user, item, "click", str(start + (10 * n + i) * HOUR)] for i, item in enumerate(items)]
    return rows


def group_of(p, s3, name: str = "shop", histories: dict[str, str] = HISTORIES, rows: list[list] | None = None) -> str:
    """A dataset group whose Interactions dataset holds ``histories`` (or ``rows``), imported from ``BUCKET``."""
    group = p.create_dataset_group(name=name)["datasetGroupArn"]
    interactions = dataset(p, group, "Interactions", INTERACTIONS, name=f"{name}-interactions")
    location = put_csv(s3, BUCKET, f"{name}/interactions.csv", rows or rows_of(histories))
    assert import_job(p, interactions, location, f"{name}-import")["status"] == "ACTIVE"
    return group


def solution_of(p, group: str, recipe: str = "aws-user-personalization", name: str = "sol", **extra) -> str:
    return p.create_solution(name=name, datasetGroupArn=group, recipeArn=RECIPE + recipe, **extra)["solutionArn"]


def trained(p, group: str, recipe: str, name: str = "sol", **extra) -> tuple[str, dict]:
    """An ACTIVE solution version of a new solution of ``recipe`` (immediate timing), and its description."""
    version = p.create_solution_version(solutionArn=solution_of(p, group, recipe, name, **extra))["solutionVersionArn"]
    described = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert described["status"] == "ACTIVE", described.get("failureReason")
    return version, described


def campaign_of(p, version: str, name: str = "camp") -> str:
    return p.create_campaign(name=name, solutionVersionArn=version)["campaignArn"]
