"""Personalize through boto3: recipes, solutions, solution versions trained on imported records, and campaigns."""

from __future__ import annotations

import time

import duckdb
import pytest
from personalize_helpers import BUCKET, ITEMS, RECIPE, dataset, import_job, put_csv
from personalize_helpers import group_of as _group
from personalize_helpers import rows_of as _rows
from personalize_helpers import solution_of as _solution
from personalize_helpers import trained as _trained
from postgres import on_both_backends
from test_wire import error_of

from localexport.config import Settings
from localexport.core.jobs import scoped_job_id
from localexport.core.store import Scope
from localexport.services.personalize import models

ACCOUNT, REGION = "123456789012", "us-east-1"


def _model(local, version: str) -> dict:
    job = local.runtime.store.get_job(scoped_job_id(Scope(ACCOUNT, REGION, "personalize"), version))
    return {name: local.runtime.artifacts.path(key) for name, key in job.result["model"].items()}


def _table(files: dict, name: str) -> list[tuple]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{files[name]}')").fetchall()


# -- recipes -----------------------------------------------------------------------------


def test_recipes_listed_and_described_with_their_real_arns(p):
    listed = p.list_recipes(recipeProvider="SERVICE")["recipes"]
    names = {r["name"] for r in listed}
    assert {"aws-user-personalization", "aws-user-personalization-v2", "aws-similar-items", "aws-sims",
            "aws-popularity-count", "aws-trending-now", "aws-personalized-ranking",
            "aws-personalized-ranking-v2"} <= names
    popularity = p.describe_recipe(recipeArn=RECIPE + "aws-popularity-count")["recipe"]
    assert popularity["algorithmArn"] == "arn:aws:personalize:::algorithm/aws-popularity-count"
    assert popularity["featureTransformationArn"] == "arn:aws:personalize:::feature-transformation/sims"
    assert popularity["recipeType"] == "USER_PERSONALIZATION" and popularity["status"] == "ACTIVE"
    sims = p.describe_recipe(recipeArn=RECIPE + "aws-sims")["recipe"]
    assert sims["recipeType"] == "RELATED_ITEMS" and sims["algorithmArn"].endswith("algorithm/aws-sims")
    trending = p.describe_recipe(recipeArn=RECIPE + "aws-trending-now")["recipe"]
    assert trending["algorithmArn"] == "arn:aws:personalize:::algorithm/aws-trending-now-custom"
    ranking = p.describe_recipe(recipeArn=RECIPE + "aws-personalized-ranking")["recipe"]
    assert ranking["recipeType"] == "PERSONALIZED_RANKING"
    assert ranking["featureTransformationArn"].endswith("feature-transformation/JSON-percentile-filtering")

    ecommerce = p.list_recipes(domain="ECOMMERCE")["recipes"]
    assert ecommerce and all(r["domain"] == "ECOMMERCE" for r in ecommerce)
    assert "aws-ecomm-recommended-for-you" in {r["name"] for r in ecommerce}
    first = p.list_recipes(maxResults=3)
    second = p.list_recipes(maxResults=3, nextToken=first["nextToken"])
    assert len(first["recipes"]) == 3
    assert not {r["name"] for r in first["recipes"]} & {r["name"] for r in second["recipes"]}
    assert error_of(p.list_recipes, nextToken="bogus")[0] == "InvalidNextTokenException"
    code, _, message = error_of(p.describe_recipe, recipeArn=RECIPE + "aws-no-such-recipe")
    assert (code, message) == ("ResourceNotFoundException", f"Resource Arn {RECIPE}aws-no-such-recipe does not exist.")
    assert error_of(p.list_recipes, domain="GAMES")[0] == "InvalidInputException"


# -- solutions ---------------------------------------------------------------------------


