"""QuickSight through boto3: users, groups, memberships, namespaces, account settings, permissions that must
name real principals, and constraint failures worded as real QuickSight words them."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from quicksight_helpers import ACCOUNT, arn, build
from test_wire import error_of

from localexport.aws.models import service_model

NS = {"AwsAccountId": ACCOUNT, "Namespace": "default"}
OTHER = "210987654321"


@pytest.fixture
def qs(make_client):
    return make_client("quicksight")


def register(qs, name: str = "alice", namespace: str = "default", **extra):
    return qs.register_user(AwsAccountId=ACCOUNT, Namespace=namespace, IdentityType="QUICKSIGHT", UserName=name,
                            Email=f"{name}@example.com", UserRole="READER", **extra)


def user_arn(name: str, namespace: str = "default") -> str:
    return f"arn:aws:quicksight:us-east-1:{ACCOUNT}:user/{namespace}/{name}"


# -- users -------------------------------------------------------------------------------------


def test_register_users_of_each_identity_type(qs, local):
    quick = register(qs, "alice", CustomPermissionsName="analysts-only")
    assert quick["Status"] == 201 and quick["ResponseMetadata"]["HTTPStatusCode"] == 201
    user = quick["User"]
    assert (user["Arn"], user["UserName"], user["IdentityType"], user["Role"]) == (
        user_arn("alice"), "alice", "QUICKSIGHT", "READER")
    assert user["Active"] is False and user["PrincipalId"].startswith("user/d-")
    assert quick["UserInvitationUrl"].startswith("https://us-east-1.quicksight.aws.amazon.com/")
    role = qs.register_user(**NS, IdentityType="IAM", IamArn=f"arn:aws:iam::{ACCOUNT}:role/service-role/embedding",
                            SessionName="bob@example.com", Email="bob@example.com", UserRole="AUTHOR")
    assert "UserInvitationUrl" not in role
    assert role["User"]["UserName"] == "embedding/bob@example.com"  # {role}/{session}, the role's path dropped
    assert role["User"]["Arn"] == user_arn("embedding/bob@example.com")
    assert role["User"]["PrincipalId"].startswith("federated/iam/AROA") and role["User"]["PrincipalId"].endswith(
        ":bob@example.com")
    iam = qs.register_user(**NS, IdentityType="IAM", IamArn=f"arn:aws:iam::{ACCOUNT}:user/carol", Email="c@x",
                           UserRole="ADMIN_PRO")
    assert iam["User"]["UserName"] == "carol" and iam["User"]["PrincipalId"].startswith("federated/iam/AIDA")
    described = qs.describe_user(**NS, UserName="embedding/bob@example.com")["User"]
    assert described == role["User"]
    assert sorted(u["UserName"] for u in qs.list_users(**NS)["UserList"]) == [
        "alice", "carol", "embedding/bob@example.com"]
    local.controls.console("quicksight", "ActivateUser", ACCOUNT, "us-east-1", {"UserName": "alice"})
    assert qs.describe_user(**NS, UserName="alice")["User"]["Active"] is True  # signed in once


def test_register_user_errors_change_nothing(qs):
    register(qs, "alice")
    cases = [
        ({"IdentityType": "QUICKSIGHT", "UserName": "alice"}, "ResourceExistsException", 409, "already exists"),
        ({"IdentityType": "IAM", "IamArn": f"arn:aws:iam::{ACCOUNT}:user/x", "UserName": "x"},
         "InvalidParameterValueException", 400, "not applicable to this identity type: User Name"),
        ({"IdentityType": "IAM"}, "InvalidParameterValueException", 400, "Invalid resource identifiers"),
        ({"IdentityType": "IAM", "IamArn": f"arn:aws:iam::{ACCOUNT}:role/r"}, "InvalidParameterValueException", 400,
         "Invalid resource identifiers"),  # a role needs a session name
        ({"IdentityType": "QUICKSIGHT"}, "InvalidParameterValueException", 400, "Invalid resource identifiers"),
        ({"IdentityType": "QUICKSIGHT", "UserName": "x", "IamArn": f"arn:aws:iam::{ACCOUNT}:user/x"},
         "InvalidParameterValueException", 400, "IAM ARN"),
        ({"IdentityType": "QUICKSIGHT", "UserName": "y", "UserRole": "OWNER"}, "ValidationException", 400,
         "userRole"),
    ]
    for extra, code, status, text in cases:
        params = {**NS, "Email": "e@x", "UserRole": "READER", **extra}
        got, got_status, message = error_of(qs.register_user, **params)
        assert (got, got_status) == (code, status) and text in message, (extra, message)
    got, status, message = error_of(qs.register_user, AwsAccountId=ACCOUNT, Namespace="nope",
                                    IdentityType="QUICKSIGHT", UserName="z", Email="z@x", UserRole="READER")
    assert (got, status) == ("ResourceNotFoundException", 404)
    assert message == f"Namespace nope not found in account {ACCOUNT}. AWS account ID: {ACCOUNT}, Namespace: nope."
    assert [u["UserName"] for u in qs.list_users(**NS)["UserList"]] == ["alice"]


def test_update_and_delete_users(qs):
    register(qs, "alice")
    updated = qs.update_user(**NS, UserName="alice", Email="alice@corp.example", Role="AUTHOR",
                             CustomPermissionsName="no-export")["User"]
    assert (updated["Email"], updated["Role"], updated["CustomPermissionsName"]) == (
        "alice@corp.example", "AUTHOR", "no-export")
    cleared = qs.update_user(**NS, UserName="alice", Email="a@x", Role="AUTHOR", UnapplyCustomPermissions=True)
    assert "CustomPermissionsName" not in cleared["User"]
    assert error_of(qs.update_user, **NS, UserName="nobody", Email="a@x", Role="READER")[:2] == (
        "ResourceNotFoundException", 404)
    principal = register(qs, "bob")["User"]["PrincipalId"]
    qs.delete_user_by_principal_id(**NS, PrincipalId=principal)
    qs.delete_user(**NS, UserName="alice")
    assert qs.list_users(**NS)["UserList"] == []
    assert error_of(qs.delete_user, **NS, UserName="alice")[:2] == ("ResourceNotFoundException", 404)
    assert error_of(qs.delete_user_by_principal_id, **NS, PrincipalId=principal)[0] == "ResourceNotFoundException"


# -- groups and memberships --------------------------------------------------------------------------


def test_groups_and_memberships(qs):
    for name in ("alice", "bob"):
        register(qs, name)
    created = qs.create_group(**NS, GroupName="analysts", Description="BI team")
    assert created["Status"] == 201
    group = created["Group"]
    assert group["Arn"] == f"arn:aws:quicksight:us-east-1:{ACCOUNT}:group/default/analysts"
    assert group["PrincipalId"].startswith("group/d-") and group["Description"] == "BI team"
    assert "Description" not in qs.create_group(**NS, GroupName="admins")["Group"]
    member = qs.create_group_membership(**NS, GroupName="analysts", MemberName="alice")["GroupMember"]
    assert member == {"Arn": user_arn("alice"), "MemberName": "alice"}  # the user's ARN, as AWS answers
    qs.create_group_membership(**NS, GroupName="analysts", MemberName="alice")  # a PUT: idempotent
    qs.create_group_membership(**NS, GroupName="analysts", MemberName="bob")
    qs.create_group_membership(**NS, GroupName="admins", MemberName="alice")
    assert [m["MemberName"] for m in qs.list_group_memberships(**NS, GroupName="analysts")["GroupMemberList"]] == [
        "alice", "bob"]
    assert qs.describe_group_membership(**NS, GroupName="admins", MemberName="alice")["GroupMember"] == member
    assert [g["GroupName"] for g in qs.list_user_groups(**NS, UserName="alice")["GroupList"]] == ["admins", "analysts"]
    found = qs.search_groups(**NS, Filters=[{"Operator": "StartsWith", "Name": "GROUP_NAME", "Value": "ana"}])
    assert [g["GroupName"] for g in found["GroupList"]] == ["analysts"]
    assert qs.search_groups(**NS, Filters=[{"Operator": "StartsWith", "Name": "GROUP_NAME", "Value": "Ana"}])[
        "GroupList"] == []  # StartsWith is case-sensitive
    assert qs.update_group(**NS, GroupName="analysts", Description="Analytics")["Group"]["Description"] == "Analytics"
    qs.delete_group_membership(**NS, GroupName="analysts", MemberName="bob")
    assert error_of(qs.describe_group_membership, **NS, GroupName="analysts", MemberName="bob")[:2] == (
        "ResourceNotFoundException", 404)
    qs.delete_user(**NS, UserName="alice")  # a user leaves its groups with it
    assert qs.list_group_memberships(**NS, GroupName="admins")["GroupMemberList"] == []
    qs.delete_group(**NS, GroupName="admins")
    assert [g["GroupName"] for g in qs.list_groups(**NS)["GroupList"]] == ["analysts"]


def test_group_errors_change_nothing(qs):
    register(qs, "alice")
    qs.create_group(**NS, GroupName="analysts")
    cases = [
        (qs.create_group, {"GroupName": "analysts"}, "ResourceExistsException", 409),
        (qs.describe_group, {"GroupName": "nope"}, "ResourceNotFoundException", 404),
        (qs.delete_group, {"GroupName": "nope"}, "ResourceNotFoundException", 404),
        (qs.create_group_membership, {"GroupName": "analysts", "MemberName": "nobody"}, "ResourceNotFoundException",
         404),
        (qs.create_group_membership, {"GroupName": "nope", "MemberName": "alice"}, "ResourceNotFoundException", 404),
        (qs.search_groups, {"Filters": [{"Operator": "StringEquals", "Name": "GROUP_NAME", "Value": "a"}]},
         "ValidationException", 400),
        (qs.list_groups, {"NextToken": "bogus"}, "InvalidNextTokenException", 400),
    ]
    for call, extra, code, status in cases:
        assert error_of(call, **NS, **extra)[:2] == (code, status), (call, extra)
    assert [g["GroupName"] for g in qs.list_groups(**NS)["GroupList"]] == ["analysts"]
    assert qs.list_group_memberships(**NS, GroupName="analysts")["GroupMemberList"] == []


def test_listings_page(qs):
    for number in range(5):
        register(qs, f"user{number}")
    first = qs.list_users(**NS, MaxResults=2)
    names = [u["UserName"] for u in first["UserList"]]
    token = first["NextToken"]
    while token:
        page = qs.list_users(**NS, MaxResults=2, NextToken=token)
        names += [u["UserName"] for u in page["UserList"]]
        token = page.get("NextToken")
    assert names == [f"user{n}" for n in range(5)]
    paginated = [u["UserName"] for p in qs.get_paginator("list_users").paginate(**NS, PaginationConfig={
        "PageSize": 3}) for u in p["UserList"]]
    assert paginated == names


# -- namespaces ---------------------------------------------------------------------------------------


def test_namespaces(qs, local):
    local.controls.set_timing("realistic", 30)
    created = qs.create_namespace(AwsAccountId=ACCOUNT, Namespace="tenant-a", IdentityStore="QUICKSIGHT")
    assert created["Status"] == 202 and created["CreationStatus"] == "CREATING"
    assert created["Arn"] == f"arn:aws:quicksight:us-east-1:{ACCOUNT}:namespace/tenant-a"
    assert created["CapacityRegion"] == "us-east-1"
    assert qs.describe_namespace(AwsAccountId=ACCOUNT, Namespace="tenant-a")["Namespace"]["CreationStatus"] == \
        "CREATING"
    local.controls.advance_clock(31)
    assert qs.describe_namespace(AwsAccountId=ACCOUNT, Namespace="tenant-a")["Namespace"]["CreationStatus"] == \
        "CREATED"
    assert [n["Name"] for n in qs.list_namespaces(AwsAccountId=ACCOUNT)["Namespaces"]] == ["default", "tenant-a"]
    register(qs, "alice", "tenant-a")  # users live in a namespace
    qs.create_group(AwsAccountId=ACCOUNT, Namespace="tenant-a", GroupName="team")
    assert qs.list_users(**NS)["UserList"] == []
    assert qs.describe_user(AwsAccountId=ACCOUNT, Namespace="tenant-a", UserName="alice")["User"]["Arn"] == \
        user_arn("alice", "tenant-a")
    assert error_of(qs.create_namespace, AwsAccountId=ACCOUNT, Namespace="tenant-a", IdentityStore="QUICKSIGHT")[
        :2] == ("ResourceExistsException", 409)
    assert error_of(qs.delete_namespace, AwsAccountId=ACCOUNT, Namespace="default")[0] == \
        "InvalidParameterValueException"
    qs.delete_namespace(AwsAccountId=ACCOUNT, Namespace="tenant-a")  # with its users and groups
    assert error_of(qs.describe_namespace, AwsAccountId=ACCOUNT, Namespace="tenant-a")[:2] == (
        "ResourceNotFoundException", 404)
    qs.create_namespace(AwsAccountId=ACCOUNT, Namespace="tenant-a", IdentityStore="QUICKSIGHT")
    assert qs.list_users(AwsAccountId=ACCOUNT, Namespace="tenant-a")["UserList"] == []


# -- account -------------------------------------------------------------------------------------------


def test_account_settings_and_subscription(qs, make_client):
    settings = qs.describe_account_settings(AwsAccountId=ACCOUNT)["AccountSettings"]
    assert (settings["Edition"], settings["DefaultNamespace"], settings["PublicSharingEnabled"]) == (
        "ENTERPRISE", "default", False)
    qs.create_namespace(AwsAccountId=ACCOUNT, Namespace="tenant-a", IdentityStore="QUICKSIGHT")
    qs.update_account_settings(AwsAccountId=ACCOUNT, DefaultNamespace="tenant-a", NotificationEmail="bi@example.com",
                               TerminationProtectionEnabled=False)
    qs.update_public_sharing_settings(AwsAccountId=ACCOUNT, PublicSharingEnabled=True)
    settings = qs.describe_account_settings(AwsAccountId=ACCOUNT)["AccountSettings"]
    assert (settings["DefaultNamespace"], settings["NotificationEmail"], settings["TerminationProtectionEnabled"],
            settings["PublicSharingEnabled"]) == ("tenant-a", "bi@example.com", False, True)
    info = qs.describe_account_subscription(AwsAccountId=ACCOUNT)["AccountInfo"]
    assert (info["Edition"], info["AccountSubscriptionStatus"], info["NotificationEmail"]) == (
        "ENTERPRISE", "ACCOUNT_CREATED", "bi@example.com")
    assert error_of(qs.update_account_settings, AwsAccountId=ACCOUNT, DefaultNamespace="nope")[:2] == (
        "ResourceNotFoundException", 404)
    assert qs.describe_account_settings(AwsAccountId=ACCOUNT)["AccountSettings"]["DefaultNamespace"] == "tenant-a"
    eu = make_client("quicksight", region="eu-west-1")  # the account's, whatever the region
    assert eu.describe_account_settings(AwsAccountId=ACCOUNT)["AccountSettings"]["NotificationEmail"] == \
        "bi@example.com"
    assert error_of(qs.describe_account_settings, AwsAccountId=OTHER)[:2] == ("AccessDeniedException", 401)
    other = make_client("quicksight", account=OTHER)
    assert "NotificationEmail" not in other.describe_account_settings(AwsAccountId=OTHER)["AccountSettings"]


# -- permissions name real principals ------------------------------------------------------------------


def test_permissions_must_name_existing_principals(qs):
    build(qs)  # its permissions name the registered analyst
    register(qs, "alice")
    qs.create_group(**NS, GroupName="bi")
    grants = [{"Principal": user_arn("alice"), "Actions": ["quicksight:DescribeDashboard"]},
              {"Principal": f"arn:aws:quicksight:us-east-1:{ACCOUNT}:group/default/bi",
               "Actions": ["quicksight:DescribeDashboard"]},
              {"Principal": f"arn:aws:quicksight:us-east-1:{ACCOUNT}:namespace/default",
               "Actions": ["quicksight:DescribeDashboard"]}]
    qs.update_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="sales-dash", GrantPermissions=grants)
    for principal in (user_arn("nobody"), f"arn:aws:quicksight:us-east-1:{ACCOUNT}:group/default/nobody",
                      f"arn:aws:quicksight:us-east-1:{ACCOUNT}:namespace/nope",
                      f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:user/default/alice"):  # alice is us-east-1's
        bad = [{"Principal": principal, "Actions": ["quicksight:DescribeDashboard"]}]
        code, status, message = error_of(qs.update_dashboard_permissions, AwsAccountId=ACCOUNT,
                                         DashboardId="sales-dash", GrantPermissions=bad)
        assert (code, status) == ("InvalidParameterValueException", 400), principal
        assert message == "One or more principals in resource permissions list are not valid QuickSight users"
        assert error_of(qs.create_theme, AwsAccountId=ACCOUNT, ThemeId="t", Name="t", BaseThemeId="MIDNIGHT",
                        Configuration={}, Permissions=bad)[0] == "InvalidParameterValueException"
    principals = {p["Principal"] for p in qs.describe_dashboard_permissions(
        AwsAccountId=ACCOUNT, DashboardId="sales-dash")["Permissions"]}
    assert user_arn("nobody") not in principals and user_arn("alice") in principals
    assert error_of(qs.describe_theme, AwsAccountId=ACCOUNT, ThemeId="t")[0] == "ResourceNotFoundException"
    iam_root = [{"Principal": f"arn:aws:iam::{OTHER}:root", "Actions": ["quicksight:DescribeTemplate"]}]
    qs.update_template_permissions(AwsAccountId=ACCOUNT, TemplateId="sales-template", GrantPermissions=iam_root)


# -- constraint failures, worded as QuickSight words them ----------------------------------------------


def _placeholder(shape, depth: int = 0):
    """A value of the shape's type for a required member (constraints aside: only its type matters here)."""
    kind = shape.type_name
    if kind == "structure":
        return {n: _placeholder(s, depth + 1) for n, s in shape.members.items()
                if n in shape.required_members and depth < 3}
    return {"string": "x", "integer": 1, "long": 1, "boolean": True, "double": 1.0, "float": 1.0, "list": [],
            "map": {}, "timestamp": 0, "blob": b"x"}.get(kind, "x")


