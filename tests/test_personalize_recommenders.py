"""Recommenders of domain dataset groups through boto3: their lifecycle, and what personalize-runtime answers."""

from __future__ import annotations

import json

import pytest
from personalize_helpers import BUCKET, HISTORIES, INTERACTIONS, RECIPE, group_of, import_job, put_csv, rows_of
from test_wire import error_of

POPULAR = ["A", "B", "C", "D", "E"]  # HISTORIES: A has 5 users, B 4, C 3, D 2, E 1


@pytest.fixture
def shop(p, make_client):
    """An ECOMMERCE dataset group whose interactions are HISTORIES' as View events, and u1's first two also
    as Purchase events."""
    s3 = make_client("s3")
    s3.create_bucket(Bucket=BUCKET)
    group = p.create_dataset_group(name="store", domain="ECOMMERCE")["datasetGroupArn"]
    schema = p.create_schema(name="store-interactions", domain="ECOMMERCE",
                             schema=json.dumps(INTERACTIONS))["schemaArn"]
    dataset = p.create_dataset(name="store-interactions", schemaArn=schema, datasetGroupArn=group,
                               datasetType="Interactions")["datasetArn"]
    rows = [[user, item, "View", ts] for user, item, _, ts in rows_of(HISTORIES)[1:]]
    rows += [["u1", "A", "Purchase", "1800000000"], ["u1", "B", "Purchase", "1800000001"]]
    location = put_csv(s3, BUCKET, "store/interactions.csv", [["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"],
                                                              *rows])
    assert import_job(p, dataset, location, "store-import")["status"] == "ACTIVE"
    return group


def _recommender(p, group: str, use_case: str, name: str | None = None) -> str:
    return p.create_recommender(name=name or use_case, datasetGroupArn=group,
                                recipeArn=RECIPE + use_case)["recommenderArn"]


def test_a_recommender_trains_its_use_case_and_answers_without_scores(p, rt, shop):
    arn = _recommender(p, shop, "aws-ecomm-popular-items-by-views")
    described = p.describe_recommender(recommenderArn=arn)["recommender"]
    assert described["status"] == "ACTIVE", described.get("failureReason")
    assert described["recipeArn"] == RECIPE + "aws-ecomm-popular-items-by-views"
    assert described["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 1
    assert set(described["modelMetrics"]) >= {"coverage", "precision_at_25"}
    answer = rt.get_recommendations(recommenderArn=arn, userId="u1")
    assert [e["itemId"] for e in answer["itemList"]] == POPULAR
    assert all("score" not in e for e in answer["itemList"])  # none for domain recommenders
    assert answer["recommendationId"].startswith("RID-")
    listed = p.list_recommenders(datasetGroupArn=shop)["recommenders"]
    assert [(r["name"], r["status"]) for r in listed] == [("aws-ecomm-popular-items-by-views", "ACTIVE")]
    # its training is no solution version
    assert p.list_solution_versions()["solutionVersions"] == []


def test_use_cases_train_on_their_event_type_and_need_what_their_model_needs(p, rt, shop):
    also_viewed = _recommender(p, shop, "aws-ecomm-customers-who-viewed-x-also-viewed")
    assert rt.get_recommendations(recommenderArn=also_viewed, itemId="A")["itemList"][0]["itemId"] == "B"
    assert error_of(rt.get_recommendations, recommenderArn=also_viewed, userId="u1")[:2] == \
        ("InvalidInputException", 400)
    for_you = _recommender(p, shop, "aws-ecomm-recommended-for-you")
    assert {e["itemId"] for e in rt.get_recommendations(recommenderArn=for_you, userId="u2")["itemList"]} == \
        {"C", "D", "E"}
    # two Purchase events are too few to train Best sellers on
    sellers = _recommender(p, shop, "aws-ecomm-popular-items-by-purchases")
    failed = p.describe_recommender(recommenderArn=sellers)["recommender"]
    assert failed["status"] == "CREATE FAILED" and "interactions" in failed["failureReason"]
    assert error_of(rt.get_recommendations, recommenderArn=sellers, userId="u1")[:2] == \
        ("InvalidInputException", 400)


def test_create_recommender_refuses_what_aws_refuses_and_changes_nothing(p, shop, make_client):
    s3 = make_client("s3")
    custom = group_of(p, s3, name="custom")

    def create(**changes):
        params = {"name": "rec", "datasetGroupArn": shop, "recipeArn": RECIPE + "aws-ecomm-recommended-for-you",
                  **changes}
        return error_of(p.create_recommender, **params)

    assert create(datasetGroupArn=custom)[:2] == ("InvalidInputException", 400)  # not a domain group
    assert create(recipeArn=RECIPE + "aws-vod-top-picks")[:2] == ("InvalidInputException", 400)  # other domain
    assert create(recipeArn=RECIPE + "aws-user-personalization")[:2] == ("InvalidInputException", 400)
    missing = shop + "-nope"
    assert create(datasetGroupArn=missing) == ("ResourceNotFoundException", 400,
                                               f"Resource Arn {missing} does not exist.")
    assert p.list_recommenders()["recommenders"] == []
    arn = _recommender(p, shop, "aws-ecomm-recommended-for-you", name="rec")
    assert create() == ("ResourceAlreadyExistsException", 400, f"Another resource with Arn {arn} already exists.")
    other = make_client("personalize", account="210987654321")
    assert error_of(other.describe_recommender, recommenderArn=arn)[:2] == ("ResourceNotFoundException", 400)
    assert other.list_recommenders()["recommenders"] == []


def test_stop_start_update_and_delete(p, rt, shop):
    arn = _recommender(p, shop, "aws-ecomm-popular-items-by-views")
    assert error_of(p.start_recommender, recommenderArn=arn)[:2] == ("ResourceInUseException", 400)
    p.stop_recommender(recommenderArn=arn)
    assert p.describe_recommender(recommenderArn=arn)["recommender"]["status"] == "INACTIVE"
    assert error_of(rt.get_recommendations, recommenderArn=arn, userId="u1")[:2] == ("InvalidInputException", 400)
    assert error_of(p.update_recommender, recommenderArn=arn,
                    recommenderConfig={"minRecommendationRequestsPerSecond": 5})[:2] == \
        ("ResourceInUseException", 400)
    p.start_recommender(recommenderArn=arn)
    assert p.describe_recommender(recommenderArn=arn)["recommender"]["status"] == "ACTIVE"
    p.update_recommender(recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 5})
    described = p.describe_recommender(recommenderArn=arn)["recommender"]
    assert described["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 5
    assert described["latestRecommenderUpdate"]["status"] == "ACTIVE"
    assert described["latestRecommenderUpdate"]["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 5
    p.delete_recommender(recommenderArn=arn)
    assert error_of(p.describe_recommender, recommenderArn=arn)[:2] == ("ResourceNotFoundException", 400)
    assert error_of(rt.get_recommendations, recommenderArn=arn, userId="u1")[:2] == \
        ("ResourceNotFoundException", 404)
    # the name is free again
    again = _recommender(p, shop, "aws-ecomm-popular-items-by-views")
    assert p.describe_recommender(recommenderArn=again)["recommender"]["status"] == "ACTIVE"
