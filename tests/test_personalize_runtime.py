"""personalize-runtime through boto3: GetRecommendations and GetPersonalizedRanking from campaigns."""

from __future__ import annotations

import time

import pytest
from personalize_helpers import BUCKET, ITEMS, campaign_of, dataset, group_of, import_job, put_csv, trained
from test_wire import error_of

# HISTORIES: A has 5 users, B 4, C 3, D 2, E 1; u2 saw A and B; u6 saw B and C.
POPULAR = ["A", "B", "C", "D", "E"]


@pytest.fixture
def group(p, make_client):
    make_client("s3").create_bucket(Bucket=BUCKET)
    return group_of(p, make_client("s3"))


def _campaign(p, group: str, recipe: str) -> str:
    version, _ = trained(p, group, recipe, name=recipe)
    return campaign_of(p, version, name=recipe)


def _items(answer: dict, key: str = "itemList") -> list[str]:
    return [entry["itemId"] for entry in answer[key]]


def test_user_personalization_leaves_out_the_history_and_scores_over_the_catalogue(p, rt, group):
    camp = _campaign(p, group, "aws-user-personalization")
    answer = rt.get_recommendations(campaignArn=camp, userId="u2")
    assert answer["recommendationId"].startswith("RID-")
    assert set(_items(answer)) == {"C", "D", "E"}
    scores = [entry["score"] for entry in answer["itemList"]]
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1.000001
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u2", numResults=1)) == _items(answer)[:1]
    # a user the model never saw gets the popular items
    assert _items(rt.get_recommendations(campaignArn=camp, userId="stranger")) == POPULAR
    assert error_of(rt.get_recommendations, campaignArn=camp)[:2] == ("InvalidInputException", 400)
    assert error_of(rt.get_personalized_ranking, campaignArn=camp, userId="u2", inputList=["A"])[:2] == \
        ("InvalidInputException", 400)


def test_similar_items_need_an_item_and_show_no_scores(p, rt, group):
    camp = _campaign(p, group, "aws-sims")
    answer = rt.get_recommendations(campaignArn=camp, itemId="A")
    assert "A" not in _items(answer) and _items(answer)[0] == "B"  # B shares the most users with A
    assert all("score" not in entry for entry in answer["itemList"])
    assert _items(rt.get_recommendations(campaignArn=camp, itemId="unknown")) == POPULAR  # popular fallback
    code, status, message = error_of(rt.get_recommendations, campaignArn=camp, userId="u1")
    assert (code, status) == ("InvalidInputException", 400) and "itemId" in message


def test_popularity_is_the_same_for_everyone(p, rt, group):
    camp = _campaign(p, group, "aws-popularity-count")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u1")) == POPULAR
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u6", numResults=2)) == POPULAR[:2]


def test_personalized_ranking_ranks_the_list_given(p, rt, group):
    camp = _campaign(p, group, "aws-personalized-ranking")
    answer = rt.get_personalized_ranking(campaignArn=camp, userId="u6", inputList=["E", "A", "Z"])
    assert sorted(_items(answer, "personalizedRanking")) == ["A", "E", "Z"]
    assert answer["personalizedRanking"][-1] == {"itemId": "Z", "score": 0.0}  # never seen: scores 0, last
    assert answer["recommendationId"].startswith("RID-")
    assert error_of(rt.get_recommendations, campaignArn=camp, userId="u6")[:2] == ("InvalidInputException", 400)


def test_errors_name_the_missing_resource(p, rt, group, make_client):
    camp = _campaign(p, group, "aws-user-personalization")
    missing = camp.replace(":campaign/", ":campaign/nope-")
    assert error_of(rt.get_recommendations, campaignArn=missing, userId="u1") == \
        ("ResourceNotFoundException", 404, f"Resource Arn {missing} does not exist.")
    no_filter = camp.replace(":campaign/", ":filter/")
    assert error_of(rt.get_recommendations, campaignArn=camp, userId="u1", filterArn=no_filter)[:2] == \
        ("ResourceNotFoundException", 404)
    recommender = camp.replace(":campaign/", ":recommender/")
    assert error_of(rt.get_recommendations, recommenderArn=recommender, userId="u1")[:2] == \
        ("ResourceNotFoundException", 404)
    assert error_of(rt.get_recommendations, userId="u1")[:2] == ("InvalidInputException", 400)
    # another account, another region: the campaign is not there
    for other in (make_client("personalize-runtime", account="210987654321"),
                  make_client("personalize-runtime", region="eu-west-1")):
        assert error_of(other.get_recommendations, campaignArn=camp, userId="u1")[:2] == \
            ("ResourceNotFoundException", 404)