_ACCOUNT_MEMBERS = ("AwsAccountId", "AccountId", "accountId")  # newer operations spell it the other two ways


def _breakable(shape) -> str | None:
    """The member of an input a test can give a value breaking the model: the account id where it has a pattern,
    else a body string with a pattern or a length floor, else such a string in the URI."""
    account = next((n for n in _ACCOUNT_MEMBERS if n in shape.members and shape.members[n].metadata.get("pattern")),
                   None)
    if account:
        return account
    strings = [(n, s) for n, s in shape.members.items() if s.type_name == "string"
               and (s.metadata.get("pattern") or s.metadata.get("min", 0) > 1)]
    return next((n for n, s in strings if not s.serialization.get("location")),
                next((n for n, s in strings if s.serialization.get("location") == "uri"), None))


def _every_operation():
    """Every QuickSight operation whose input has a member with a constraint to break (a few have none)."""
    model = service_model("quicksight")
    return [op for op in map(model.operation_model, model.operation_names) if _breakable(op.input_shape)]


def test_nearly_every_operation_has_a_constraint_to_break():
    assert len(_every_operation()) >= 0.95 * len(service_model("quicksight").operation_names)


@pytest.mark.parametrize("operation", _every_operation(), ids=lambda op: op.name)
def test_every_operation_answers_constraint_failures_with_validation_exception(wire, operation):
    """A constraint of the model broken in any QuickSight operation: ValidationException (400), the member's path
    in lowerCamelCase, AWS's message form (real answers quoted in boto3#2601, terraform-provider-aws#41919)."""
    client = wire.attach(boto3.client("quicksight", endpoint_url="http://localexport", region_name="us-east-1",
                                      aws_access_key_id=ACCOUNT, aws_secret_access_key="x",
                                      config=Config(parameter_validation=False, retries={"max_attempts": 0})))
    shape = operation.input_shape
    params = {n: _placeholder(s) for n, s in shape.members.items() if n in shape.required_members}
    broken = _breakable(shape)
    member = shape.members[broken]
    if broken in _ACCOUNT_MEMBERS:  # ^[0-9]{12}$, or ^(aws|[0-9]{12})$ where AWS-managed themes are read
        params[broken] = "12345678901a"
    else:
        params[broken] = "!" * 2049 if member.metadata.get("max", 10**6) < 2049 else ""
    method = getattr(client, client.meta.method_to_api_mapping and next(
        k for k, v in client.meta.method_to_api_mapping.items() if v == operation.name))
    with pytest.raises(client.exceptions.ClientError) as err:
        method(**params)
    error = err.value.response["Error"]
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "ValidationException", error
    path = broken[0].lower() + broken[1:]
    assert " validation error" in error["Message"] and f"at '{path}' failed to satisfy constraint:" in \
        error["Message"], error["Message"]


