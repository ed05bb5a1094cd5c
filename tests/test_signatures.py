"""Optional SigV4 verification (LOCALEXPORT_CREDENTIALS): boto3 with the right secret lands in the mapped account,
anything else is refused as AWS refuses it; off by default."""

from __future__ import annotations

import json
import random
import time
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from lexv2_helpers import ROLE

from localexport.app import LocalExport
from localexport.aws.signatures import SignatureError, Verifier
from localexport.config import Settings
from localexport.inprocess import InProcess, aws_response, request_body

ALICE = ("AKIAALICE00000000001", "alice/secret+key")
BOB = ("AKIABOB0000000000002", "bob-secret")
KEYS = {ALICE[0]: {"secret": ALICE[1], "account": "111111111111"},
        BOB[0]: {"secret": BOB[1], "account": "222222222222"}}
BOT = {"roleArn": ROLE, "dataPrivacy": {"childDirected": False}, "idleSessionTTLInSeconds": 300}


@pytest.fixture
def credentials(tmp_path):
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps(KEYS))
    return path


@pytest.fixture
def shared(credentials):
    """A shared instance: every call verified against the credentials file."""
    instance = LocalExport(Settings(job_mode="immediate", credentials=credentials), in_memory=True)
    adapter = InProcess(instance)
    yield instance, adapter
    adapter.close()
    instance.close()


def client(adapter, service: str, key: tuple[str, str], **config):
    made = boto3.client(service, endpoint_url="http://localexport", region_name="us-east-1",
                        aws_access_key_id=key[0], aws_secret_access_key=key[1],
                        config=Config(retries={"total_max_attempts": 1}, **config))
    return adapter.attach(made)


