"""Personalize filters through boto3: CreateFilter/DescribeFilter/ListFilters/DeleteFilter, and filtered
GetRecommendations and GetPersonalizedRanking on small hand-made data."""

from __future__ import annotations

import json

import pytest
from personalize_helpers import (
    BUCKET,
    HISTORIES,
    ITEMS,
    campaign_of,
    dataset,
    group_of,
    import_job,
    put_csv,
    rows_of,
    trained,
)
from test_wire import error_of

from localexport.aws.errors import AWSError
from localexport.core.runtime import RequestContext
from localexport.services.personalize import filters

# HISTORIES: A has 5 users, B 4, C 3, D 2, E 1 (all "click"s, but u3's D, a "Purchase").
POPULAR = ["A", "B", "C", "D", "E"]
USERS = {"type": "record", "name": "Users", "namespace": "com.amazonaws.personalize.schema",
         "fields": [{"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"},
                    {"name": "MEMBERSHIP", "type": ["null", "string"]}], "version": "1.0"}
ITEM_ROWS = [["ITEM_ID", "GENRES", "PRICE"], ["A", "Action|Comedy", "10"], ["B", "Drama", "25"], ["C", "Comedy", "5"],
             ["D", "Horror|Drama", "40"], ["E", "Action", "15"]]
USER_ROWS = [["USER_ID", "AGE", "MEMBERSHIP"], ["u1", "12", "basic"], ["u2", "30", "premium"], ["u3", "45", "basic"],
             ["u4", "17", ""], ["u5", "22", "premium"], ["u6", "60", "basic"]]


def _events() -> list[list]:
    rows = rows_of(HISTORIES)
    for row in rows:
        if row[:2] == ["u3", "D"]:
            row[2] = "Purchase"
    return rows


@pytest.fixture
def shop(p, s3) -> dict[str, str]:
    """A dataset group with interactions, items and users."""
    group = group_of(p, s3, rows=_events())
    found = {"group": group}
    for kind, schema, rows in (("Items", ITEMS, ITEM_ROWS), ("Users", USERS, USER_ROWS)):
        found[kind] = dataset(p, group, kind, schema)
        location = put_csv(s3, BUCKET, f"shop/{kind.lower()}.csv", rows)
        assert import_job(p, found[kind], location, f"shop-{kind.lower()}")["status"] == "ACTIVE"
    return found


def _campaign(p, group: str, recipe: str) -> str:
    version, _ = trained(p, group, recipe, name=recipe)
    return campaign_of(p, version, name=recipe)


def _filter(p, group: str, expression: str, name: str = "f") -> str:
    arn = p.create_filter(name=name, datasetGroupArn=group, filterExpression=expression)["filterArn"]
    assert p.describe_filter(filterArn=arn)["filter"]["status"] == "ACTIVE"
    return arn


def _items(answer: dict, key: str = "itemList") -> list[str]:
    return [entry["itemId"] for entry in answer[key]]


def test_filter_crud_lists_pages_and_deletes(p, shop):
    group = shop["group"]
    expression = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
    arn = p.create_filter(name="no-clicks", datasetGroupArn=group, filterExpression=expression,
                          tags=[{"tagKey": "team", "tagValue": "recs"}])["filterArn"]
    assert arn == group.replace(":dataset-group/shop", ":filter/no-clicks")
    described = p.describe_filter(filterArn=arn)["filter"]
    assert {k: described[k] for k in ("name", "filterArn", "datasetGroupArn", "filterExpression", "status")} == \
        {"name": "no-clicks", "filterArn": arn, "datasetGroupArn": group, "filterExpression": expression,
         "status": "ACTIVE"}
    assert described["creationDateTime"] <= described["lastUpdatedDateTime"]
    assert p.list_tags_for_resource(resourceArn=arn)["tags"] == [{"tagKey": "team", "tagValue": "recs"}]
    second = _filter(p, group, 'INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)', name="by-genre")

    listed = p.list_filters(datasetGroupArn=group)["Filters"]
    assert sorted(f["filterArn"] for f in listed) == sorted([arn, second])
    assert set(listed[0]) >= {"name", "filterArn", "datasetGroupArn", "status", "creationDateTime"}
    assert "filterExpression" not in listed[0]  # a FilterSummary has none
    page = p.list_filters(datasetGroupArn=group, maxResults=1)
    rest = p.list_filters(datasetGroupArn=group, maxResults=1, nextToken=page["nextToken"])
    assert len(page["Filters"]) == len(rest["Filters"]) == 1 and "nextToken" not in rest
    assert {page["Filters"][0]["filterArn"], rest["Filters"][0]["filterArn"]} == {arn, second}
    unknown = group.replace(":dataset-group/shop", ":dataset-group/nope")
    assert p.list_filters(datasetGroupArn=unknown)["Filters"] == []
    assert len(p.list_filters()["Filters"]) == 2

    p.delete_filter(filterArn=arn)
    assert error_of(p.describe_filter, filterArn=arn) == \
        ("ResourceNotFoundException", 400, f"Resource Arn {arn} does not exist.")
    assert error_of(p.delete_filter, filterArn=arn)[0] == "ResourceNotFoundException"
    assert [f["filterArn"] for f in p.list_filters(datasetGroupArn=group)["Filters"]] == [second]
    # the name is free again
    assert p.create_filter(name="no-clicks", datasetGroupArn=group, filterExpression=expression)["filterArn"] == arn


