"""In-process mode, the pytest plugin's fixtures, and life beside moto."""

from __future__ import annotations

import io
import zipfile

import boto3
import httpx
import pytest
import requests
import urllib3
from botocore.exceptions import ClientError, WaiterError
from moto import mock_aws

from localexport import mock_export

ROLE = "arn:aws:iam::123456789012:role/LexRole"


def export_flow(lex, http_get=requests.get) -> bytes:
    """The user's script: a bot, a locale, an export, a download."""
    bot = lex.create_bot(botName="MockBot", roleArn=ROLE, dataPrivacy={"childDirected": False},
                         idleSessionTTLInSeconds=300)
    lex.get_waiter("bot_available").wait(botId=bot["botId"], WaiterConfig={"Delay": 0.05})
    lex.create_bot_locale(botId=bot["botId"], botVersion="DRAFT", localeId="en_US", nluIntentConfidenceThreshold=0.4)
    export = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot["botId"],
                                                                                "botVersion": "DRAFT"}},
                               fileFormat="LexJson")
    lex.get_waiter("bot_export_completed").wait(exportId=export["exportId"], WaiterConfig={"Delay": 0.05})
    response = http_get(lex.describe_export(exportId=export["exportId"])["downloadUrl"])
    assert response.status_code == 200
    data = response.content
    assert "MockBot/Bot.json" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    return data