def test_a_deleted_campaign_answers_no_more(p, rt, group):
    camp = _campaign(p, group, "aws-popularity-count")
    p.delete_campaign(campaignArn=camp)
    code, status, _ = error_of(rt.get_recommendations, campaignArn=camp, userId="u1")
    assert (code, status) in (("ResourceNotFoundException", 404), ("InvalidInputException", 400))


def test_a_campaign_recommends_on_a_real_server_and_after_its_restart(server_factory, tmp_path):
    from conftest import client

    env = {"LOCALEXPORT_JOB_MODE": "immediate", "LOCALEXPORT_PERSONALIZE_MIN_INTERACTIONS": "10",
           "LOCALEXPORT_PERSONALIZE_MIN_USERS": "5"}
    server = server_factory(tmp_path / "data", **env)
    p, s3 = client("personalize", server.url), client("s3", server.url)
    s3.create_bucket(Bucket=BUCKET)
    camp = _campaign(p, group_of(p, s3), "aws-user-personalization")
    first = client("personalize-runtime", server.url).get_recommendations(campaignArn=camp, userId="u2")
    assert set(_items(first)) == {"C", "D", "E"}
    server.stop()

    again = server_factory(tmp_path / "data", **env)
    second = client("personalize-runtime", again.url).get_recommendations(campaignArn=camp, userId="u2")
    assert second["itemList"] == first["itemList"]


def _with_items(p, make_client, group: str) -> None:
    items = dataset(p, group, "Items", ITEMS, name="shop-items")
    location = put_csv(make_client("s3"), BUCKET, "shop/items.csv",
                       [["ITEM_ID", "GENRES", "PRICE"], ["A", "Comedy|Action", "1"], ["B", "Comedy", "2"],
                        ["C", "Drama", "3"], ["D", "Action", "4"], ["E", "Drama", "5"]])
    assert import_job(p, items, location, "items-import")["status"] == "ACTIVE"


def test_a_promotion_spreads_its_best_items_among_the_others(p, rt, group, make_client):
    _with_items(p, make_client, group)
    camp = _campaign(p, group, "aws-popularity-count")
    drama = p.create_filter(name="drama", datasetGroupArn=group,
                            filterExpression='INCLUDE ItemID WHERE Items.GENRES IN ("Drama")')["filterArn"]
    answer = rt.get_recommendations(campaignArn=camp, userId="u1", numResults=4, promotions=[
        {"name": "dramas", "percentPromotedItems": 50, "filterArn": drama}])
    # C and E are the dramas (C the more popular): promoted, in their order, among A and B
    assert answer["itemList"] == [{"itemId": "A"}, {"itemId": "C", "promotionName": "dramas"}, {"itemId": "B"},
                                  {"itemId": "E", "promotionName": "dramas"}]
    # the request's filter applies to the rest only; too few promotable items: as many as there are
    comedy = p.create_filter(name="comedy", datasetGroupArn=group,
                             filterExpression='INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")')["filterArn"]
    answer = rt.get_recommendations(campaignArn=camp, userId="u1", numResults=5, filterArn=comedy, promotions=[
        {"name": "dramas", "percentPromotedItems": 100, "filterArn": drama}])
    assert [(e["itemId"], e.get("promotionName")) for e in answer["itemList"]] == \
        [("A", None), ("C", "dramas"), ("B", None), ("E", "dramas")]  # (D is no comedy)
    assert error_of(rt.get_recommendations, campaignArn=camp, userId="u1",
                    promotions=[{"name": "x", "percentPromotedItems": 10}])[:2] == ("InvalidInputException", 400)
    unnamed = rt.get_recommendations(campaignArn=camp, userId="u1", numResults=4,
                                     promotions=[{"percentPromotedItems": 50, "filterArn": drama}])
    assert [e["itemId"] for e in unnamed["itemList"]] == ["A", "C", "B", "E"]
    assert all("promotionName" not in e for e in unnamed["itemList"])


