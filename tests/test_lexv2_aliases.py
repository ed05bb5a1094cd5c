"""Lex V2 through boto3: bot aliases, resource policies, tags, custom vocabulary items, and what an
unfinished import shows — with AWS's errors for bad input, which change nothing."""

from __future__ import annotations

import json

import pytest
import test_lexv2_testsets as test_sets
from botocore.exceptions import ClientError
from lexv2_helpers import ROLE, bot_spec, export_and_download, import_archive, read_zip, simple_bot

ACCOUNT, REGION = "123456789012", "us-east-1"


def error_of(call, **params) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as err:
        call(**params)
    response = err.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def versioned(lex, bot: dict) -> str:
    return lex.create_bot_version(botId=bot["botId"],
                                  botVersionLocaleSpecification={"en_US": {"sourceBotVersion": "DRAFT"}})["botVersion"]


def alias_arn(bot_id: str, alias_id: str) -> str:
    return f"arn:aws:lex:{REGION}:{ACCOUNT}:bot-alias/{bot_id}/{alias_id}"


def bot_arn(bot_id: str) -> str:
    return f"arn:aws:lex:{REGION}:{ACCOUNT}:bot/{bot_id}"


# -- aliases ------------------------------------------------------------------------------


def test_every_bot_has_its_test_alias_on_draft(lex):
    bot = lex.create_bot(botName="Tagged", roleArn=ROLE, dataPrivacy={"childDirected": False},
                         idleSessionTTLInSeconds=300, botTags={"team": "bots"}, testBotAliasTags={"stage": "test"})
    (alias,) = lex.list_bot_aliases(botId=bot["botId"])["botAliasSummaries"]
    assert (alias["botAliasId"], alias["botAliasName"], alias["botVersion"]) == ("TSTALIASID", "TestBotAlias", "DRAFT")
    described = lex.describe_bot_alias(botId=bot["botId"], botAliasId="TSTALIASID")
    assert described["botAliasStatus"] == "Available"
    assert [e["botVersion"] for e in described["botAliasHistoryEvents"]] == ["DRAFT"]
    assert lex.list_tags_for_resource(resourceARN=bot_arn(bot["botId"]))["tags"] == {"team": "bots"}
    assert lex.list_tags_for_resource(resourceARN=alias_arn(bot["botId"], "TSTALIASID"))["tags"] == {"stage": "test"}
    code, status, _ = error_of(lex.delete_bot_alias, botId=bot["botId"], botAliasId="TSTALIASID")
    assert (code, status) == ("ValidationException", 400)
    code, _, message = error_of(lex.update_bot_alias, botId=bot["botId"], botAliasId="TSTALIASID",
                                botAliasName="TestBotAlias", botVersion="1")
    assert code == "ValidationException" and "DRAFT" in message
    updated = lex.update_bot_alias(botId=bot["botId"], botAliasId="TSTALIASID", botAliasName="TestBotAlias",
                                   sentimentAnalysisSettings={"detectSentiment": True})
    assert updated["sentimentAnalysisSettings"] == {"detectSentiment": True} and updated["botVersion"] == "DRAFT"