def test_context_manager_needs_no_endpoint_and_covers_earlier_clients():
    early = boto3.client("lexv2-models", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    with mock_export():
        export_flow(early)
        later = boto3.client("lexv2-models", region_name="us-east-1")
        assert [b["botName"] for b in later.list_bots()["botSummaries"]] == ["MockBot"]
    with mock_export():  # fresh state for every context
        assert boto3.client("lexv2-models", region_name="us-east-1").list_bots()["botSummaries"] == []


def test_download_and_upload_urls_work_for_every_covered_http_client():
    with mock_export():
        lex = boto3.client("lexv2-models", region_name="us-east-1")
        data = export_flow(lex)
        export_id = lex.list_exports()["exportSummaries"][0]["exportId"]
        url = lex.describe_export(exportId=export_id)["downloadUrl"]
        assert httpx.get(url).content == data
        assert urllib3.PoolManager().request("GET", url).data == data
        for put in (lambda u: requests.put(u, data=data), lambda u: httpx.put(u, content=data)):
            slot = lex.create_upload_url()
            assert put(slot["uploadUrl"]).status_code == 200


@mock_export()
def test_as_a_function_decorator():
    assert boto3.client("lexv2-models", region_name="us-east-1").list_bots()["botSummaries"] == []


@mock_export(keep_state=False)
class TestAsAClassDecorator:
    def test_one(self):
        export_flow(boto3.client("lexv2-models", region_name="us-east-1"))

    def test_two_starts_empty(self):
        assert boto3.client("lexv2-models", region_name="us-east-1").list_bots()["botSummaries"] == []


def test_keep_state_across_entries():
    mock = mock_export(keep_state=True)
    with mock:
        export_flow(boto3.client("lexv2-models", region_name="us-east-1"))
    with mock:
        assert len(boto3.client("lexv2-models", region_name="us-east-1").list_bots()["botSummaries"]) == 1
    mock.instance.close()


def test_controls_in_process():
    with mock_export() as mock:
        mock.controls.fail_next(["quota of the test"])
        lex = boto3.client("lexv2-models", region_name="us-east-1")
        with pytest.raises(WaiterError):
            export_flow(lex)
        failed = lex.list_exports()["exportSummaries"][0]
        assert failed["exportStatus"] == "Failed"


@pytest.mark.parametrize("moto_first", [True, False])
def test_beside_moto_the_archive_goes_into_a_moto_bucket(moto_first):
    first, second = (mock_aws(), mock_export()) if moto_first else (mock_export(), mock_aws())
    with first, second:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bot-backups")
        data = export_flow(boto3.client("lexv2-models", region_name="us-east-1"))
        s3.put_object(Bucket="bot-backups", Key="MockBot.zip", Body=data)
        assert s3.get_object(Bucket="bot-backups", Key="MockBot.zip")["Body"].read() == data
        # Lex V2 is answered by localexport, not by moto's own Lex V2 backend
        assert boto3.client("lexv2-models", region_name="us-east-1").list_exports()["exportSummaries"]


def test_beside_moto_lex_v2_answers_everything_moto_answered():
    """A suite written for moto's lexv2-models (bots, aliases, resource policies, tags) keeps working when
    mock_export takes Lex V2 over: each of those operations is answered, with AWS's statuses."""
    moto_operations = {"CreateBot", "DescribeBot", "UpdateBot", "ListBots", "DeleteBot", "CreateBotAlias",
                       "DescribeBotAlias", "UpdateBotAlias", "ListBotAliases", "DeleteBotAlias",
                       "CreateResourcePolicy", "DescribeResourcePolicy", "UpdateResourcePolicy",
                       "DeleteResourcePolicy", "TagResource", "UntagResource", "ListTagsForResource"}
    from localexport import services

    assert moto_operations <= set(services.operations()["lexv2-models"].handlers)
    with mock_aws(), mock_export():
        lex = boto3.client("lexv2-models", region_name="us-east-1")
        bot = lex.create_bot(botName="MotoBot", roleArn=ROLE, dataPrivacy={"childDirected": False},
                             idleSessionTTLInSeconds=300, botTags={"team": "a"})
        bot_id = bot["botId"]
        lex.update_bot(botId=bot_id, botName="MotoBot", roleArn=ROLE, dataPrivacy={"childDirected": False},
                       idleSessionTTLInSeconds=600)
        lex.create_bot_locale(botId=bot_id, botVersion="DRAFT", localeId="en_US", nluIntentConfidenceThreshold=0.4)
        lex.create_intent(botId=bot_id, botVersion="DRAFT", localeId="en_US", intentName="Hello",
                          sampleUtterances=[{"utterance": "hello"}])
        lex.build_bot_locale(botId=bot_id, botVersion="DRAFT", localeId="en_US")
        version = lex.create_bot_version(botId=bot_id, botVersionLocaleSpecification={
            "en_US": {"sourceBotVersion": "DRAFT"}})["botVersion"]
        alias = lex.create_bot_alias(botId=bot_id, botAliasName="live", botVersion=version)
        assert lex.describe_bot_alias(botId=bot_id, botAliasId=alias["botAliasId"])["botAliasStatus"] == "Available"
        lex.update_bot_alias(botId=bot_id, botAliasId=alias["botAliasId"], botAliasName="live", description="d")
        assert len(lex.list_bot_aliases(botId=bot_id)["botAliasSummaries"]) == 2  # TestBotAlias too
        arn = f"arn:aws:lex:us-east-1:123456789012:bot/{bot_id}"
        policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lex:*","Resource":"*"}]}'
        revision = lex.create_resource_policy(resourceArn=arn, policy=policy)["revisionId"]
        assert lex.describe_resource_policy(resourceArn=arn)["policy"] == policy
        revision = lex.update_resource_policy(resourceArn=arn, policy=policy, expectedRevisionId=revision)["revisionId"]
        lex.delete_resource_policy(resourceArn=arn, expectedRevisionId=revision)
        lex.tag_resource(resourceARN=arn, tags={"env": "test"})
        lex.untag_resource(resourceARN=arn, tagKeys=["team"])
        assert lex.list_tags_for_resource(resourceARN=arn)["tags"] == {"env": "test"}
        lex.delete_bot_alias(botId=bot_id, botAliasId=alias["botAliasId"])
        assert lex.delete_bot(botId=bot_id)["botStatus"] == "Deleting"
        assert lex.list_bots()["botSummaries"] == []


def test_beside_moto_quicksight_answers_everything_moto_answered():
    """A suite written for moto's quicksight (users, groups, memberships, account settings, data sources and
    sets, ingestions, dashboards, tags) keeps working when mock_export takes QuickSight over."""
    from moto.quicksight.responses import QuickSightResponse

    from localexport import services

    moto_methods = {m for m in vars(QuickSightResponse) if not m.startswith("_") and m != "quicksight_backend"}
    ours = {"".join(w.capitalize() for w in m.split("_")) for m in moto_methods}
    assert ours <= set(services.operations()["quicksight"].handlers), ours - set(
        services.operations()["quicksight"].handlers)
    account = "123456789012"
    ns = {"AwsAccountId": account, "Namespace": "default"}
    with mock_aws(), mock_export():
        qs = boto3.client("quicksight", region_name="us-east-1")
        user = qs.register_user(**ns, IdentityType="QUICKSIGHT", UserName="alice", Email="a@example.com",
                                UserRole="READER")["User"]
        qs.update_user(**ns, UserName="alice", Email="alice@example.com", Role="AUTHOR")
        qs.create_group(**ns, GroupName="team")
        qs.create_group_membership(**ns, GroupName="team", MemberName="alice")
        assert [g["GroupName"] for g in qs.list_user_groups(**ns, UserName="alice")["GroupList"]] == ["team"]
        assert qs.describe_group_membership(**ns, GroupName="team", MemberName="alice")["GroupMember"][
            "Arn"] == user["Arn"]
        qs.update_account_settings(AwsAccountId=account, DefaultNamespace="default", NotificationEmail="bi@x.com")
        assert qs.describe_account_settings(AwsAccountId=account)["AccountSettings"]["NotificationEmail"] == \
            "bi@x.com"
        source = qs.create_data_source(AwsAccountId=account, DataSourceId="src", Name="src", Type="ATHENA",
                                       DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}})["Arn"]
        created = qs.create_data_set(AwsAccountId=account, DataSetId="ds", Name="ds", ImportMode="SPICE",
                                     PhysicalTableMap={"t": {"RelationalTable": {
                                         "DataSourceArn": source, "Name": "sales",
                                         "InputColumns": [{"Name": "c", "Type": "STRING"}]}}})
        assert created["IngestionArn"].endswith(f"/ingestion/{created['IngestionId']}")
        qs.create_ingestion(AwsAccountId=account, DataSetId="ds", IngestionId="manual-1")
        qs.tag_resource(ResourceArn=source, Tags=[{"Key": "k", "Value": "v"}])
        assert qs.list_tags_for_resource(ResourceArn=source)["Tags"] == [{"Key": "k", "Value": "v"}]
        qs.delete_user(**ns, UserName="alice")
        assert qs.list_group_memberships(**ns, GroupName="team")["GroupMemberList"] == []