BAD = [
    ('INCLUDE ItemID Items.GENRES IN ("Comedy")', 'unexpected "Items.GENRES"; expected WHERE'),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("Comedy"', "ends where"),
    ("INCLUDE ItemID WHERE Items.GENRES IN ('Comedy')", "unexpected character"),
    ('INCLUDE ItemID WHERE Items.COLOUR IN ("red")', "no field COLOUR"),
    ('INCLUDE ItemID WHERE Things.X IN ("red")', "unknown dataset Things"),
    ('INCLUDE ItemID WHERE Interactions.ITEM_ID IN ("A")', "EVENT_TYPE only"),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("Comedy") AND Interactions.EVENT_TYPE IN ("click")', "chain two"),
    ('EXCLUDE ItemID WHERE Items.GENRES NOT IN ($GENRE)', "NOT IN"),
    ('INCLUDE ItemID WHERE Items.GENRES < 3', "compare numeric data only"),
    ('INCLUDE ItemID WHERE Items.PRICE IN ("cheap")', '"cheap" is not a number'),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("*")', "with EVENT_TYPE only"),
    ('INCLUDE UserID WHERE Items.GENRES IN ("Comedy")', "use Users or Interactions"),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("Comedy") IF Items.PRICE > 3', "CurrentUser fields only"),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("Comedy") | INCLUDE UserID WHERE Users.AGE > 3', "mixes"),
    ('INCLUDE ItemID WHERE Items.PRICE < CurrentItem.GENRES', "cannot be compared"),
]


@pytest.mark.parametrize(("expression", "problem"), BAD)
def test_malformed_expressions_are_refused_naming_the_problem(p, shop, expression, problem):
    code, status, message = error_of(p.create_filter, name="bad", datasetGroupArn=shop["group"],
                                     filterExpression=expression)
    assert (code, status) == ("InvalidInputException", 400)
    assert problem in message
    assert p.list_filters(datasetGroupArn=shop["group"])["Filters"] == []  # a refused call creates nothing


def test_fields_of_datasets_or_types_the_group_lacks_are_refused(p, s3):
    group = group_of(p, s3)  # interactions only
    booleans = p.create_dataset_group(name="flags")["datasetGroupArn"]
    dataset(p, booleans, "Items", {"type": "record", "name": "Items", "fields": [
        {"name": "ITEM_ID", "type": "string"}, {"name": "NEW", "type": "boolean"},
        {"name": "BLURB", "type": ["null", "string"], "textual": True}]})
    for target, expression, problem in (
            (group, 'INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")', "does not have"),
            (group, 'EXCLUDE ItemID WHERE Items.X IN ("a") IF CurrentUser.AGE > 3', "does not have"),
            (booleans, 'INCLUDE ItemID WHERE Items.NEW IN ("True")', "boolean"),
            (booleans, 'INCLUDE ItemID WHERE Items.BLURB IN ("x")', "textual")):
        code, _, message = error_of(p.create_filter, name="bad", datasetGroupArn=target, filterExpression=expression)
        assert code == "InvalidInputException" and problem in message, message
    assert p.list_filters()["Filters"] == []