def test_metadata_columns_come_from_the_items_dataset_when_the_campaign_allows_them(p, rt, group, make_client):
    _with_items(p, make_client, group)
    version, _ = trained(p, group, "aws-popularity-count", name="pop")
    plain = campaign_of(p, version, name="plain")
    rich = p.create_campaign(name="rich", solutionVersionArn=version,
                             campaignConfig={"enableMetadataWithRecommendations": True})["campaignArn"]
    answer = rt.get_recommendations(campaignArn=rich, userId="u1", numResults=2,
                                    metadataColumns={"ITEMS": ["GENRES", "PRICE"]})
    assert answer["itemList"] == [{"itemId": "A", "metadata": {"GENRES": "Comedy|Action", "PRICE": "1.0"}},
                                  {"itemId": "B", "metadata": {"GENRES": "Comedy", "PRICE": "2.0"}}]
    assert error_of(rt.get_recommendations, campaignArn=plain, userId="u1",
                    metadataColumns={"ITEMS": ["GENRES"]})[:2] == ("InvalidInputException", 400)
    assert error_of(rt.get_recommendations, campaignArn=rich, userId="u1",
                    metadataColumns={"ITEMS": ["COLOUR"]})[:2] == ("InvalidInputException", 400)
    assert error_of(rt.get_recommendations, campaignArn=rich, userId="u1", numResults=51,
                    metadataColumns={"ITEMS": ["GENRES"]})[:2] == ("InvalidInputException", 400)
    assert error_of(rt.get_recommendations, campaignArn=rich, userId="u1",
                    metadataColumns={"ITEMS": ["GENRES"] * 11})[:2] == ("InvalidInputException", 400)


ACTIONS = {"type": "record", "name": "Actions", "namespace": "com.amazonaws.personalize.schema",
           "fields": [{"name": "ACTION_ID", "type": "string"}, {"name": "EXPIRATION_TIMESTAMP", "type": ["null", "long"]}],
           "version": "1.0"}
ACTION_INTERACTIONS = {"type": "record", "name": "ActionInteractions", "namespace": "com.amazonaws.personalize.schema",
                       "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ACTION_ID", "type": "string"},
                                  {"name": "EVENT_TYPE", "type": "string"}, {"name": "TIMESTAMP", "type": "long"}],
                       "version": "1.0"}


def test_next_best_action_recommends_the_actions_a_user_has_not_taken(p, rt, group, make_client, local):
    s3 = make_client("s3")
    actions = dataset(p, group, "Actions", ACTIONS, name="shop-actions")
    soon = int(time.time()) + 3600
    rows = [["ACTION_ID", "EXPIRATION_TIMESTAMP"], ["a", ""], ["b", ""], ["c", ""], ["d", str(soon)],
            ["e", "1000"], ["f", ""]]  # e has expired, d expires in an hour; f was never taken
    assert import_job(p, actions, put_csv(s3, BUCKET, "nba/actions.csv", rows), "actions")["status"] == "ACTIVE"
    taken = dataset(p, group, "Action_Interactions", ACTION_INTERACTIONS, name="shop-action-interactions")
    rows = [["USER_ID", "ACTION_ID", "EVENT_TYPE", "TIMESTAMP"]]
    for n, (user, items) in enumerate({"u1": "ABC", "u2": "AB", "u3": "ABD", "u4": "AC", "u5": "ADE",
                                       "u6": "BC"}.items()):
        rows += [[user, item.lower(), "TAKEN", str(1_700_000_000 + 10 * n + i)] for i, item in enumerate(items)]
    rows += [["u2", "d", "NOT_TAKEN", "1700000100"], ["u2", "d", "VIEWED", "1700000101"]]  # taught nothing
    rows += [["u6", "x", "Taken", "1700000102"]]  # (any case) an action the Actions dataset does not have
    location = put_csv(s3, BUCKET, "nba/taken.csv", rows)
    assert import_job(p, taken, location, "taken")["status"] == "ACTIVE"
    camp = _campaign(p, group, "aws-next-best-action")
    answer = rt.get_action_recommendations(campaignArn=camp, userId="u2")
    assert answer["recommendationId"].startswith("RID-")
    # not a, b (taken), e (expired), x (no such action); f, which nobody took, last with score 0
    assert {a["actionId"] for a in answer["actionList"][:2]} == {"c", "d"}
    assert all(0 < a["score"] <= 1 for a in answer["actionList"][:2])
    assert answer["actionList"][2:] == [{"actionId": "f", "score": 0.0}]
    assert [a["actionId"] for a in rt.get_action_recommendations(campaignArn=camp, userId="stranger")[
        "actionList"]] == ["a", "b", "c", "d", "f"]  # the most taken first
    local.runtime.clock.advance(7200)  # d expires: no longer recommended, without retraining
    assert [a["actionId"] for a in rt.get_action_recommendations(campaignArn=camp, userId="u2")["actionList"]] == \
        ["c", "f"]
    assert len(rt.get_action_recommendations(campaignArn=camp, userId="stranger", numResults=2)["actionList"]) == 2
    assert error_of(rt.get_recommendations, campaignArn=camp, userId="u2")[:2] == ("InvalidInputException", 400)
    assert error_of(rt.get_action_recommendations, campaignArn=camp)[:2] == ("InvalidInputException", 400)
    assert error_of(rt.get_action_recommendations, campaignArn=camp, userId="u2", numResults=101)[:2] == \
        ("InvalidInputException", 400)
    items = _campaign(p, group, "aws-user-personalization")
    assert error_of(rt.get_action_recommendations, campaignArn=items, userId="u2")[:2] == \
        ("InvalidInputException", 400)
    # action filters are refused when created, not when first used
    code, status, message = error_of(p.create_filter, name="no-actions", datasetGroupArn=group,
                                     filterExpression="EXCLUDE ActionID WHERE Actions.EXPIRATION_TIMESTAMP > 0")
    assert (code, status) == ("InvalidInputException", 400) and "ActionID" in message