def test_the_same_body_in_process(localexport_mock, localexport_controls):
    _same_test_body(localexport_mock, localexport_controls)


def test_the_same_body_against_the_server_fixture(localexport_server, localexport_controls):
    _same_test_body(localexport_server, localexport_controls)


def _same_test_body(localexport, controls):
    lex = localexport.client("lexv2-models")
    export_flow(lex)
    controls.set_timing("manual")
    bot_id = lex.list_bots()["botSummaries"][0]["botId"]
    export_id = lex.create_export(resourceSpecification={"botLocaleExportSpecification": {
        "botId": bot_id, "botVersion": "DRAFT", "localeId": "en_US"}}, fileFormat="LexJson")["exportId"]
    assert lex.describe_export(exportId=export_id)["exportStatus"] == "InProgress"
    controls.advance(export_id)
    assert lex.describe_export(exportId=export_id)["exportStatus"] == "Completed"
    controls.fail_next(["injected"])
    controls.set_timing("immediate")
    lex.delete_export(exportId=export_id)
    failed = lex.create_export(resourceSpecification={"botLocaleExportSpecification": {
        "botId": bot_id, "botVersion": "DRAFT", "localeId": "en_US"}}, fileFormat="LexJson")["exportId"]
    assert lex.describe_export(exportId=failed)["failureReasons"] == ["injected"]