def error_of(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    response = err.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def test_the_right_secret_passes_and_lands_in_the_mapped_account(shared):
    _, adapter = shared
    alice, bob = client(adapter, "personalize", ALICE), client(adapter, "personalize", BOB)
    arn = alice.create_dataset_group(name="shared")["datasetGroupArn"]
    assert arn == "arn:aws:personalize:us-east-1:111111111111:dataset-group/shared"  # not the key's digits
    assert [g["datasetGroupArn"] for g in alice.list_dataset_groups()["datasetGroups"]] == [arn]
    assert bob.list_dataset_groups()["datasetGroups"] == []
    lex_alice, lex_bob = client(adapter, "lexv2-models", ALICE), client(adapter, "lexv2-models", BOB)
    bot_id = lex_alice.create_bot(botName="Alices", **BOT)["botId"]
    assert lex_alice.describe_bot(botId=bot_id)["botName"] == "Alices"
    assert lex_bob.list_bots()["botSummaries"] == []
    quicksight = client(adapter, "quicksight", ALICE)  # a query string, and a path that needs encoding
    assert quicksight.list_data_sets(AwsAccountId="111111111111", MaxResults=5)["DataSetSummaries"] == []
    code, _, _ = error_of(quicksight.describe_data_set, AwsAccountId="111111111111", DataSetId="a b:c/d%e")
    assert code == "ResourceNotFoundException"


@pytest.mark.parametrize("service,call,status", [
    ("lexv2-models", lambda c: c.list_bots(), 403),
    ("lex-models", lambda c: c.get_bots(), 403),
    ("quicksight", lambda c: c.list_data_sets(AwsAccountId="111111111111"), 403),
    ("personalize", lambda c: c.list_dataset_groups(), 400),  # json protocol: Coral answers auth errors 400
])
def test_a_wrong_secret_or_an_unknown_key_is_refused(shared, service, call, status):
    _, adapter = shared
    with pytest.raises(ClientError) as err:
        call(client(adapter, service, (ALICE[0], "not-alices-secret")))
    response = err.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == \
        ("InvalidSignatureException", status)
    assert response["Error"]["Message"].startswith("The request signature we calculated does not match")
    with pytest.raises(ClientError) as err:
        call(client(adapter, service, ("AKIANOBODY0000000000", "whatever")))
    response = err.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == \
        ("UnrecognizedClientException", status)
    assert response["Error"]["Message"] == "The security token included in the request is invalid."


def test_an_unsigned_request_is_refused_before_routing(shared):
    _, adapter = shared
    for path in ("/bots/", "/no/such/route"):
        response = adapter.http.get(path)
        assert (response.status_code, response.headers["x-amzn-ErrorType"]) == \
            (403, "MissingAuthenticationTokenException")
    response = adapter.http.post("/", content=b"{}", headers={"X-Amz-Target": "AmazonPersonalize.ListDatasetGroups",
                                                             "Content-Type": "application/x-amz-json-1.1"})
    assert response.status_code == 400 and response.json()["__type"] == "MissingAuthenticationTokenException"
    now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    forged = {"Authorization": f"AWS4-HMAC-SHA256 Credential={ALICE[0]}/{now[:8]}/us-east-1/lex/aws4_request, "
                               "SignedHeaders=host;x-amz-date, Signature=0"}  # what the default mode takes
    response = adapter.http.get("/bots/", headers=forged)
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (400, "IncompleteSignatureException")
    response = adapter.http.get("/bots/", headers={**forged, "X-Amz-Date": now})
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")


def test_a_tampered_body_is_refused(shared):
    _, adapter = shared

    def tamper(request, **_):
        request.body = request_body(request).replace(b"Honest", b"Forged")

    lex = boto3.client("lexv2-models", endpoint_url="http://localexport", region_name="us-east-1",
                       aws_access_key_id=ALICE[0], aws_secret_access_key=ALICE[1],
                       config=Config(retries={"total_max_attempts": 1}))
    lex.meta.events.register("before-send", tamper)
    adapter.attach(lex)
    code, status, _ = error_of(lex.create_bot, botName="Honest", **BOT)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert client(adapter, "lexv2-models", ALICE).list_bots()["botSummaries"] == []


def test_presigned_requests_are_verified_and_expire(shared):
    instance, adapter = shared
    lex = client(adapter, "lexv2-models", ALICE)
    bot_id = lex.create_bot(botName="Presigned", **BOT)["botId"]
    url = lex.generate_presigned_url("describe_bot", Params={"botId": bot_id}, ExpiresIn=60)
    assert "X-Amz-Signature=" in url and "Authorization" not in url
    response = adapter.get(url)
    assert response.status_code == 200 and response.json()["botName"] == "Presigned"
    assert adapter.get(url.replace(bot_id, "ABCDEFGHIJ")).headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    unknown = client(adapter, "lexv2-models", ("AKIANOBODY0000000000", "x"))
    other = unknown.generate_presigned_url("describe_bot", Params={"botId": bot_id})
    assert adapter.get(other).headers["x-amzn-ErrorType"] == "UnrecognizedClientException"
    instance.gateway.verifier.now = lambda: time.time() + 120
    response = adapter.get(url)
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")
    assert response.json()["message"].startswith("Signature expired: ")


def test_a_header_signature_older_than_five_minutes_is_refused(shared):
    instance, adapter = shared
    instance.gateway.verifier.now = lambda: time.time() + 6 * 60
    code, status, message = error_of(client(adapter, "lexv2-models", ALICE).list_bots)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith("Signature expired: ") and message.endswith(" - 5 min.)")


def test_off_by_default_the_access_key_digits_pick_the_account(make_client, credentials):
    personalize = make_client("personalize", account="333333333333")
    arn = personalize.create_dataset_group(name="mine")["datasetGroupArn"]
    assert arn == "arn:aws:personalize:us-east-1:333333333333:dataset-group/mine"
    assert Settings().credentials is None


def test_a_malformed_credentials_file_stops_start_up(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"AKIA1": {"secret": "s", "account": "12"}}))
    with pytest.raises(ValueError, match="12-digit account"):
        Verifier.load(path)


# --- S3: the same verifier, as the embedded S3 request path will call it --------------------------------------

def captured(service_config: dict, call):
    """The request a boto3 S3 client sends for ``call`` (answered 200, empty), as a server would see it."""
    seen = {}

    def capture(request, **_):
        seen["request"] = request
        return aws_response(request, 200, {}, b"")

    s3 = boto3.client("s3", endpoint_url="http://localexport", region_name="us-east-1",
                      aws_access_key_id=ALICE[0], aws_secret_access_key=ALICE[1], config=Config(**service_config))
    s3.meta.events.register("before-send", capture)
    call(s3)
    request = seen["request"]
    split = urlsplit(request.url)
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    headers["host"] = split.netloc
    return request.method, split.path, split.query, headers, request_body(request)


def presigned(service_config: dict, key=ALICE):
    s3 = boto3.client("s3", endpoint_url="http://localexport", region_name="us-east-1",
                      aws_access_key_id=key[0], aws_secret_access_key=key[1], config=Config(**service_config))
    split = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "some key.txt"}))
    return "GET", split.path, split.query, {"host": split.netloc}, b""


@pytest.mark.parametrize("config", [{}, {"signature_version": "s3v4"}, {"signature_version": "s3"}],
                         ids=["default", "sigv4", "sigv2"])