def test_context_weighs_the_items_chosen_in_that_context(p, rt, s3):
    from personalize_helpers import HISTORIES, INTERACTIONS, rows_of

    schema = {**INTERACTIONS, "fields": [*INTERACTIONS["fields"],
                                         {"name": "DEVICE", "type": ["null", "string"], "categorical": True}]}
    group = p.create_dataset_group(name="devices")["datasetGroupArn"]
    interactions = dataset(p, group, "Interactions", schema, name="devices-interactions")
    rows = rows_of(HISTORIES)
    rows = [[*rows[0], "DEVICE"]] + [[*row, "mobile" if row[1] in "CE" else "desktop"] for row in rows[1:]]
    assert import_job(p, interactions, put_csv(s3, BUCKET, "devices/i.csv", rows), "devices")["status"] == "ACTIVE"
    personal = _campaign(p, group, "aws-user-personalization")
    ranking = _campaign(p, group, "aws-personalized-ranking")

    def scores(answer: dict, key: str = "itemList") -> dict[str, float]:
        return {entry["itemId"]: entry["score"] for entry in answer[key]}

    plain = scores(rt.get_recommendations(campaignArn=personal, userId="u2"))
    mobile = scores(rt.get_recommendations(campaignArn=personal, userId="u2", context={"DEVICE": "mobile"}))
    assert set(plain) == set(mobile) == {"C", "D", "E"}
    # C (3 of the 4 mobile interactions) and E (1) gain on D, which nobody chose on a mobile
    assert mobile["C"] / mobile["D"] > plain["C"] / plain["D"] and mobile["E"] / mobile["D"] > plain["E"] / plain["D"]
    desktop = scores(rt.get_recommendations(campaignArn=personal, userId="u2", context={"device": "desktop"}))
    assert desktop["D"] / desktop["C"] > plain["D"] / plain["C"]  # (a field's name in any case)
    assert scores(rt.get_recommendations(campaignArn=personal, userId="u2", context={"COLOUR": "red"})) == plain
    ranked = rt.get_personalized_ranking(campaignArn=ranking, userId="u6", inputList=["D", "E"])
    ranked_mobile = rt.get_personalized_ranking(campaignArn=ranking, userId="u6", inputList=["D", "E"],
                                                context={"DEVICE": "mobile"})
    assert scores(ranked_mobile, "personalizedRanking")["E"] > scores(ranked, "personalizedRanking")["E"]