@pytest.mark.parametrize("with_moto", [False, True])
def test_personalize_and_its_s3_in_process(with_moto):
    """Under mock_export, S3 is answered too (moto's S3 backend, shared with mock_aws when that is active)."""
    outer = mock_aws() if with_moto else mock_export()
    with outer, mock_export() if with_moto else io.StringIO():
        personalize, s3 = boto3.client("personalize", region_name="us-east-1"), boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="in-process-data")
        s3.put_object(Bucket="in-process-data", Key="users.csv", Body=b"USER_ID,AGE\nu1,30\n")
        group = personalize.create_dataset_group(name="g")["datasetGroupArn"]
        schema = personalize.create_schema(name="s", schema='{"type": "record", "name": "Users", "fields": ['
                                           '{"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"}]}')
        dataset = personalize.create_dataset(name="d", schemaArn=schema["schemaArn"], datasetGroupArn=group,
                                             datasetType="Users")["datasetArn"]
        role = "arn:aws:iam::123456789012:role/r"
        personalize.create_dataset_import_job(jobName="i", datasetArn=dataset, roleArn=role,
                                              dataSource={"dataLocation": "s3://in-process-data/users.csv"})
        job = personalize.create_dataset_export_job(jobName="e", datasetArn=dataset, roleArn=role, ingestionMode="BULK",
                                                    jobOutput={"s3DataDestination": {"path": "s3://in-process-data/o/"}})
        status = personalize.describe_dataset_export_job(datasetExportJobArn=job["datasetExportJobArn"])
        assert status["datasetExportJob"]["status"] == "ACTIVE"
        body = s3.get_object(Bucket="in-process-data", Key="o/e/part-00000.csv")["Body"].read()
        assert body.decode().splitlines() == ["USER_ID,AGE", "u1,30"]


def test_inside_the_mock_calls_are_not_signed_yet_each_key_is_its_own_account():
    seen = []
    with mock_export():
        alice = boto3.client("lexv2-models", region_name="eu-west-1", aws_access_key_id="111111111111",
                             aws_secret_access_key="x")
        bob = boto3.client("lexv2-models", region_name="eu-west-1", aws_access_key_id="222222222222",
                           aws_secret_access_key="x")
        alice.meta.events.register("before-send", lambda request, **_: seen.append(request.headers["Authorization"]))
        alice.create_bot(botName="AliceBot", roleArn=ROLE, dataPrivacy={"childDirected": False},
                         idleSessionTTLInSeconds=300)
        assert [b["botName"] for b in alice.list_bots()["botSummaries"]] == ["AliceBot"]
        assert bob.list_bots()["botSummaries"] == []
    assert seen and all(b"Credential=111111111111/" in h and b"/eu-west-1/lex/aws4_request" in h
                        and b"Signature=unsigned-inside-the-mock" in h for h in seen), seen


def test_a_mock_that_checks_signatures_gets_them_signed(tmp_path, monkeypatch):
    keys = tmp_path / "credentials.json"
    keys.write_text('{"AKIAALICE00000000001": {"secret": "alice-secret", "account": "111111111111"}}')
    monkeypatch.setenv("LOCALEXPORT_CREDENTIALS", str(keys))
    with mock_export():
        def lex(secret: str):
            return boto3.client("lexv2-models", region_name="us-east-1", aws_access_key_id="AKIAALICE00000000001",
                                aws_secret_access_key=secret)
        assert lex("alice-secret").list_bots()["botSummaries"] == []
        with pytest.raises(ClientError) as refused:
            lex("not-her-secret").list_bots()
        assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
