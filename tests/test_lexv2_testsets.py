"""Lex V2 test sets (test workbench): CSV import through an upload, the test-set
operations, and CSV export that imports back to the same records."""

from __future__ import annotations

import io
import zipfile

import pytest
from botocore.exceptions import ClientError
from lexv2_helpers import ROLE, import_archive

CSV = (
    b"Line #,Conversation #,Source,Input,Expected Output Intent,Expected Output Slot 1,Expected Output Slot 2\n"
    b"1,,User,book a cleaning appointment tomorrow,MakeAppointment,AppointmentType = cleaning,Date = tomorrow\n"
    b"2,1,User,book an appointment,MakeAppointment,,\n"
    b"3,1,Agent,What type of appointment would you like to schedule?,MakeAppointment,,\n"
    b"4,1,User,root canal,MakeAppointment,AppointmentType = root canal,\n"
)


def spec(name: str = "Appointments") -> dict:
    location = {"s3BucketName": "my-test-sets", "s3Path": "sets/appointments.csv"}
    return {"testSetImportResourceSpecification": {
        "testSetName": name, "description": "from a CSV", "roleArn": ROLE,
        "storageLocation": {"s3BucketName": "my-test-sets", "s3Path": "store/"},
        "importInputLocation": location, "modality": "Text"}}


def test_test_set_import_operations_and_export(lex, wire):
    described = import_archive(lex, wire.http.put, CSV, spec(), "FailOnConflict")
    assert described["importStatus"] == "Completed", described.get("failureReasons")
    assert described["importedResourceName"] == "Appointments"
    test_set_id = described["importedResourceId"]
    test_set = lex.describe_test_set(testSetId=test_set_id)
    assert (test_set["status"], test_set["numTurns"], test_set["modality"]) == ("Ready", 4, "Text")
    assert [t["testSetName"] for t in lex.list_test_sets()["testSets"]] == ["Appointments"]

    records = lex.list_test_set_records(testSetId=test_set_id)["testSetRecords"]
    first = records[0]
    assert first["recordNumber"] == 1 and "conversationId" not in first
    user = first["turnSpecification"]["userTurn"]
    assert user["input"]["utteranceInput"]["textInput"] == "book a cleaning appointment tomorrow"
    assert user["expected"]["intent"] == {"name": "MakeAppointment", "slots": {
        "AppointmentType": {"value": "cleaning"}, "Date": {"value": "tomorrow"}}}
    assert records[2]["turnSpecification"] == {"agentTurn": {
        "agentPrompt": "What type of appointment would you like to schedule?"}}
    assert [(r.get("conversationId"), r.get("turnNumber")) for r in records] == [(None, None), ("1", 1), ("1", 2),
                                                                                  ("1", 3)]
    paged = lex.list_test_set_records(testSetId=test_set_id, maxResults=3)
    assert len(paged["testSetRecords"]) == 3 and paged["nextToken"]

    updated = lex.update_test_set(testSetId=test_set_id, testSetName="Renamed", description="new")
    assert (updated["testSetName"], updated["description"], updated["numTurns"]) == ("Renamed", "new", 4)

    created = lex.create_export(resourceSpecification={"testSetExportSpecification": {"testSetId": test_set_id}},
                                fileFormat="CSV")
    described_export = lex.describe_export(exportId=created["exportId"])
    assert described_export["downloadUrl"].split("?")[0].endswith(f"/Renamed-{created['exportId']}-CSV.zip")
    with zipfile.ZipFile(io.BytesIO(wire.get(described_export["downloadUrl"]).content)) as archive:
        assert archive.namelist() == ["Renamed.csv"]
        exported_csv = archive.read("Renamed.csv")
    again = import_archive(lex, wire.http.put, exported_csv, spec("Copy"), "FailOnConflict")
    assert again["importStatus"] == "Completed"
    assert lex.list_test_set_records(testSetId=again["importedResourceId"])["testSetRecords"] == records

    with pytest.raises(ClientError) as err:
        lex.create_export(resourceSpecification={"testSetExportSpecification": {"testSetId": test_set_id}},
                          fileFormat="LexJson")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    lex.delete_test_set(testSetId=test_set_id)
    with pytest.raises(ClientError) as err:
        lex.describe_test_set(testSetId=test_set_id)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_test_set_conflicts_and_bad_csv(lex, wire, make_client):
    assert import_archive(lex, wire.http.put, CSV, spec())["importStatus"] == "Completed"
    clash = import_archive(lex, wire.http.put, CSV, spec(), "FailOnConflict")
    assert clash["importStatus"] == "Failed" and "already exists" in clash["failureReasons"][0]
    shorter = CSV.split(b"\n2,")[0] + b"\n"
    replaced = import_archive(lex, wire.http.put, shorter, spec(), "Overwrite")
    assert replaced["importStatus"] == "Completed"
    assert lex.describe_test_set(testSetId=replaced["importedResourceId"])["numTurns"] == 1
    bad = b"Line #,Source,Input,Expected Output Intent\n1,Robot,hi,Greet\n2,User,hi,Greet\n"
    failed = import_archive(lex, wire.http.put, bad, spec("Bad"))
    assert failed["importStatus"] == "Failed" and failed["failureReasons"] == [
        "Line 1: Source must be User or Agent, not 'Robot'."]
    assert [t["testSetName"] for t in lex.list_test_sets()["testSets"]] == ["Appointments"]
    # without an upload, the CSV is read from importInputLocation in S3 (the embedded S3 here)
    slot = lex.create_upload_url()
    lex.start_import(importId=slot["importId"], resourceSpecification=spec("FromS3"), mergeStrategy="Overwrite")
    missing = lex.describe_import(importId=slot["importId"])
    assert missing["importStatus"] == "Failed" and "NoSuchBucket" in missing["failureReasons"][0]
    s3 = make_client("s3")
    s3.create_bucket(Bucket="my-test-sets")
    s3.put_object(Bucket="my-test-sets", Key="sets/appointments.csv", Body=CSV)
    slot = lex.create_upload_url()
    lex.start_import(importId=slot["importId"], resourceSpecification=spec("FromS3"), mergeStrategy="Overwrite")
    from_s3 = lex.describe_import(importId=slot["importId"])
    assert from_s3["importStatus"] == "Completed", from_s3.get("failureReasons")
    assert lex.describe_test_set(testSetId=from_s3["importedResourceId"])["numTurns"] == 4
    s3.delete_object(Bucket="my-test-sets", Key="sets/appointments.csv")
    s3.delete_bucket(Bucket="my-test-sets")