def test_nested_paths_and_map_keys_are_written_as_quicksight_writes_them(wire):
    client = wire.attach(boto3.client("quicksight", endpoint_url="http://localexport", region_name="us-east-1",
                                      aws_access_key_id=ACCOUNT, aws_secret_access_key="x",
                                      config=Config(parameter_validation=False)))
    data_source = arn("datasource", "src")
    with pytest.raises(client.exceptions.ClientError) as err:
        client.create_data_set(AwsAccountId=ACCOUNT, DataSetId="d", Name="d", ImportMode="SPICE",
                               PhysicalTableMap={"table map1": {"RelationalTable": {
                                   "DataSourceArn": data_source, "Name": "t",
                                   "InputColumns": [{"Name": "c", "Type": "STRING"}]}}})
    assert err.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '{table map1=...}' at 'physicalTableMap' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length less than or equal to 64, Member must have "
        "length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9a-zA-Z-]*]")
    with pytest.raises(client.exceptions.ClientError) as err:
        client.create_analysis(AwsAccountId=ACCOUNT, AnalysisId="a", Name="a", Definition={
            "DataSetIdentifierDeclarations": [{"Identifier": "d", "DataSetArn": arn("dataset", "d")}],
            "Sheets": [{"SheetId": "s1"}, {"Name": "no id"}]})
    assert "Value null at 'definition.sheets.2.member.sheetId' failed to satisfy constraint: Member must not be " \
           "null" in err.value.response["Error"]["Message"]