def test_solution_crud_and_errors_that_change_nothing(p, s3):
    group = _group(p, s3)
    arn = _solution(p, group, "aws-similar-items", solutionConfig={"eventValueThreshold": "0.5"})
    assert arn == f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/sol"
    solution = p.describe_solution(solutionArn=arn)["solution"]
    assert solution["status"] == "ACTIVE" and solution["recipeArn"] == RECIPE + "aws-similar-items"
    assert solution["datasetGroupArn"] == group and solution["performAutoTraining"] is True
    assert solution["solutionConfig"] == {"eventValueThreshold": "0.5"} and "latestSolutionVersion" not in solution

    missing_group = group.replace("dataset-group/shop", "dataset-group/none")
    refused = [
        ({"name": "sol", "datasetGroupArn": group, "recipeArn": RECIPE + "aws-sims"}, "ResourceAlreadyExistsException",
         f"Another resource with Arn {arn} already exists."),
        ({"name": "x", "datasetGroupArn": missing_group, "recipeArn": RECIPE + "aws-sims"},
         "ResourceNotFoundException", f"Resource Arn {missing_group} does not exist."),
        ({"name": "x", "datasetGroupArn": group, "recipeArn": RECIPE + "aws-nothing"}, "ResourceNotFoundException",
         f"Resource Arn {RECIPE}aws-nothing does not exist."),
        ({"name": "x", "datasetGroupArn": group, "recipeArn": RECIPE + "aws-ecomm-recommended-for-you"},
         "InvalidInputException", None),
        ({"name": "x", "datasetGroupArn": group}, "InvalidInputException", None),
        ({"name": "x", "datasetGroupArn": group, "recipeArn": RECIPE + "aws-trending-now",
          "solutionConfig": {"featureTransformationParameters": {"trend_discovery_frequency": "2 days"}}},
         "InvalidInputException", None),
        ({"name": "bad name!", "datasetGroupArn": group, "recipeArn": RECIPE + "aws-sims"}, "InvalidInputException",
         None),
    ]
    for params, code, message in refused:
        got = error_of(p.create_solution, **params)
        assert got[0] == code, (params, got)
        assert message is None or got[2] == message
    assert [s["solutionArn"] for s in p.list_solutions()["solutions"]] == [arn]

    other = p.create_dataset_group(name="other")["datasetGroupArn"]
    second = _solution(p, other, "aws-popularity-count", name="sol2")
    assert [s["solutionArn"] for s in p.list_solutions(datasetGroupArn=other)["solutions"]] == [second]
    assert p.list_solutions(datasetGroupArn=missing_group)["solutions"] == []
    page = p.list_solutions(maxResults=1)
    assert len(page["solutions"]) == 1 and page["nextToken"]
    assert error_of(p.delete_dataset_group, datasetGroupArn=other)[0] == "ResourceInUseException"

    assert p.update_solution(solutionArn=arn, performAutoTraining=False,
                             solutionUpdateConfig={"autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}})
    updated = p.describe_solution(solutionArn=arn)["solution"]
    assert updated["performAutoTraining"] is False
    assert updated["latestSolutionUpdate"]["status"] == "ACTIVE"
    assert updated["solutionConfig"]["autoTrainingConfig"] == {"schedulingExpression": "rate(3 days)"}
    assert error_of(p.update_solution, solutionArn=arn + "x")[0] == "ResourceNotFoundException"

    p.delete_solution(solutionArn=second)
    assert error_of(p.describe_solution, solutionArn=second) == (
        "ResourceNotFoundException", 400, f"Resource Arn {second} does not exist.")
    p.delete_dataset_group(datasetGroupArn=other)


# -- solution versions -------------------------------------------------------------------


def test_popularity_trains_and_ranks_the_most_popular_item_first(p, s3, local):
    group = _group(p, s3)
    items = dataset(p, group, "Items", ITEMS)
    catalogue = [["ITEM_ID", "GENRES", "PRICE"]] + [[item, "toys", "1.5"] for item in "ABCDEXY"]  # X, Y: cold
    assert import_job(p, items, put_csv(s3, BUCKET, "items.csv", catalogue), "items")["status"] == "ACTIVE"
    version, described = _trained(p, group, "aws-popularity-count")
    assert version.startswith(f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/sol/")
    assert len(version.split("/")[-1]) == 8
    assert described["trainingMode"] == "FULL" and described["trainingType"] == "MANUAL"
    assert described["recipeArn"] == RECIPE + "aws-popularity-count" and described["trainingHours"] >= 0
    popularity = dict(_table(_model(local, version), "popularity"))
    assert max(popularity, key=popularity.get) == "A"
    assert popularity["A"] == pytest.approx(5 / 15) and sum(popularity.values()) == pytest.approx(1)  # distinct users
    latest = p.describe_solution(solutionArn=described["solutionArn"])["solution"]["latestSolutionVersion"]
    assert latest["solutionVersionArn"] == version and latest["status"] == "ACTIVE"
    metrics = p.get_solution_metrics(solutionVersionArn=version)
    assert metrics["solutionVersionArn"] == version
    assert set(metrics["metrics"]) == {
        "coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_5",
        "normalized_discounted_cumulative_gain_at_10", "normalized_discounted_cumulative_gain_at_25", "precision_at_5",
        "precision_at_10", "precision_at_25"}
    assert all(0 <= v <= 1 for v in metrics["metrics"].values())
    # each user's latest interaction is held out: A, B and D remain to recommend, of a catalogue of 7
    assert metrics["metrics"]["coverage"] == round(3 / 7, 4)


def test_similar_items_share_co_occurrence(p, s3, local):
    version, _ = _trained(p, _group(p, s3), "aws-similar-items")
    similar = _table(_model(local, version), "similar")
    of_a = sorted(((score, other) for item, other, score in similar if item == "A"), reverse=True)
    assert of_a[0][1] == "B" and of_a[0][0] == pytest.approx(3 / (5 * 4) ** 0.5)  # 3 users of both, cosine
    assert all(0 <= score <= 1 for *_, score in similar)
    assert ("E", "C") not in {(item, other) for item, other, _ in similar}  # never in one history
    metrics = p.get_solution_metrics(solutionVersionArn=version)["metrics"]
    assert all(0 <= v <= 1 for v in metrics.values())


@on_both_backends
def test_user_personalization_scores_from_history_with_a_popularity_fallback(p, s3, local):
    version, _ = _trained(p, _group(p, s3), "aws-user-personalization")
    files = _model(local, version)
    con = duckdb.connect()
    scored = models.user_scores(con, files, "u2")  # history A, B
    assert scored[0][0] in ("C", "D") and {item for item, _ in scored} == {"C", "D", "E"}
    assert all(0 <= s <= 1 for _, s in scored) and sum(s for _, s in scored) <= 1 + 1e-6
    cold = models.user_scores(con, files, "nobody")  # no history: the popular items
    assert [item for item, _ in cold][:2] == ["A", "B"] and sum(s for _, s in cold) == pytest.approx(1, abs=1e-5)
    ranked = models.user_scores(con, files, "u4", items=["E", "B", "unknown"])
    assert ranked[0][0] == "B" and ranked[-1] == ("unknown", 0.0)
    assert all(0 <= v <= 1 for v in p.get_solution_metrics(solutionVersionArn=version)["metrics"].values())

    update = p.create_solution_version(solutionArn=version.rsplit("/", 1)[0], trainingMode="UPDATE")
    assert p.describe_solution_version(solutionVersionArn=update["solutionVersionArn"])["solutionVersion"][
        "trainingMode"] == "UPDATE"


def test_trending_now_weights_recent_interactions(p, s3, local):
    old = {f"o{n}": "AC" for n in range(6)}
    rows = _rows(old, start=1_600_000_000) + _rows({"r1": "AZ", "r2": "BZ", "r3": "CZ"}, start=1_700_000_000)[1:]
    group = _group(p, s3, rows=rows)
    trending, _ = _trained(p, group, "aws-trending-now", name="trend",
                           solutionConfig={"featureTransformationParameters": {"trend_discovery_frequency": "1 hour"}})
    popular, _ = _trained(p, group, "aws-popularity-count", name="pop")
    assert max(dict(_table(_model(local, trending), "popularity")).items(), key=lambda kv: kv[1])[0] == "Z"
    assert max(dict(_table(_model(local, popular), "popularity")).items(), key=lambda kv: kv[1])[0] == "A"


def test_training_needs_the_documented_minimums(p, s3, local):
    group = _group(p, s3)
    local.runtime.options.update(personalize_min_interactions=1000, personalize_min_users=25)
    solution = _solution(p, group, "aws-sims")
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    failed = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert failed["status"] == "CREATE FAILED" and "trainingHours" not in failed
    assert failed["failureReason"] == (
        "Not enough interactions to train: at least 1000 interactions from at least 25 users with 2 or more "
        "interactions each are required; the dataset group has 15 interactions and 6 such users.")
    assert error_of(p.get_solution_metrics, solutionVersionArn=version)[0] == "ResourceInUseException"
    assert Settings(personalize_min_interactions=7).runtime_options()["personalize_min_interactions"] == 7


def test_solution_version_errors_change_nothing(p, s3):
    group = _group(p, s3)
    popularity = _solution(p, group, "aws-popularity-count")
    personalization = _solution(p, group, "aws-user-personalization", name="up")
    empty = p.create_dataset_group(name="empty")["datasetGroupArn"]
    no_data = _solution(p, empty, "aws-sims", name="nodata")
    refused = [
        ({"solutionArn": popularity, "trainingMode": "UPDATE"}, "InvalidInputException"),  # not User-Personalization
        ({"solutionArn": personalization, "trainingMode": "UPDATE"}, "InvalidInputException"),  # no FULL version yet
        ({"solutionArn": no_data}, "InvalidInputException"),  # no Interactions dataset
        ({"solutionArn": popularity + "-gone"}, "ResourceNotFoundException"),
        ({"solutionArn": popularity, "trainingMode": "HALF"}, "InvalidInputException"),
    ]
    for params, code in refused:
        assert error_of(p.create_solution_version, **params)[0] == code, params
    assert p.list_solution_versions()["solutionVersions"] == []
    missing = popularity + "/00000000"
    assert error_of(p.describe_solution_version, solutionVersionArn=missing) == (
        "ResourceNotFoundException", 400, f"Resource Arn {missing} does not exist.")
    assert error_of(p.list_solution_versions, solutionArn=popularity + "-gone")[0] == "ResourceNotFoundException"
    assert error_of(p.stop_solution_version_creation, solutionVersionArn=missing)[0] == "ResourceNotFoundException"

    named = p.create_solution_version(solutionArn=popularity, name="v1")["solutionVersionArn"]
    code, _, message = error_of(p.create_solution_version, solutionArn=popularity, name="v1")
    assert (code, message) == ("ResourceAlreadyExistsException", f"Another resource with Arn {named} already exists.")
    assert error_of(p.stop_solution_version_creation, solutionVersionArn=named)[0] == "ResourceInUseException"


@on_both_backends
def test_solution_version_states_in_manual_mode_and_stopping(p, s3, local):
    group = _group(p, s3)
    solution = _solution(p, group, "aws-popularity-count")
    local.controls.set_timing("manual", None)
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]

    def state(arn):
        return p.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]

    assert state(version)["status"] == "CREATE PENDING"
    assert error_of(p.create_solution_version, solutionArn=solution)[0] == "ResourceInUseException"
    assert error_of(p.get_solution_metrics, solutionVersionArn=version)[0] == "ResourceInUseException"
    assert error_of(p.delete_solution, solutionArn=solution)[0] == "ResourceInUseException"
    interactions = p.list_datasets(datasetGroupArn=group)["datasets"][0]["datasetArn"]
    assert error_of(p.delete_dataset, datasetArn=interactions)[0] == "ResourceInUseException"  # being read
    assert p.list_solution_versions(solutionArn=solution)["solutionVersions"][0]["status"] == "CREATE PENDING"
    job_id = scoped_job_id(Scope(ACCOUNT, REGION, "personalize"), version)
    local.controls.advance(job_id)
    assert state(version)["status"] == "ACTIVE"

    stopped = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    p.stop_solution_version_creation(solutionVersionArn=stopped)
    described = state(stopped)
    assert described["status"] == "CREATE STOPPED" and "failureReason" not in described
    local.controls.advance(scoped_job_id(Scope(ACCOUNT, REGION, "personalize"), stopped))
    assert state(stopped)["status"] == "CREATE STOPPED"
    listed = p.list_solution_versions(solutionArn=solution)["solutionVersions"]
    assert [v["solutionVersionArn"] for v in listed] == [stopped, version]
    first = p.list_solution_versions(solutionArn=solution, maxResults=1)
    rest = p.list_solution_versions(solutionArn=solution, maxResults=1, nextToken=first["nextToken"])
    assert [v["solutionVersionArn"] for v in first["solutionVersions"] + rest["solutionVersions"]] == [stopped, version]
    assert error_of(p.list_solution_versions, nextToken=first["nextToken"])[0] == "InvalidNextTokenException"
    assert p.describe_solution(solutionArn=solution)["solution"]["latestSolutionVersion"]["status"] == "CREATE STOPPED"

    local.controls.set_timing("immediate", None)
    p.delete_solution(solutionArn=solution)
    assert error_of(p.describe_solution_version, solutionVersionArn=version)[0] == "ResourceNotFoundException"


def test_a_training_version_stops_through_create_stopping(p, s3, local):
    from localexport.services.personalize import training

    solution = _solution(p, _group(p, s3), "aws-popularity-count")
    local.controls.set_timing("manual", None)
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    job_id = scoped_job_id(Scope(ACCOUNT, REGION, "personalize"), version)
    runner = local.runtime.engine._runners[training.KIND]

    def stop_midway(job):  # the call comes while the job trains
        p.stop_solution_version_creation(solutionVersionArn=version)
        assert p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"] == \
            "CREATE STOPPING"
        return runner(job)

    local.runtime.engine._runners[training.KIND] = stop_midway
    local.controls.advance(job_id)
    assert p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"] == "CREATE STOPPED"


def test_solution_versions_train_after_the_delay_in_realistic_mode(p, s3, local):
    solution = _solution(p, _group(p, s3), "aws-popularity-count")
    local.controls.set_timing("realistic", 0.3)
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    assert p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"] == "CREATE PENDING"
    deadline = time.monotonic() + 20
    while p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"] != "ACTIVE":
        assert time.monotonic() < deadline, "the version did not train"
        time.sleep(0.05)
    assert p.get_solution_metrics(solutionVersionArn=version)["metrics"]


def test_solutions_and_versions_take_tags(p, s3):
    tags = [{"tagKey": "team", "tagValue": "recs"}]
    solution = _solution(p, _group(p, s3), "aws-popularity-count", tags=tags)
    version = p.create_solution_version(solutionArn=solution, tags=tags)["solutionVersionArn"]
    for arn in (solution, version):
        assert p.list_tags_for_resource(resourceArn=arn)["tags"] == tags
        p.tag_resource(resourceArn=arn, tags=[{"tagKey": "stage", "tagValue": "dev"}])
        assert len(p.list_tags_for_resource(resourceArn=arn)["tags"]) == 2
    assert error_of(p.list_tags_for_resource, resourceArn=version[:-1] + "x")[0] == "ResourceNotFoundException"


def test_injected_failure_fails_the_version(p, s3, local):
    solution = _solution(p, _group(p, s3), "aws-sims")
    local.controls.fail_next(["Out of capacity"], kind="personalize.solution-version")
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    failed = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert (failed["status"], failed["failureReason"]) == ("CREATE FAILED", "Out of capacity")


# -- campaigns ---------------------------------------------------------------------------


@on_both_backends
def test_campaign_crud(p, s3, local):
    group = _group(p, s3)
    dataset(p, group, "Items", ITEMS)  # items without interactions are in the catalogue (coverage)
    version, _ = _trained(p, group, "aws-user-personalization")
    solution = version.rsplit("/", 1)[0]
    campaign = p.create_campaign(name="live", solutionVersionArn=version, minProvisionedTPS=2,
                                 campaignConfig={"itemExplorationConfig": {"explorationWeight": "0.3"}})["campaignArn"]
    assert campaign == f"arn:aws:personalize:{REGION}:{ACCOUNT}:campaign/live"
    described = p.describe_campaign(campaignArn=campaign)["campaign"]
    assert described["status"] == "ACTIVE" and described["minProvisionedTPS"] == 2
    assert described["solutionVersionArn"] == version and "latestCampaignUpdate" not in described
    assert [c["campaignArn"] for c in p.list_campaigns(solutionArn=solution)["campaigns"]] == [campaign]
    assert p.list_campaigns(solutionArn=solution + "-none")["campaigns"] == []

    popularity, _ = _trained(p, group, "aws-popularity-count", name="pop")
    assert error_of(p.create_campaign, name="live", solutionVersionArn=version)[0] == "ResourceAlreadyExistsException"
    assert error_of(p.create_campaign, name="x", solutionVersionArn=version + "0")[0] == "ResourceNotFoundException"
    exploring = {"itemExplorationConfig": {"explorationWeight": "0.3"}}  # User-Personalization only
    assert error_of(p.create_campaign, name="x", solutionVersionArn=popularity, campaignConfig=exploring)[0] == \
        "InvalidInputException"
    assert error_of(p.update_campaign, campaignArn=campaign, solutionVersionArn=popularity)[0] == \
        "InvalidInputException"  # a version of another solution
    assert error_of(p.delete_solution, solutionArn=solution)[0] == "ResourceInUseException"
    assert len(p.list_campaigns()["campaigns"]) == 1

    local.controls.set_timing("manual", None)
    pending = p.create_solution_version(solutionArn=solution, trainingMode="UPDATE")["solutionVersionArn"]
    assert error_of(p.update_campaign, campaignArn=campaign, solutionVersionArn=pending)[0] == "ResourceInUseException"
    local.controls.advance(scoped_job_id(Scope(ACCOUNT, REGION, "personalize"), pending))
    local.controls.set_timing("realistic", 30)
    p.update_campaign(campaignArn=campaign, solutionVersionArn=pending, minProvisionedTPS=5)
    update = p.describe_campaign(campaignArn=campaign)["campaign"]["latestCampaignUpdate"]
    assert update["status"] == "CREATE PENDING" and update["solutionVersionArn"] == pending
    assert update["minProvisionedTPS"] == 5
    assert error_of(p.update_campaign, campaignArn=campaign, minProvisionedTPS=3)[0] == "ResourceInUseException"
    local.controls.advance_clock(31)
    updated = p.describe_campaign(campaignArn=campaign)["campaign"]
    assert updated["latestCampaignUpdate"]["status"] == "ACTIVE" and updated["solutionVersionArn"] == pending

    assert error_of(p.update_campaign, campaignArn=campaign + "x", minProvisionedTPS=3)[0] == \
        "ResourceNotFoundException"
    assert error_of(p.delete_campaign, campaignArn=campaign + "x")[0] == "ResourceNotFoundException"
    p.delete_campaign(campaignArn=campaign)
    assert p.describe_campaign(campaignArn=campaign)["campaign"]["status"] == "DELETE PENDING"
    local.controls.advance_clock(31)
    assert error_of(p.describe_campaign, campaignArn=campaign) == (
        "ResourceNotFoundException", 400, f"Resource Arn {campaign} does not exist.")


def test_a_served_model_outlives_its_server(server_factory, tmp_path):
    """With the minimums set by LOCALEXPORT_* variables, a version trains on a real server; its model files stay
    for the next server on the same data dir."""
    from conftest import client

    env = {"LOCALEXPORT_JOB_MODE": "immediate", "LOCALEXPORT_PERSONALIZE_MIN_INTERACTIONS": "10",
           "LOCALEXPORT_PERSONALIZE_MIN_USERS": "5"}
    server = server_factory(tmp_path / "data", **env)
    p, s3 = client("personalize", server.url), client("s3", server.url)
    s3.create_bucket(Bucket=BUCKET)
    version, _ = _trained(p, _group(p, s3), "aws-popularity-count")
    metrics = p.get_solution_metrics(solutionVersionArn=version)["metrics"]
    server.stop()

    again = server_factory(tmp_path / "data", **env)
    p = client("personalize", again.url)
    assert p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"] == "ACTIVE"
    assert p.get_solution_metrics(solutionVersionArn=version)["metrics"] == metrics
    [popularity] = (tmp_path / "data").rglob(f"accounts/{ACCOUNT}/personalize/{REGION}/models/*/popularity.parquet")
    best = duckdb.sql(f"SELECT ITEM_ID FROM read_parquet('{popularity}') ORDER BY score DESC LIMIT 1").fetchall()
    assert best == [("A",)]