def test_s3_requests_header_signed_and_presigned(credentials, config):
    verifier = Verifier.load(credentials)
    method, path, query, headers, body = captured(
        config, lambda s3: s3.put_object(Bucket="b", Key="k/with space", Body=b"hello"))
    assert verifier.verify(method, path, query, headers, body, s3=True) == "111111111111"
    if "x-amz-content-sha256" in headers:  # SigV4 signs the body's hash (SigV2 only its checksum header)
        assert verifier.verify(method, path, query, headers, None, s3=True) == "111111111111"  # streamed: trusted hash
        with pytest.raises(SignatureError) as err:
            verifier.verify(method, path, query, headers, b"HELLO", s3=True)
        assert (err.value.code, err.value.status) == ("XAmzContentSHA256Mismatch", 400)
    with pytest.raises(SignatureError) as err:
        verifier.verify(method, path, query, {**headers, "x-amz-checksum-crc32": "AAAAAA=="}, body, s3=True)
    assert (err.value.code, err.value.status) == ("SignatureDoesNotMatch", 403)
    assert verifier.verify(*presigned(config), s3=True) == "111111111111"
    method, path, query, headers, body = presigned(config)
    with pytest.raises(SignatureError) as err:
        verifier.verify(method, path.replace("some", "other"), query, headers, body, s3=True)
    assert (err.value.code, err.value.status) == ("SignatureDoesNotMatch", 403)
    assert b"<Code>SignatureDoesNotMatch</Code>" in err.value.s3_xml("r1")
    with pytest.raises(SignatureError) as err:
        verifier.verify(*presigned(config, key=("AKIANOBODY0000000000", "x")), s3=True)
    assert (err.value.code, err.value.status) == ("InvalidAccessKeyId", 403)
    with pytest.raises(SignatureError) as err:
        verifier.verify("GET", "/b/k", "", {"host": "localexport"}, b"", s3=True)
    assert (err.value.code, err.value.status) == ("AccessDenied", 403)


def test_a_real_server_verifies_signatures(server_factory, credentials):
    server = server_factory(LOCALEXPORT_CREDENTIALS=str(credentials), LOCALEXPORT_JOB_MODE="immediate")

    def real(service, key):
        return boto3.client(service, endpoint_url=server.url, region_name="eu-west-1", aws_access_key_id=key[0],
                            aws_secret_access_key=key[1], config=Config(retries={"total_max_attempts": 1}))

    arn = real("personalize", BOB).create_dataset_group(name="over-http")["datasetGroupArn"]
    assert arn == "arn:aws:personalize:eu-west-1:222222222222:dataset-group/over-http"
    code, status, _ = error_of(real("lexv2-models", (BOB[0], "wrong")).list_bots)
    assert (code, status) == ("InvalidSignatureException", 403)
    lex = real("lexv2-models", BOB)
    bot_id = lex.create_bot(botName="OverHttp", **BOT)["botId"]
    url = lex.generate_presigned_url("describe_bot", Params={"botId": bot_id})
    assert requests.get(url, timeout=10).json()["botName"] == "OverHttp"


def test_no_forged_credential_gets_a_500(shared):
    _, adapter = shared  # (SigV2, "AWS key:sig", is S3's: the app hands it to the embedded S3, not the gateway)
    rng = random.Random(7)
    now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    pieces = ["AWS4-HMAC-SHA256 ", "Credential=", "SignedHeaders=", "Signature=", f"{ALICE[0]}/", now[:8],
              "/us-east-1/lex/aws4_request", ", ", ";", "host", "x-amz-date", ":", "é", "ÿ", "=", "/", "%", " "]
    for _ in range(200):
        forged = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        headers = {"Authorization": forged.encode(),
                   "X-Amz-Date": rng.choice([now, "garbage", "", "20260101T000000Z"]),
                   "Date": rng.choice(["Wed, 02 Dec 2026 10:24:52 GMT", "never"])}
        for response in (adapter.http.get("/bots/", headers=headers),
                         adapter.http.get("/bots/?" + forged.replace(" ", "&"), headers={"Date": headers["Date"]})):
            assert 400 <= response.status_code < 500, (forged, response.text)
            assert response.headers.get("x-amzn-ErrorType"), (forged, response.status_code, response.text[:200])