def test_users_and_namespaces_take_tags(qs):
    register(qs, "alice", Tags=[{"Key": "team", "Value": "bi"}])
    arn_ = user_arn("alice")
    assert qs.list_tags_for_resource(ResourceArn=arn_)["Tags"] == [{"Key": "team", "Value": "bi"}]
    qs.tag_resource(ResourceArn=arn_, Tags=[{"Key": "cost", "Value": "42"}])
    qs.untag_resource(ResourceArn=arn_, TagKeys=["team"])
    assert qs.list_tags_for_resource(ResourceArn=arn_)["Tags"] == [{"Key": "cost", "Value": "42"}]
    namespace = qs.create_namespace(AwsAccountId=ACCOUNT, Namespace="tenant", IdentityStore="QUICKSIGHT",
                                    Tags=[{"Key": "tenant", "Value": "a"}])["Arn"]
    assert qs.list_tags_for_resource(ResourceArn=namespace)["Tags"] == [{"Key": "tenant", "Value": "a"}]
    assert error_of(qs.list_tags_for_resource, ResourceArn=user_arn("nobody"))[:2] == (
        "ResourceNotFoundException", 404)


def test_permissions_take_only_quicksight_principals_and_account_roots(qs):
    theme = {"AwsAccountId": ACCOUNT, "Name": "t", "BaseThemeId": "MIDNIGHT", "Configuration": {}}
    for principal in ("nobody", "arn:aws:s3:::bucket", f"arn:aws:iam::{ACCOUNT}:user/bob",
                      f"arn:aws:quicksight:us-east-1:{OTHER}:user/default/alice"):  # another account's user
        grant = [{"Principal": principal, "Actions": ["quicksight:DescribeTheme"]}]
        assert error_of(qs.create_theme, ThemeId="t", Permissions=grant, **theme)[0] == \
            "InvalidParameterValueException", principal
    shared = [{"Principal": f"arn:aws:iam::{OTHER}:root", "Actions": ["quicksight:DescribeTheme"]}]
    qs.create_theme(ThemeId="shared", Permissions=shared, **theme)  # how themes are shared with other accounts