def test_duplicates_missing_groups_and_other_accounts(p, shop, make_client):
    group = shop["group"]
    arn = _filter(p, group, 'INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")')
    code, _, message = error_of(p.create_filter, name="f", datasetGroupArn=group,
                                filterExpression='EXCLUDE ItemID WHERE Items.PRICE > 3')
    assert code == "ResourceAlreadyExistsException" and arn in message
    assert p.describe_filter(filterArn=arn)["filter"]["filterExpression"].startswith("INCLUDE")  # unchanged
    missing = group.replace(":dataset-group/shop", ":dataset-group/nope")
    assert error_of(p.create_filter, name="g", datasetGroupArn=missing,
                    filterExpression='INCLUDE ItemID WHERE Items.PRICE > 3')[0] == "ResourceNotFoundException"
    other = make_client("personalize", account="111111111111")
    assert error_of(other.describe_filter, filterArn=arn) == \
        ("ResourceNotFoundException", 400, f"Resource Arn {arn} does not exist.")
    assert error_of(other.delete_filter, filterArn=arn)[0] == "ResourceNotFoundException"
    assert error_of(other.create_filter, name="g", datasetGroupArn=group,
                    filterExpression='INCLUDE ItemID WHERE Items.PRICE > 3')[0] == "ResourceNotFoundException"
    assert other.list_filters()["Filters"] == []
    assert [f["filterArn"] for f in p.list_filters()["Filters"]] == [arn]


def test_filters_and_their_fields_are_limited_per_filter_and_group(p, s3):
    group = group_of(p, s3, name="wide")
    names = [f"F{n}" for n in range(22)]
    dataset(p, group, "Items", {"type": "record", "name": "Items", "fields": [
        {"name": "ITEM_ID", "type": "string"}, *({"name": n, "type": ["null", "string"]} for n in names)]})
    eleven = " AND ".join(f'Items.{n} IN ("x")' for n in names[:11])
    code, _, message = error_of(p.create_filter, name="eleven", datasetGroupArn=group,
                                filterExpression=f"INCLUDE ItemID WHERE {eleven}")
    assert code == "InvalidInputException" and "at most 10 distinct dataset fields" in message
    # ten fields each, twice: 20 distinct fields in the group, the most it may use
    for n, chunk in enumerate((names[:10], names[10:20])):
        _filter(p, group, "INCLUDE ItemID WHERE " + " OR ".join(f'Items.{f} IN ("x")' for f in chunk), f"ten{n}")
    code, _, message = error_of(p.create_filter, name="more", datasetGroupArn=group,
                                filterExpression=f'INCLUDE ItemID WHERE Items.{names[20]} IN ("x")')
    assert code == "LimitExceededException" and "20 distinct dataset fields" in message
    for n in range(8):  # fields already used cost nothing more
        _filter(p, group, f'EXCLUDE ItemID WHERE Items.{names[n]} IN ("y")', f"again{n}")
    code, _, message = error_of(p.create_filter, name="eleventh", datasetGroupArn=group,
                                filterExpression=f'EXCLUDE ItemID WHERE Items.{names[0]} IN ("z")')
    assert code == "LimitExceededException" and "10 filters" in message
    assert len(p.list_filters(datasetGroupArn=group)["Filters"]) == 10