@pytest.mark.parametrize("config", [{}, {"signature_version": "s3v4"}])
def test_the_embedded_s3_verifies_and_takes_the_account_from_the_file(shared, config):
    _, adapter = shared
    alice = client(adapter, "s3", ALICE, **config)
    alice.create_bucket(Bucket="alices-bucket")
    alice.put_object(Bucket="alices-bucket", Key="doc.txt", Body=b"hers")
    from moto.s3.models import s3_backends

    assert s3_backends.bucket_accounts["alices-bucket"][1] == "111111111111"  # the file's account, not the key
    url = alice.generate_presigned_url("get_object", Params={"Bucket": "alices-bucket", "Key": "doc.txt"})
    assert adapter.http.get(url).content == b"hers"
    forged = client(adapter, "s3", (ALICE[0], "not-her-secret"), **config)
    assert error_of(forged.get_object, Bucket="alices-bucket", Key="doc.txt")[:2] == ("SignatureDoesNotMatch", 403)
    stranger = client(adapter, "s3", ("AKIASTRANGER00000000", "x"), **config)
    assert error_of(stranger.list_buckets)[:2] == ("InvalidAccessKeyId", 403)
    bob = client(adapter, "s3", BOB, **config)
    assert error_of(bob.get_object, Bucket="alices-bucket", Key="doc.txt")[:2] == ("AccessDenied", 403)
    tampered = url.replace("doc.txt", "other.txt")
    assert adapter.http.get(tampered).status_code == 403


def test_the_embedded_s3_checks_each_body_against_its_signed_hash(shared):
    _, adapter = shared
    alice = client(adapter, "s3", ALICE, signature_version="s3v4")
    alice.create_bucket(Bucket="hashed")
    alice.put_object(Bucket="hashed", Key="doc.txt", Body=b"original")
    method, path, query, headers, body = captured(
        {"signature_version": "s3v4"}, lambda s3: s3.put_object(Bucket="hashed", Key="doc.txt", Body=b"signed"))
    assert body == b"signed" and headers["x-amz-content-sha256"] != "UNSIGNED-PAYLOAD"
    url = f"{path}?{query}" if query else path
    swapped = adapter.http.request(method, url, headers=headers, content=b"SWAPPED")
    assert swapped.status_code == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in swapped.content
    assert alice.get_object(Bucket="hashed", Key="doc.txt")["Body"].read() == b"original"  # nothing stored
    honest = adapter.http.request(method, url, headers=headers, content=b"signed")
    assert honest.status_code == 200, honest.content
    assert alice.get_object(Bucket="hashed", Key="doc.txt")["Body"].read() == b"signed"


def test_presigned_urls_live_at_most_a_week_from_their_date(credentials):
    verifier = Verifier.load(credentials)
    s3 = boto3.client("s3", endpoint_url="http://localexport", region_name="us-east-1",
                      aws_access_key_id=ALICE[0], aws_secret_access_key=ALICE[1],
                      config=Config(signature_version="s3v4"))

    def refused(url: str, **shift) -> tuple[str, int, str]:
        split = urlsplit(url)
        if shift:
            verifier.now = lambda: time.time() + shift["by"]
        with pytest.raises(SignatureError) as err:
            verifier.verify("GET", split.path, split.query, {"host": split.netloc}, b"", s3=True)
        verifier.now = time.time
        return err.value.code, err.value.status, err.value.message

    week = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"}, ExpiresIn=604800)
    split = urlsplit(week)
    assert verifier.verify("GET", split.path, split.query, {"host": split.netloc}, b"", s3=True) == "111111111111"
    longer = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"}, ExpiresIn=604801)
    assert refused(longer) == ("AuthorizationQueryParametersError", 400,
                               "X-Amz-Expires must be less than a week (in seconds) that is; 604800")
    negative = week.replace("X-Amz-Expires=604800", "X-Amz-Expires=-5")
    assert refused(negative)[:2] == ("AuthorizationQueryParametersError", 400)
    # signed an hour ahead of our clock: not valid yet (else it would outlive its X-Amz-Expires)
    assert refused(week, by=-3600) == ("AccessDenied", 403, "Request is not valid yet")


def test_callers_are_read_from_their_credential_scope_and_only_real_ones_kept():
    from localexport.aws import identity

    auth = "AWS4-HMAC-SHA256 Credential={key}/20260101/{region}/lex/aws4_request, SignedHeaders=host, Signature=00"
    first = identity.caller_from(auth.format(key="444455556666", region="eu-west-1"))
    assert (first.account, first.region, first.signing_service) == ("444455556666", "eu-west-1", "lex")
    assert identity.caller_from(auth.format(key="444455556666", region="eu-west-1")) is first  # made once
    kept = identity._signed.cache_info().currsize
    huge = identity.caller_from(auth.format(key="AKIA" + "X" * 300, region="eu-west-1"))
    assert (huge.account, huge.region, huge.access_key) == ("123456789012", "eu-west-1", "AKIA" + "X" * 300)
    assert identity._signed.cache_info().currsize == kept  # a client's made-up scope is not kept