def test_a_deleted_principal_takes_its_grants_along(qs):
    build(qs)
    register(qs, "alice")
    qs.create_group(**NS, GroupName="bi")
    group_arn = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:group/default/bi"
    qs.update_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="sales-dash", GrantPermissions=[
        {"Principal": user_arn("alice"), "Actions": ["quicksight:DescribeDashboard"]},
        {"Principal": group_arn, "Actions": ["quicksight:DescribeDashboard"]}])

    def principals() -> set[str]:
        return {p["Principal"] for p in qs.describe_dashboard_permissions(
            AwsAccountId=ACCOUNT, DashboardId="sales-dash")["Permissions"]}

    qs.delete_user(**NS, UserName="alice")
    qs.delete_group(**NS, GroupName="bi")
    assert user_arn("alice") not in principals() and group_arn not in principals()
    register(qs, "alice")  # a namesake registered later inherits nothing
    assert user_arn("alice") not in principals()
    qs.create_namespace(AwsAccountId=ACCOUNT, Namespace="tenant", IdentityStore="QUICKSIGHT")
    register(qs, "carol", "tenant")
    qs.update_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="sales-dash", GrantPermissions=[
        {"Principal": user_arn("carol", "tenant"), "Actions": ["quicksight:DescribeDashboard"]}])
    qs.update_account_settings(AwsAccountId=ACCOUNT, DefaultNamespace="tenant")
    assert error_of(qs.delete_namespace, AwsAccountId=ACCOUNT, Namespace="tenant")[0] == \
        "InvalidParameterValueException"  # the account's default namespace stays
    qs.update_account_settings(AwsAccountId=ACCOUNT, DefaultNamespace="default")
    qs.delete_namespace(AwsAccountId=ACCOUNT, Namespace="tenant")
    assert user_arn("carol", "tenant") not in principals()