def test_alias_lifecycle_and_history(lex, local):
    bot = simple_bot(lex)
    bot_id = bot["botId"]
    first = versioned(lex, bot)
    logs = {"textLogSettings": [{"enabled": True, "destination": {"cloudWatch": {
        "cloudWatchLogGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:lex", "logPrefix": "prod"}}}]}
    hooks = {"en_US": {"enabled": True, "codeHookSpecification": {"lambdaCodeHook": {
        "lambdaARN": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:hook", "codeHookInterfaceVersion": "1.0"}}}}
    created = lex.create_bot_alias(botId=bot_id, botAliasName="prod", description="production", botVersion=first,
                                   botAliasLocaleSettings=hooks, conversationLogSettings=logs,
                                   sentimentAnalysisSettings={"detectSentiment": False}, tags={"env": "prod"})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["botAliasStatus"] == "Creating" and created["tags"] == {"env": "prod"}
    alias_id = created["botAliasId"]
    described = lex.describe_bot_alias(botId=bot_id, botAliasId=alias_id)
    assert described["botAliasStatus"] == "Available"
    assert described["botAliasLocaleSettings"] == hooks and described["conversationLogSettings"] == logs
    # the promotion: a new version, the alias moved to it
    second = versioned(lex, bot)
    local.controls.advance_clock(60)
    moved = lex.update_bot_alias(botId=bot_id, botAliasId=alias_id, botAliasName="prod", botVersion=second,
                                 botAliasLocaleSettings=hooks)
    assert moved["botVersion"] == second and moved["botAliasStatus"] == "Creating"
    history = lex.describe_bot_alias(botId=bot_id, botAliasId=alias_id)["botAliasHistoryEvents"]
    assert [e["botVersion"] for e in history] == [second, first]  # newest first
    assert "endDate" not in history[0] and history[1]["endDate"] == history[0]["startDate"]
    assert "description" not in lex.describe_bot_alias(botId=bot_id, botAliasId=alias_id)  # an update replaces
    names = [a["botAliasName"] for a in lex.list_bot_aliases(botId=bot_id)["botAliasSummaries"]]
    assert sorted(names) == ["TestBotAlias", "prod"]
    deleted = lex.delete_bot_alias(botId=bot_id, botAliasId=alias_id)
    assert deleted["botAliasStatus"] == "Deleting"
    assert error_of(lex.describe_bot_alias, botId=bot_id, botAliasId=alias_id)[:2] == ("ResourceNotFoundException", 404)


def test_alias_errors_change_nothing(lex):
    bot = simple_bot(lex)
    bot_id = bot["botId"]
    version = versioned(lex, bot)
    before = lex.list_bot_aliases(botId=bot_id)["botAliasSummaries"]
    cases = [
        (lex.create_bot_alias, {"botId": bot_id, "botAliasName": "x", "botVersion": "9"},
         "PreconditionFailedException", 412, "Bot version 9"),
        (lex.create_bot_alias, {"botId": "NOSUCHBOT1", "botAliasName": "x", "botVersion": version},
         "PreconditionFailedException", 412, "NOSUCHBOT1"),
        (lex.create_bot_alias, {"botId": bot_id, "botAliasName": "x", "botVersion": "DRAFT"},
         "ValidationException", 400, "Member must satisfy regular expression pattern: ^[0-9]+$"),
        (lex.create_bot_alias, {"botId": bot_id, "botAliasName": "TestBotAlias", "botVersion": version},
         "ConflictException", 409, "TestBotAlias"),
        (lex.create_bot_alias, {"botId": bot_id, "botAliasName": "x", "botVersion": version,
                                "botAliasLocaleSettings": {"fr_FR": {"enabled": True}}},
         "ValidationException", 400, "fr_FR"),
        (lex.describe_bot_alias, {"botId": bot_id, "botAliasId": "NOSUCHALIA"}, "ResourceNotFoundException", 404,
         "NOSUCHALIA"),
        (lex.update_bot_alias, {"botId": bot_id, "botAliasId": "NOSUCHALIA", "botAliasName": "x"},
         "PreconditionFailedException", 412, "NOSUCHALIA"),
        (lex.update_bot_alias, {"botId": bot_id, "botAliasId": "TSTALIASID", "botAliasName": "Renamed"},
         "ValidationException", 400, "renamed"),
        (lex.delete_bot_alias, {"botId": bot_id, "botAliasId": "NOSUCHALIA"}, "PreconditionFailedException", 412,
         "NOSUCHALIA"),
    ]
    for call, params, code, status, text in cases:
        got_code, got_status, message = error_of(call, **params)
        assert (got_code, got_status) == (code, status), (params, message)
        assert text in message, message
    assert lex.list_bot_aliases(botId=bot_id)["botAliasSummaries"] == before


def test_an_unbuilt_version_locale_cannot_be_enabled_and_aliases_are_limited(lex, local):
    bot = simple_bot(lex)
    version = versioned(lex, bot)
    with local.runtime.store.transaction():  # a version locale that failed its build (only a crash makes one)
        key = f"{bot['botId']}/{version}/en_US"
        doc = local.runtime.store.get(lex_scope(), "bot_locale", key)
        local.runtime.store.replace(lex_scope(), type(doc)(doc.kind, doc.key, doc.parent, doc.name,
                                                            {**doc.body, "botLocaleStatus": "Failed"},
                                                            doc.created_at, doc.updated_at))
    code, _, message = error_of(lex.create_bot_alias, botId=bot["botId"], botAliasName="x", botVersion=version,
                                botAliasLocaleSettings={"en_US": {"enabled": True}})
    assert code == "PreconditionFailedException" and "build" in message
    for number in range(5):
        lex.create_bot_alias(botId=bot["botId"], botAliasName=f"a{number}", botVersion=version)
    code, status, _ = error_of(lex.create_bot_alias, botId=bot["botId"], botAliasName="a5", botVersion=version)
    assert (code, status) == ("ServiceQuotaExceededException", 402)


def lex_scope():
    from localexport.core.store import Scope

    return Scope(ACCOUNT, REGION, "lexv2-models")


def test_versions_and_bots_in_use_by_aliases(lex):
    bot = simple_bot(lex)
    bot_id = bot["botId"]
    version = versioned(lex, bot)
    alias = lex.create_bot_alias(botId=bot_id, botAliasName="prod", botVersion=version)["botAliasId"]
    code, status, message = error_of(lex.delete_bot_version, botId=bot_id, botVersion=version)
    assert (code, status) == ("ResourceInUseException", 400) and alias in message
    code, _, message = error_of(lex.delete_bot, botId=bot_id)
    assert code == "ResourceInUseException" and alias in message
    assert lex.describe_bot_version(botId=bot_id, botVersion=version)["botStatus"] == "Available"  # nothing changed
    lex.delete_bot_version(botId=bot_id, botVersion=version, skipResourceInUseCheck=True)
    assert error_of(lex.describe_bot_version, botId=bot_id, botVersion=version)[0] == "ResourceNotFoundException"
    lex.delete_bot(botId=bot_id, skipResourceInUseCheck=True)  # the bot goes with its aliases
    assert error_of(lex.list_tags_for_resource, resourceARN=alias_arn(bot_id, alias))[0] == "ResourceNotFoundException"
    other = simple_bot(lex, "Unaliased")
    lex.delete_bot(botId=other["botId"])  # TestBotAlias alone does not hold a bot


def test_an_alias_used_by_a_bot_network(lex):
    member = simple_bot(lex)
    version = versioned(lex, member)
    alias = lex.create_bot_alias(botId=member["botId"], botAliasName="prod", botVersion=version)["botAliasId"]
    network = lex.create_bot(botName="Network", roleArn=ROLE, dataPrivacy={"childDirected": False},
                             idleSessionTTLInSeconds=300, botType="BotNetwork",
                             botMembers=[{"botMemberId": member["botId"], "botMemberName": "PizzaBot",
                                          "botMemberAliasId": alias, "botMemberAliasName": "prod",
                                          "botMemberVersion": version}])
    described = lex.describe_bot_alias(botId=member["botId"], botAliasId=alias)
    assert described["parentBotNetworks"] == [{"botId": network["botId"], "botVersion": "DRAFT"}]
    code, _, _ = error_of(lex.delete_bot_alias, botId=member["botId"], botAliasId=alias)
    assert code == "PreconditionFailedException"
    lex.delete_bot_alias(botId=member["botId"], botAliasId=alias, skipResourceInUseCheck=True)


def test_list_bot_aliases_pages(lex):
    bot = simple_bot(lex)
    version = versioned(lex, bot)
    for name in ("dev", "prod", "qa"):
        lex.create_bot_alias(botId=bot["botId"], botAliasName=name, botVersion=version)
    first = lex.list_bot_aliases(botId=bot["botId"], maxResults=3)
    rest = lex.list_bot_aliases(botId=bot["botId"], maxResults=3, nextToken=first["nextToken"])
    assert "nextToken" not in rest
    names = [a["botAliasName"] for p in (first, rest) for a in p["botAliasSummaries"]]
    assert sorted(names) == ["TestBotAlias", "dev", "prod", "qa"]
    assert error_of(lex.list_bot_aliases, botId=bot["botId"], nextToken="bogus")[0] == "ValidationException"


def test_aliases_are_not_exported(lex, wire):
    bot = simple_bot(lex)
    lex.create_bot_alias(botId=bot["botId"], botAliasName="prod", botVersion=versioned(lex, bot))
    _, data = export_and_download(lex, wire.get, {"botExportSpecification": {"botId": bot["botId"],
                                                                              "botVersion": "DRAFT"}})
    files = read_zip(data)
    assert not any("alias" in name.lower() for name in files)
    assert "prod" not in json.dumps(files)


# -- resource policies -----------------------------------------------------------------------


POLICY = {"Version": "2012-10-17", "Statement": [{"Sid": "Runtime", "Effect": "Allow",
                                                  "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                  "Action": ["lex:RecognizeText"], "Resource": "*"}]}


def test_resource_policy_with_revisions(lex):
    bot = simple_bot(lex)
    arn = bot_arn(bot["botId"])
    assert error_of(lex.describe_resource_policy, resourceArn=arn)[:2] == ("ResourceNotFoundException", 404)
    created = lex.create_resource_policy(resourceArn=arn, policy=json.dumps(POLICY))
    assert (created["resourceArn"], created["revisionId"]) == (arn, "1")
    assert error_of(lex.create_resource_policy, resourceArn=arn, policy=json.dumps(POLICY))[0] == \
        "PreconditionFailedException"
    changed = {**POLICY, "Statement": [{**POLICY["Statement"][0], "Effect": "Deny"}]}
    code, status, message = error_of(lex.update_resource_policy, resourceArn=arn, policy=json.dumps(changed),
                                     expectedRevisionId="7")
    assert (code, status) == ("PreconditionFailedException", 412) and "7" in message
    assert lex.describe_resource_policy(resourceArn=arn)["revisionId"] == "1"  # the stale update changed nothing
    assert lex.update_resource_policy(resourceArn=arn, policy=json.dumps(changed),
                                      expectedRevisionId="1")["revisionId"] == "2"
    described = lex.describe_resource_policy(resourceArn=arn)
    assert json.loads(described["policy"]) == changed and described["revisionId"] == "2"
    assert error_of(lex.delete_resource_policy, resourceArn=arn, expectedRevisionId="1")[0] == \
        "PreconditionFailedException"
    deleted = lex.delete_resource_policy(resourceArn=arn, expectedRevisionId="2")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(lex.describe_resource_policy, resourceArn=arn)[0] == "ResourceNotFoundException"
    assert error_of(lex.update_resource_policy, resourceArn=arn, policy=json.dumps(POLICY))[0] == \
        "ResourceNotFoundException"


def test_policy_statements_make_and_unmake_a_policy(lex):
    bot = simple_bot(lex)
    version = versioned(lex, bot)
    alias = lex.create_bot_alias(botId=bot["botId"], botAliasName="prod", botVersion=version)["botAliasId"]
    arn = alias_arn(bot["botId"], alias)
    connect = {"service": "connect.amazonaws.com"}
    first = lex.create_resource_policy_statement(
        resourceArn=arn, statementId="Connect", effect="Allow", principal=[connect],
        action=["lex:RecognizeText", "lex:StartConversation"],
        condition={"StringEquals": {"AWS:SourceAccount": ACCOUNT}})
    assert first["revisionId"] == "1"
    second = lex.create_resource_policy_statement(
        resourceArn=arn, statementId="Team", effect="Allow", principal=[{"arn": f"arn:aws:iam::{ACCOUNT}:role/bots"}],
        action=["lex:RecognizeText"], expectedRevisionId="1")
    assert second["revisionId"] == "2"
    statements = json.loads(lex.describe_resource_policy(resourceArn=arn)["policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["Connect", "Team"]
    assert statements[0]["Principal"] == {"Service": ["connect.amazonaws.com"]} and statements[0]["Resource"] == arn
    cases = [
        ({"statementId": "Team", "effect": "Allow", "principal": [connect], "action": ["lex:RecognizeText"]},
         "ConflictException"),
        ({"statementId": "Other", "effect": "Allow", "principal": [{"arn": "arn:aws:iam::999999999999:root"}],
          "action": ["lex:RecognizeText"]}, "ValidationException"),
        ({"statementId": "Stale", "effect": "Allow", "principal": [connect], "action": ["lex:RecognizeText"],
          "expectedRevisionId": "1"}, "PreconditionFailedException"),
    ]
    for params, code in cases:
        assert error_of(lex.create_resource_policy_statement, resourceArn=arn, **params)[0] == code, params
    assert lex.describe_resource_policy(resourceArn=arn)["revisionId"] == "2"
    assert error_of(lex.delete_resource_policy_statement, resourceArn=arn, statementId="Nope")[0] == \
        "ResourceNotFoundException"
    lex.delete_resource_policy_statement(resourceArn=arn, statementId="Connect")
    assert [s["Sid"] for s in json.loads(lex.describe_resource_policy(resourceArn=arn)["policy"])["Statement"]] == [
        "Team"]
    lex.delete_resource_policy_statement(resourceArn=arn, statementId="Team")  # the last one takes the policy along
    assert error_of(lex.describe_resource_policy, resourceArn=arn)[0] == "ResourceNotFoundException"


def test_policies_are_validated_and_scoped(lex, make_client):
    bot = simple_bot(lex)
    arn = bot_arn(bot["botId"])
    for policy, text in [("not json", "JSON"), ('{"Version": "2012-10-17"}', "Statement"),
                         ('{"Statement": [{"Effect": "Maybe", "Action": "lex:*"}]}', "Effect"),
                         (('{"Statement": [{"Sid": "a", "Effect": "Allow", "Action": "x"}, '
                           '{"Sid": "a", "Effect": "Allow", "Action": "y"}]}'), "unique")]:
        code, _, message = error_of(lex.create_resource_policy, resourceArn=arn, policy=policy)
        assert code == "ValidationException" and text in message, message
    code, _, message = error_of(lex.create_resource_policy, resourceArn="arn:aws:lex:us-east-1:123456789012:bot:Pizza",
                                policy=json.dumps(POLICY))
    assert code == "ValidationException" and message == "RelativeId does not match Lex ARN format: bot:Pizza"
    lex.create_resource_policy(resourceArn=arn, policy=json.dumps(POLICY))
    other = make_client("lexv2-models", account="210987654321")
    assert error_of(other.describe_resource_policy, resourceArn=arn)[0] == "ResourceNotFoundException"
    elsewhere = make_client("lexv2-models", region="eu-west-1")
    assert error_of(elsewhere.describe_resource_policy, resourceArn=arn)[0] == "ResourceNotFoundException"


# -- tags ----------------------------------------------------------------------------------------


def test_tags_on_bots_aliases_and_test_sets(lex, wire):
    bot = simple_bot(lex)
    arn = bot_arn(bot["botId"])
    lex.tag_resource(resourceARN=arn, tags={"team": "bots", "cost": "1"})
    lex.tag_resource(resourceARN=arn, tags={"cost": "2"})
    assert lex.list_tags_for_resource(resourceARN=arn)["tags"] == {"team": "bots", "cost": "2"}
    lex.untag_resource(resourceARN=arn, tagKeys=["team", "absent"])
    assert lex.list_tags_for_resource(resourceARN=arn)["tags"] == {"cost": "2"}
    lex.update_bot(botId=bot["botId"], botName="PizzaBot", roleArn=ROLE, dataPrivacy={"childDirected": False},
                   idleSessionTTLInSeconds=400)
    assert lex.list_tags_for_resource(resourceARN=arn)["tags"] == {"cost": "2"}  # UpdateBot leaves tags alone
    test_set_spec = test_sets.spec()
    test_set_spec["testSetImportResourceSpecification"]["testSetTags"] = {"suite": "smoke"}
    test_set_id = import_archive(lex, wire.http.put, test_sets.CSV, test_set_spec)["importedResourceId"]
    test_set_arn = f"arn:aws:lex:{REGION}:{ACCOUNT}:test-set/{test_set_id}"
    assert lex.list_tags_for_resource(resourceARN=test_set_arn)["tags"] == {"suite": "smoke"}
    lex.tag_resource(resourceARN=test_set_arn, tags={"owner": "qa"})
    assert lex.list_tags_for_resource(resourceARN=test_set_arn)["tags"] == {"suite": "smoke", "owner": "qa"}


def test_tag_errors_change_nothing(lex):
    bot = simple_bot(lex)
    arn = bot_arn(bot["botId"])
    lex.tag_resource(resourceARN=arn, tags={f"k{i}": "v" for i in range(150)})
    cases = [
        ({"resourceARN": arn, "tags": {f"n{i}": "v" for i in range(60)}}, "ValidationException", "200"),
        ({"resourceARN": arn, "tags": {"aws:owner": "me"}}, "ValidationException", "reserved"),
        ({"resourceARN": arn, "tags": {"k" * 129: "v"}}, "ValidationException", "length less than or equal to 128"),
        ({"resourceARN": bot_arn("NOSUCHBOT1"), "tags": {"a": "b"}}, "ResourceNotFoundException", "NOSUCHBOT1"),
        ({"resourceARN": f"arn:aws:lex:{REGION}:999999999999:bot/{bot['botId']}", "tags": {"a": "b"}},
         "ResourceNotFoundException", "999999999999"),
        ({"resourceARN": f"arn:aws:lex:{REGION}:{ACCOUNT}:bot-alias/{bot['botId']}", "tags": {"a": "b"}},
         "ValidationException", "RelativeId does not match Lex ARN format"),
    ]
    for params, code, text in cases:
        got, _, message = error_of(lex.tag_resource, **params)
        assert got == code and text in message, (params["resourceARN"], message)
    assert len(lex.list_tags_for_resource(resourceARN=arn)["tags"]) == 150


# -- custom vocabulary items -----------------------------------------------------------------------


def test_custom_vocabulary_items_in_batches(lex, wire):
    bot = simple_bot(lex)
    where = bot["where"]
    created = lex.batch_create_custom_vocabulary_item(**where, customVocabularyItemList=[
        {"phrase": "pepperoni", "weight": 3}, {"phrase": "calzone", "displayAs": "Calzone"},
        {"phrase": "Pepperoni"}])
    assert [i["phrase"] for i in created["resources"]] == ["pepperoni", "calzone"]
    assert [(e["errorCode"], e.get("itemId")) for e in created["errors"]] == [("DUPLICATE_INPUT", None)]
    assert lex.describe_bot_locale(**where)["botLocaleStatus"] == "NotBuilt"  # a change to build
    items = {i["phrase"]: i for i in lex.list_custom_vocabulary_items(**where)["customVocabularyItems"]}
    assert items["pepperoni"]["weight"] == 3 and items["calzone"]["displayAs"] == "Calzone"
    again = lex.batch_create_custom_vocabulary_item(**where, customVocabularyItemList=[{"phrase": "calzone"}])
    assert again["resources"] == [] and again["errors"][0]["errorCode"] == "RESOURCE_ALREADY_EXISTS"
    calzone = items["calzone"]["itemId"]
    updated = lex.batch_update_custom_vocabulary_item(**where, customVocabularyItemList=[
        {"itemId": calzone, "phrase": "calzones", "weight": 1}, {"itemId": "NOSUCHITEM", "phrase": "x"}])
    assert updated["resources"] == [{"itemId": calzone, "phrase": "calzones", "weight": 1}]
    assert updated["errors"][0]["errorCode"] == "RESOURCE_DOES_NOT_EXIST"
    deleted = lex.batch_delete_custom_vocabulary_item(**where, customVocabularyItemList=[
        {"itemId": items["pepperoni"]["itemId"]}, {"itemId": "NOSUCHITEM"}])
    assert [i["phrase"] for i in deleted["resources"]] == ["pepperoni"] and len(deleted["errors"]) == 1
    left = lex.list_custom_vocabulary_items(**where)["customVocabularyItems"]
    assert [(i["phrase"], i.get("weight")) for i in left] == [("calzones", 1)]
    # the vocabulary export sees the items
    _, data = export_and_download(lex, wire.get, {"botLocaleExportSpecification": {
        "botId": bot["botId"], "botVersion": "DRAFT", "localeId": "en_US"}})
    vocabulary = next(v for k, v in read_zip(data).items() if k.endswith("CustomVocabulary.json"))
    assert vocabulary["customVocabularyItems"] == [{"phrase": "calzones", "weight": 1}]


def test_custom_vocabulary_item_errors(lex):
    bot = simple_bot(lex)
    where = bot["where"]
    version = versioned(lex, bot)
    entry = [{"itemId": "ABCDEFGHIJ"}]
    assert error_of(lex.batch_delete_custom_vocabulary_item, **where, customVocabularyItemList=entry)[0] == \
        "ResourceNotFoundException"  # no vocabulary yet
    assert error_of(lex.batch_create_custom_vocabulary_item, **{**where, "botVersion": version},
                    customVocabularyItemList=[{"phrase": "x"}])[0] == "ValidationException"
    assert error_of(lex.batch_create_custom_vocabulary_item, **where,
                    customVocabularyItemList=[{"phrase": "x", "weight": 4}])[0] == "ValidationException"
    assert error_of(lex.batch_create_custom_vocabulary_item, **where,
                    customVocabularyItemList=[{"phrase": f"p{i}"} for i in range(11)])[0] == "ValidationException"
    assert error_of(lex.list_custom_vocabulary_items, **where)[0] == "ResourceNotFoundException"


# -- an import in progress -----------------------------------------------------------------------


def test_bots_and_locales_show_importing_while_an_import_waits(lex, wire, local):
    bot = simple_bot(lex)
    _, data = export_and_download(lex, wire.get, {"botExportSpecification": {"botId": bot["botId"],
                                                                              "botVersion": "DRAFT"}})
    local.controls.set_timing("manual")

    def start(spec: dict, merge: str) -> str:
        slot = lex.create_upload_url()
        wire.http.put(slot["uploadUrl"], content=data)
        lex.start_import(importId=slot["importId"], resourceSpecification=spec, mergeStrategy=merge)
        return slot["importId"]

    new = start(bot_spec("Copy"), "FailOnConflict")
    (pending,) = [b for b in lex.list_bots()["botSummaries"] if b["botName"] == "Copy"]
    assert pending["botStatus"] == "Importing"
    assert lex.describe_bot(botId=pending["botId"])["botStatus"] == "Importing"
    local.controls.advance(new)
    assert lex.describe_import(importId=new)["importedResourceId"] == pending["botId"]  # the id shown meanwhile
    assert lex.describe_bot(botId=pending["botId"])["botStatus"] == "Available"
    overwrite = start(bot_spec("PizzaBot"), "Overwrite")
    assert lex.describe_bot(botId=bot["botId"])["botStatus"] == "Importing"
    assert lex.describe_bot_locale(**bot["where"])["botLocaleStatus"] == "Importing"
    local.controls.fail(overwrite, ["stopped"])
    assert lex.describe_bot(botId=bot["botId"])["botStatus"] == "Available"  # a failed import leaves no trace
    assert lex.describe_bot_locale(**bot["where"])["botLocaleStatus"] == "Built"
    locale_import = start({"botLocaleImportSpecification": {"botId": bot["botId"], "botVersion": "DRAFT",
                                                            "localeId": "en_US"}}, "Overwrite")
    assert lex.describe_bot(botId=bot["botId"])["botStatus"] == "Available"
    assert lex.list_bot_locales(botId=bot["botId"], botVersion="DRAFT")["botLocaleSummaries"][0][
        "botLocaleStatus"] == "Importing"
    local.controls.advance(locale_import)
    assert lex.describe_import(importId=locale_import)["importStatus"] == "Failed"  # a bot archive, not a locale's
    assert lex.describe_bot_locale(**bot["where"])["botLocaleStatus"] == "Built"


def test_importing_in_realistic_mode_until_the_job_runs(lex, wire, local):
    bot = simple_bot(lex)
    _, data = export_and_download(lex, wire.get, {"botExportSpecification": {"botId": bot["botId"],
                                                                              "botVersion": "DRAFT"}})
    local.controls.set_timing("realistic", 30)  # the worker would take it in 30 s; the test advances it
    slot = lex.create_upload_url()
    wire.http.put(slot["uploadUrl"], content=data)
    lex.start_import(importId=slot["importId"], resourceSpecification=bot_spec("PizzaBot"), mergeStrategy="Overwrite")
    assert lex.describe_import(importId=slot["importId"])["importStatus"] == "InProgress"
    assert lex.describe_bot(botId=bot["botId"])["botStatus"] == "Importing"
    assert lex.describe_bot_locale(**bot["where"])["botLocaleStatus"] == "Importing"
    local.controls.advance(slot["importId"])
    assert lex.describe_import(importId=slot["importId"])["importStatus"] == "Completed"
    assert lex.describe_bot(botId=bot["botId"])["botStatus"] == "Available"
    assert lex.describe_bot_locale(**bot["where"])["botLocaleStatus"] == "NotBuilt"  # imported: to be built