def test_exclude_by_event_type_removes_what_the_user_interacted_with(p, rt, shop):
    camp = _campaign(p, shop["group"], "aws-popularity-count")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u2")) == POPULAR
    clicks = _filter(p, shop["group"], 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', "clicks")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u2", filterArn=clicks)) == ["C", "D", "E"]
    # u3 clicked A and B but purchased D
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u3", filterArn=clicks)) == ["C", "D", "E"]
    # event types match ignoring case, and "*" stands for them all
    bought = _filter(p, shop["group"], 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("PURCHASE")', "bought")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u3", filterArn=bought)) == ["A", "B", "C", "E"]
    anything = _filter(p, shop["group"], 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")', "anything")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u3", filterArn=anything)) == ["C", "E"]
    seen = _filter(p, shop["group"], 'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPE)', "seen")
    answer = rt.get_recommendations(campaignArn=camp, userId="u3", filterArn=seen, filterValues={"TYPE": '"purchase"'})
    assert _items(answer) == ["D"]
    # a user without history: nothing to exclude, nothing to include
    assert _items(rt.get_recommendations(campaignArn=camp, userId="new", filterArn=clicks)) == POPULAR
    assert _items(rt.get_recommendations(campaignArn=camp, userId="new", filterArn=seen,
                                         filterValues={"TYPE": '"click"'})) == []


def test_include_by_an_item_attribute_with_a_parameter(p, rt, shop):
    camp = _campaign(p, shop["group"], "aws-popularity-count")
    genre = _filter(p, shop["group"], 'INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)')

    def answer(values):
        return _items(rt.get_recommendations(campaignArn=camp, userId="u1", filterArn=genre, filterValues=values))

    assert answer({"GENRE": '"Comedy"'}) == ["A", "C"]  # A is "Action|Comedy": any of its genres matches
    assert answer({"GENRE": '"Comedy", "Horror"'}) == ["A", "C", "D"]
    assert answer({"GENRE": '"comedy"'}) == []  # only event types match ignoring case
    # numResults counts what the filter keeps
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u1", filterArn=genre, numResults=1,
                                         filterValues={"GENRE": '"Drama"'})) == ["B"]
    for values, problem in (({}, "$GENRE"), ({"GENRE": "Comedy"}, "double quotes"), ({"GENRE": '"a",'}, "double quotes"),
                            ({"GENRE": '"Comedy"', "genre": '"x"'}, "no parameter genre")):
        code, status, message = error_of(rt.get_recommendations, campaignArn=camp, userId="u1", filterArn=genre,
                                         filterValues=values)
        assert (code, status) == ("InvalidInputException", 400) and problem in message, message
    code, _, message = error_of(rt.get_recommendations, campaignArn=camp, userId="u1",
                                filterValues={"GENRE": '"Comedy"'})
    assert code == "InvalidInputException" and "filterArn" in message
    # an EXCLUDE expression whose values are missing is left out
    unwanted = _filter(p, shop["group"], 'EXCLUDE ItemID WHERE Items.GENRES IN ($GENRE)', "unwanted")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u1", filterArn=unwanted)) == POPULAR
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u1", filterArn=unwanted,
                                         filterValues={"GENRE": '"Drama"'})) == ["A", "C", "E"]


def test_a_personalized_list_is_filtered_before_the_best_are_kept(p, rt, shop):
    camp = _campaign(p, shop["group"], "aws-user-personalization")
    unfiltered = _items(rt.get_recommendations(campaignArn=camp, userId="u2"))
    assert set(unfiltered) == {"C", "D", "E"}  # u2 saw A and B
    dramas = _filter(p, shop["group"], 'INCLUDE ItemID WHERE Items.GENRES IN ("Drama")', "dramas")
    answer = rt.get_recommendations(campaignArn=camp, userId="u2", filterArn=dramas, numResults=1)
    assert _items(answer) == ["D"] and answer["itemList"][0]["score"] > 0
    action = _filter(p, shop["group"], 'INCLUDE ItemID WHERE Items.GENRES IN ("Action")', "action")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u2", filterArn=action)) == ["E"]


def test_numeric_comparisons_and_not_in(p, rt, shop):
    camp = _campaign(p, shop["group"], "aws-popularity-count")
    cheap = _filter(p, shop["group"], 'INCLUDE ItemID WHERE Items.PRICE <= $MAX', "cheap")
    for value in ("15", '"15"'):
        assert _items(rt.get_recommendations(campaignArn=camp, userId="u1", filterArn=cheap,
                                             filterValues={"MAX": value})) == ["A", "C", "E"]
    code, _, message = error_of(rt.get_recommendations, campaignArn=camp, userId="u1", filterArn=cheap,
                                filterValues={"MAX": '"ten"'})
    assert code == "InvalidInputException" and "not a number" in message
    assert error_of(rt.get_recommendations, campaignArn=camp, userId="u1", filterArn=cheap,
                    filterValues={"MAX": '"1", "2"'})[0] == "InvalidInputException"
    middle = _filter(p, shop["group"], 'INCLUDE ItemID WHERE Items.PRICE > 5 AND Items.PRICE < 40', "middle")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u1", filterArn=middle)) == ["A", "B", "E"]
    either = _filter(p, shop["group"], 'INCLUDE ItemID WHERE Items.PRICE = 5 OR Items.PRICE >= 40', "either")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u1", filterArn=either)) == ["C", "D"]
    drama = _filter(p, shop["group"], 'EXCLUDE ItemID WHERE Items.GENRES NOT IN ("Drama")', "drama")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u1", filterArn=drama)) == ["B", "D"]


def test_chained_expressions_unite_includes_and_subtract_excludes(p, rt, shop):
    camp = _campaign(p, shop["group"], "aws-popularity-count")
    group = shop["group"]
    both = _filter(p, group, 'INCLUDE ItemID WHERE Items.GENRES IN ("Drama") | '
                             'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', "both")
    # u5 clicked A, D, E; B and D are dramas
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u5", filterArn=both)) == ["A", "B", "D", "E"]
    # order does not matter: EXCLUDE first, INCLUDE second
    minus = _filter(p, group, 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click") | '
                              'INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")', "minus")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u6", filterArn=minus)) == ["A"]  # u6 saw B, C
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u4", filterArn=minus)) == []  # u4 saw A, C