def test_an_iam_user_is_active_at_once(qs):
    iam = qs.register_user(**NS, IdentityType="IAM", IamArn=f"arn:aws:iam::{ACCOUNT}:user/dave", Email="d@x",
                           UserRole="READER")["User"]
    assert iam["Active"] is True


def test_a_dashboard_version_fails_alone(qs, make_client, wire):
    """A version made from a template that cannot be read fails; the others do not, and the failed dashboard
    says so everywhere (its definition, an export of it)."""
    graph = build(qs)
    references = [{"DataSetPlaceholder": "sales_placeholder", "DataSetArn": arn("dataset", "sales")}]
    missing = {"SourceTemplate": {"Arn": arn("template", "nope"), "DataSetReferences": references}}
    good = {"SourceTemplate": {"Arn": graph["template"], "DataSetReferences": references}}
    failed = qs.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="d", Name="d", SourceEntity=missing)
    assert failed["CreationStatus"] == "CREATION_FAILED"
    definition = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="d")
    assert definition["ResourceStatus"] == "CREATION_FAILED" and definition["Errors"][0]["Type"] == "SOURCE_NOT_FOUND"
    from quicksight_helpers import export

    job = export(qs, "failed", [arn("dashboard", "d")])
    assert job["JobStatus"] == "FAILED" and "has associated errors" in job["Errors"][0]["Message"]
    fixed = qs.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="d", Name="d", SourceEntity=good)
    assert fixed["CreationStatus"] == "UPDATE_SUCCESSFUL"
    qs.update_dashboard_published_version(AwsAccountId=ACCOUNT, DashboardId="d", VersionNumber=2)
    assert qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="d")["Dashboard"]["Version"]["Status"] == \
        "CREATION_SUCCESSFUL"
    broken = qs.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales-dash", Name="x", SourceEntity=missing)
    assert broken["CreationStatus"] == "UPDATE_FAILED"
    statuses = {v["VersionNumber"]: v["Status"] for v in qs.list_dashboard_versions(
        AwsAccountId=ACCOUNT, DashboardId="sales-dash")["DashboardVersionSummaryList"]}
    assert statuses == {1: "CREATION_SUCCESSFUL", 2: "CREATION_FAILED"}
    assert qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales-dash")["Dashboard"]["Version"][
        "Status"] == "CREATION_SUCCESSFUL"  # the published version 1 is untouched


def test_another_accounts_missing_template_looks_like_a_refused_one(qs, make_client):
    other = make_client("quicksight", account=OTHER)
    other.create_dashboard(AwsAccountId=OTHER, DashboardId="d", Name="d", SourceEntity={"SourceTemplate": {
        "Arn": arn("template", "no-such-template"), "DataSetReferences": []}})
    errors = other.describe_dashboard(AwsAccountId=OTHER, DashboardId="d")["Dashboard"]["Version"]["Errors"]
    assert errors[0]["Type"] == "ACCESS_DENIED"  # whether it exists is not the other account's to learn