def test_current_user_conditions_decide_whether_an_expression_applies(p, rt, shop):
    camp = _campaign(p, shop["group"], "aws-popularity-count")
    minors = _filter(p, shop["group"], 'EXCLUDE ItemID WHERE Items.GENRES IN ("Horror") IF CurrentUser.AGE < $AGE')
    for user, expected in (("u1", ["A", "B", "C", "E"]), ("u4", ["A", "B", "C", "E"]), ("u2", POPULAR),
                           ("stranger", POPULAR)):
        answer = rt.get_recommendations(campaignArn=camp, userId=user, filterArn=minors, filterValues={"AGE": "18"})
        assert _items(answer) == expected, user
    premium = _filter(p, shop["group"], 'INCLUDE ItemID WHERE Items.PRICE > 20 IF CurrentUser.MEMBERSHIP = "premium"',
                      "premium")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u5", filterArn=premium)) == ["B", "D"]
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u6", filterArn=premium)) == POPULAR


def test_current_item_filters_related_items(p, rt, shop):
    camp = _campaign(p, shop["group"], "aws-sims")
    group = shop["group"]
    unfiltered = _items(rt.get_recommendations(campaignArn=camp, itemId="A"))
    same = _filter(p, group, "INCLUDE ItemID WHERE Items.GENRES IN CurrentItem.GENRES", "same-genre")
    genres = {row[0]: set(row[1].split("|")) for row in ITEM_ROWS[1:]}
    expected = [item for item in unfiltered if genres[item] & {"Action", "Comedy"}]
    assert expected and len(expected) < len(unfiltered)
    assert _items(rt.get_recommendations(campaignArn=camp, itemId="A", filterArn=same)) == expected
    cheaper = _filter(p, group, "INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE", "cheaper")
    prices = {row[0]: float(row[2]) for row in ITEM_ROWS[1:]}
    answer = _items(rt.get_recommendations(campaignArn=camp, itemId="B", filterArn=cheaper))
    assert answer == [item for item in _items(rt.get_recommendations(campaignArn=camp, itemId="B"))
                      if prices[item] < prices["B"]]
    assert set(answer) == {"A", "C", "E"}
    # an item without a record has no genres to share
    assert _items(rt.get_recommendations(campaignArn=camp, itemId="unknown", filterArn=same)) == []
    popular = _campaign(p, group, "aws-popularity-count")
    code, _, message = error_of(rt.get_recommendations, campaignArn=popular, userId="u1", filterArn=same)
    assert code == "InvalidInputException" and "CurrentItem" in message


def test_personalized_ranking_is_filtered(p, rt, shop):
    camp = _campaign(p, shop["group"], "aws-personalized-ranking")
    dear = _filter(p, shop["group"], "EXCLUDE ItemID WHERE Items.PRICE > 20", "dear")
    unfiltered = _items(rt.get_personalized_ranking(campaignArn=camp, userId="u6", inputList=POPULAR + ["Z"]),
                        "personalizedRanking")
    answer = rt.get_personalized_ranking(campaignArn=camp, userId="u6", inputList=POPULAR + ["Z"], filterArn=dear)
    ranked = _items(answer, "personalizedRanking")
    assert ranked == [item for item in unfiltered if item not in ("B", "D")]  # Z has no record: nothing excludes it
    assert "Z" in ranked and all("score" in entry for entry in answer["personalizedRanking"])
    clicked = _filter(p, shop["group"], 'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', "clicked")
    assert _items(rt.get_personalized_ranking(campaignArn=camp, userId="u6", inputList=POPULAR, filterArn=clicked),
                  "personalizedRanking") == [item for item in unfiltered if item in ("B", "C")]


def test_new_events_and_items_are_seen_by_the_next_call(p, rt, shop, make_client):
    events = make_client("personalize-events")
    camp = _campaign(p, shop["group"], "aws-popularity-count")
    clicks = _filter(p, shop["group"], 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', "clicks")
    comedy = _filter(p, shop["group"], 'INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")', "comedy")
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u2", filterArn=clicks)) == ["C", "D", "E"]
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u2", filterArn=comedy)) == ["A", "C"]
    tracking = p.create_event_tracker(name="tracker", datasetGroupArn=shop["group"])["trackingId"]
    events.put_events(trackingId=tracking, userId="u2", sessionId="s",
                      eventList=[{"eventType": "Click", "itemId": "C", "sentAt": 1_800_000_000}])
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u2", filterArn=clicks)) == ["D", "E"]
    events.put_events(trackingId=tracking, sessionId="anonymous",
                      eventList=[{"eventType": "click", "itemId": "E", "sentAt": 1_800_000_001}])
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u2", filterArn=clicks)) == ["D", "E"]
    # a new record of an item replaces its old one
    events.put_items(datasetArn=shop["Items"], items=[{"itemId": "E", "properties": json.dumps(
        {"genres": "Comedy|Action", "price": 15})}, {"itemId": "A", "properties": json.dumps({"price": 10})}])
    assert _items(rt.get_recommendations(campaignArn=camp, userId="u2", filterArn=comedy)) == ["C", "E"]


def test_a_filter_must_be_active_and_of_the_campaign_group(p, rt, shop, s3, local):
    camp = _campaign(p, shop["group"], "aws-popularity-count")
    elsewhere = group_of(p, s3, name="elsewhere")
    foreign = _filter(p, elsewhere, 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', "foreign")
    code, _, message = error_of(rt.get_recommendations, campaignArn=camp, userId="u2", filterArn=foreign)
    assert code == "InvalidInputException" and elsewhere in message
    missing = foreign.replace(":filter/foreign", ":filter/nope")
    assert error_of(rt.get_recommendations, campaignArn=camp, userId="u2", filterArn=missing) == \
        ("ResourceNotFoundException", 404, f"Resource Arn {missing} does not exist.")
    local.controls.set_timing("realistic", 30)
    pending = p.create_filter(name="pending", datasetGroupArn=shop["group"],
                              filterExpression='EXCLUDE ItemID WHERE Items.PRICE > 3')["filterArn"]
    assert p.describe_filter(filterArn=pending)["filter"]["status"] == "CREATE PENDING"
    code, _, message = error_of(rt.get_recommendations, campaignArn=camp, userId="u2", filterArn=pending)
    assert code == "InvalidInputException" and "ACTIVE" in message


def test_user_filters_keep_users_and_refuse_items(p, rt, shop, local):
    adults = _filter(p, shop["group"], "INCLUDE UserID WHERE Users.AGE >= $AGE", "adults")
    buyers = _filter(p, shop["group"], 'EXCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("purchase")', "buyers")
    items = _filter(p, shop["group"], "EXCLUDE ItemID WHERE Items.PRICE > 20", "items")
    ctx = RequestContext(local.runtime, "123456789012", "us-east-1", "personalize", "Test", "")
    users = ["u6", "u1", "u2", "u3", "u4", "u5", "nobody"]
    assert filters.prepare(ctx, adults, {"AGE": "18"}, shop["group"]).users()(users) == ["u6", "u2", "u3", "u5"]
    assert filters.prepare(ctx, buyers, None, shop["group"]).users()(users) == \
        ["u6", "u1", "u2", "u4", "u5", "nobody"]
    assert filters.prepare(ctx, None, None, shop["group"]) is None
    prepared = filters.prepare(ctx, items, None, shop["group"])
    assert prepared.items(user_id="u1")(["D", "A", "B", "Z"]) == ["A", "Z"]
    with pytest.raises(AWSError, match="items \\(ItemID\\); this call needs a filter of users"):
        prepared.users()
    camp = _campaign(p, shop["group"], "aws-popularity-count")
    code, _, message = error_of(rt.get_recommendations, campaignArn=camp, userId="u1", filterArn=adults,
                                filterValues={"AGE": "18"})
    assert code == "InvalidInputException" and "users (UserID)" in message


def test_a_dataset_group_with_filters_is_in_use(p, s3):
    group = p.create_dataset_group(name="small")["datasetGroupArn"]
    items = dataset(p, group, "Items", ITEMS)
    arn = _filter(p, group, "EXCLUDE ItemID WHERE Items.PRICE > 20")
    p.delete_dataset(datasetArn=items)
    code, _, message = error_of(p.delete_dataset_group, datasetGroupArn=group)
    assert code == "ResourceInUseException" and "filters" in message
    assert p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "ACTIVE"
    p.delete_filter(filterArn=arn)
    p.delete_dataset_group(datasetGroupArn=group)
    assert error_of(p.describe_dataset_group, datasetGroupArn=group)[0] == "ResourceNotFoundException"
