"""Zips that were never closed: local headers and data, no central directory. Some deployers build
their Lex zip in memory and hand over the buffer without closing it; AWS reads such a zip by its
local headers, and so do we, with every hostile-archive rule of a closed one."""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import zipfile

import pytest
from lexv2_helpers import bot_spec, export_and_download, import_archive, read_zip, simple_bot

from localexport.core.archives import ArchiveError, open_zip

MAX_ENTRIES, MAX_BYTES = 10, 1_000_000
# WinZip AES fixes PBKDF2 to HMAC-SHA1 and 1000 rounds; pycryptodome warns about those defaults all the same.
pytestmark = pytest.mark.filterwarnings("ignore:PBKDF2 without 'hmac_hash_module':DeprecationWarning")


class Pipe:
    """A write-only, non-seekable stream (a socket, a pipe, Node's streams): zipfile then writes each
    entry with a data descriptor after its data, and sizes of 0 in its local header."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        return len(chunk)

    def flush(self) -> None:
        pass


def unclosed(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED, streamed: bool = False) -> bytes:
    """What the deployers do: ZipFile(buffer, "w"), writestr, then the buffer's bytes, never close()."""
    out = Pipe() if streamed else io.BytesIO()
    archive = zipfile.ZipFile(out, "w", compression=compression)
    for name, data in files.items():
        archive.writestr(name, data)
    data = bytes(out.data) if streamed else out.getvalue()
    archive.fp = None  # so that garbage collection does not close it after all (it would only write to `out`)
    return data


def unclosed_aes(files: dict[str, bytes], password: bytes) -> bytes:
    import pyzipper

    out = io.BytesIO()
    archive = pyzipper.AESZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, encryption=pyzipper.WZ_AES)
    archive.setpassword(password)
    for name, data in files.items():
        archive.writestr(name, data)
    data = out.getvalue()
    archive.fp = None
    return data


def assert_unclosed(data: bytes) -> None:
    """The test archive really is what the deployers produce: no central directory, unreadable by zipfile."""
    assert data.startswith(b"PK\x03\x04") and b"PK\x01\x02" not in data and b"PK\x05\x06" not in data
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(data))


def read(data: bytes, password: str | None = None, max_entries: int = MAX_ENTRIES,
         max_bytes: int = MAX_BYTES) -> dict[str, bytes]:
    return open_zip(data, password, max_entries, max_bytes)


FILES = {"Bot/Bot.json": b'{"name": "Bot"}', "Bot/Locales/": b"", "Bot\\Empty\\": b"",
         "Bot\\Intents\\Hello.json": b"{}" * 5000,
         "notes.txt": "caf\u00e9 \u2615".encode()}
EXPECTED = {"Bot/Bot.json": b'{"name": "Bot"}', "Bot/Intents/Hello.json": b"{}" * 5000,
            "notes.txt": "caf\u00e9 \u2615".encode()}


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2],
                         ids=["stored", "deflated", "bzip2"])
def test_an_unclosed_zip_is_read_by_its_local_headers(compression):
    data = unclosed(FILES, compression)
    assert_unclosed(data)
    assert read(data) == EXPECTED  # the directory entry skipped, backslashes as slashes


def test_a_streamed_zip_with_data_descriptors_is_read():
    data = unclosed(FILES, streamed=True)
    assert_unclosed(data)
    flags, sizes = struct.unpack_from("<H", data, 6)[0], struct.unpack_from("<II", data, 18)
    assert flags & 0x08 and sizes == (0, 0)  # sizes only in the data descriptor after the data
    assert b"PK\x07\x08" in data
    assert read(data) == EXPECTED


def test_closed_zips_and_non_zips_are_unchanged():
    closed = io.BytesIO()
    with zipfile.ZipFile(closed, "w") as archive:
        for name, data in FILES.items():
            archive.writestr(name, data)
    assert read(closed.getvalue()) == EXPECTED  # the same files either way, folders (either separator) skipped
    for junk in (b"", b"this is not a zip at all", b"PK\x05\x06" + bytes(18)[:4]):
        with pytest.raises(ArchiveError, match=r"^The file is not a valid \.zip archive\.$"):
            read(junk)


def test_an_unclosed_zip_cut_or_damaged_is_refused_with_a_reason():
    data = unclosed({"a.json": b"{}" * 1000, "b.json": b'{"b": 1}' * 100})
    streamed = unclosed({"a.json": b"{}" * 1000, "b.json": b'{"b": 1}' * 100}, streamed=True)
    second = data.index(b"PK\x03\x04", 4)
    cut = "The archive cannot be read: the data ends inside an entry."
    cases = {
        "cut inside the first entry's data": (data[:second - 5], "'a.json' cannot be read: the data does not match"),
        "cut inside the next header": (data[:second + 10], cut),
        "cut after the next signature": (data[:second + 4], cut),
        "only a signature": (b"PK\x03\x04", cut),
        "cut inside a data descriptor": (streamed[:-20], "'b.json' cannot be read: the data ends inside an entry."),
        "a flipped byte in the data": (data[:40] + bytes([data[40] ^ 0xFF]) + data[41:],
                                       "'a.json' cannot be read: the compressed data is corrupt."),
        "garbage after the entries": (data + b"trailing junk",
                                      "The archive cannot be read: unexpected bytes where a zip header should be."),
    }
    for case, (damaged, message) in cases.items():
        with pytest.raises(ArchiveError) as err:
            read(damaged)
        assert message in str(err.value), (case, err.value)


def test_too_many_entries():
    data = unclosed({f"f{i}.txt": b"x" for i in range(MAX_ENTRIES + 1)})
    assert_unclosed(data)
    with pytest.raises(ArchiveError, match=f"more than {MAX_ENTRIES} entries; at most {MAX_ENTRIES} are allowed"):
        read(data)
    at_the_limit = unclosed({f"f{i}.txt": b"x" for i in range(MAX_ENTRIES)} | {"d/": b""})
    assert len(read(at_the_limit)) == MAX_ENTRIES  # directory entries are not counted, as on a closed zip


@pytest.mark.parametrize("streamed", [False, True], ids=["sizes in the header", "sizes in a data descriptor"])
def test_a_zip_bomb_is_stopped_while_inflating(streamed):
    bomb = unclosed({"small.json": b"{}", "bomb.bin": b"\0" * (20 * MAX_BYTES)}, streamed=streamed)
    assert_unclosed(bomb)
    assert len(bomb) < 30_000  # 20 MB in a few kB
    with pytest.raises(ArchiveError, match=f"^The archive expands to more than {MAX_BYTES} bytes.$"):
        read(bomb)


def test_a_bomb_whose_header_lies_about_its_size_is_counted_not_trusted():
    bomb = bytearray(unclosed({"bomb.bin": b"\0" * (20 * MAX_BYTES)}))
    assert struct.unpack_from("<I", bomb, 22)[0] == 20 * MAX_BYTES
    struct.pack_into("<I", bomb, 22, 10)  # the local header's uncompressed size: "10 bytes"
    with pytest.raises(ArchiveError, match="expands to more than"):
        read(bytes(bomb))


@pytest.mark.parametrize("name", ["../evil.json", "Bot/../../evil.json", "/etc/evil.json", "C:/evil.json",
                                  "..\\evil.json", "\\evil.json", "c:evil.json"])
def test_unsafe_names_are_refused(name):
    data = unclosed({"Bot/Bot.json": b"{}", name: b"{}"})
    assert_unclosed(data)
    with pytest.raises(ArchiveError, match="has an unsafe path") as err:
        read(data)
    assert repr(name) in str(err.value)


def test_an_aes_encrypted_unclosed_zip_needs_the_right_password():
    data = unclosed_aes({"Bot/Bot.json": b'{"name": "Bot"}', "big.json": b"[1]" * 10000}, b"s3cret!")
    assert_unclosed(data)
    assert struct.unpack_from("<H", data, 8)[0] == 99  # compression method 99: WinZip AES
    with pytest.raises(ArchiveError, match="^The archive is password protected; provide filePassword to import it.$"):
        read(data)
    with pytest.raises(ArchiveError, match="^The password is incorrect for the archive.$"):
        read(data, password="wrong")
    assert read(data, password="s3cret!") == {"Bot/Bot.json": b'{"name": "Bot"}', "big.json": b"[1]" * 10000}
    with pytest.raises(ArchiveError, match="expands to more than"):  # limits hold for encrypted entries too
        read(data, password="s3cret!", max_bytes=20_000)


@pytest.mark.skipif(shutil.which("zip") is None, reason="needs Info-ZIP's zip to write ZipCrypto")
def test_a_zipcrypto_streamed_zip_without_its_directory_needs_the_password(tmp_path):
    (tmp_path / "Bot.json").write_bytes(b'{"name": "Bot"}')
    # zip writing to a pipe: data descriptors; then the central directory dropped, as if never written
    written = subprocess.run(["zip", "-q", "-P", "s3cret", "-", "Bot.json"], cwd=tmp_path, capture_output=True,
                             check=True).stdout
    data = written[:written.index(b"PK\x01\x02")]
    assert_unclosed(data)
    assert struct.unpack_from("<H", data, 6)[0] & 0x09 == 0x09  # encrypted, data descriptor
    with pytest.raises(ArchiveError, match="^The archive is password protected; provide filePassword to import it.$"):
        read(data)
    with pytest.raises(ArchiveError) as err:
        read(data, password="wrong")
    # ZipCrypto checks a password by one byte: a wrong one passes 1 time in 256, then fails the checksum.
    assert "password is incorrect" in str(err.value) or "cannot be read" in str(err.value)
    assert read(data, password="s3cret") == {"Bot.json": b'{"name": "Bot"}'}


# -- end to end, through boto3 ----------------------------------------------------------------

PROMPT = {"messages": [{"contentType": "PlainText", "content": "Which size?"}], "maxAttempts": 2}
V1_BOT = {
    "metadata": {"schemaVersion": "1.0", "importType": "LEX", "importFormat": "JSON"},
    "resource": {
        "name": "PizzaDeploy", "version": "1",
        "intents": [{"name": "OrderPizza", "version": "1", "fulfillmentActivity": {"type": "ReturnIntent"},
                     "sampleUtterances": ["I want a {size} pizza"],
                     "slots": [{"name": "size", "slotConstraint": "Required", "slotType": "Sizes",
                                "slotTypeVersion": "1", "valueElicitationPrompt": PROMPT, "priority": 1}]}],
        "slotTypes": [{"name": "Sizes", "version": "1", "enumerationValues": [{"value": "small"}, {"value": "large"}],
                       "valueSelectionStrategy": "ORIGINAL_VALUE"}],
        "voiceId": "Salli", "childDirected": False, "locale": "en-US", "idleSessionTTLInSeconds": 300,
        "clarificationPrompt": PROMPT, "abortStatement": {"messages": PROMPT["messages"]},
    },
}


@pytest.mark.parametrize("streamed", [False, True], ids=["in memory", "streamed"])
def test_lex_v1_start_import_of_an_unclosed_zip(make_client, streamed):
    v1 = make_client("lex-models")
    payload = unclosed({"PizzaDeploy_Export.json": json.dumps(V1_BOT).encode()}, streamed=streamed)
    assert_unclosed(payload)
    started = v1.start_import(payload=payload, resourceType="BOT", mergeStrategy="FAIL_ON_CONFLICT")
    assert started["importStatus"] == "IN_PROGRESS" and started["name"] == "PizzaDeploy"
    done = v1.get_import(importId=started["importId"])
    assert done["importStatus"] == "COMPLETE", done.get("failureReason")
    bot = v1.get_bot(name="PizzaDeploy", versionOrAlias="$LATEST")
    assert bot["intents"][0]["intentName"] == "OrderPizza" and bot["voiceId"] == "Salli"
    sizes = v1.get_slot_type(name="Sizes", version="$LATEST")
    assert [v["value"] for v in sizes["enumerationValues"]] == ["small", "large"]


def test_lex_v1_refuses_a_hostile_unclosed_zip(make_client):
    from botocore.exceptions import ClientError

    v1 = make_client("lex-models")
    payload = unclosed({"../PizzaDeploy_Export.json": json.dumps(V1_BOT).encode()})
    with pytest.raises(ClientError) as err:
        v1.start_import(payload=payload, resourceType="BOT", mergeStrategy="FAIL_ON_CONFLICT")
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert "unsafe path" in err.value.response["Error"]["Message"]
    assert v1.get_bots()["bots"] == []


@pytest.mark.parametrize("streamed", [False, True], ids=["in memory", "streamed"])
def test_lex_v2_import_of_an_unclosed_zip(lex, wire, streamed):
    built = simple_bot(lex)
    _, closed = export_and_download(lex, wire.get, {"botExportSpecification": {"botId": built["botId"],
                                                                              "botVersion": "DRAFT"}})
    files = {name: json.dumps(document).encode() for name, document in read_zip(closed).items()}
    data = unclosed(files, streamed=streamed)
    assert_unclosed(data)
    described = import_archive(lex, wire.http.put, data, bot_spec("Redeployed"))
    assert described["importStatus"] == "Completed", described.get("failureReasons")
    where = {"botId": described["importedResourceId"], "botVersion": "DRAFT", "localeId": "en_US"}
    assert lex.describe_bot(botId=where["botId"])["botName"] == "Redeployed"
    intents = {i["intentName"] for i in lex.list_intents(**where)["intentSummaries"]}
    assert intents == {"FallbackIntent", "OrderPizza"}
    assert [s["slotTypeName"] for s in lex.list_slot_types(**where)["slotTypeSummaries"]] == ["Size"]


def test_lex_v2_import_of_an_unclosed_aes_zip_with_file_password(lex, wire):
    built = simple_bot(lex)
    _, closed = export_and_download(lex, wire.get, {"botExportSpecification": {"botId": built["botId"],
                                                                              "botVersion": "DRAFT"}})
    files = {name: json.dumps(document).encode() for name, document in read_zip(closed).items()}
    data = unclosed_aes(files, b"right-one")
    assert_unclosed(data)
    missing = import_archive(lex, wire.http.put, data, bot_spec("Copy1"))
    assert missing["importStatus"] == "Failed" and "password protected" in missing["failureReasons"][0]
    wrong = import_archive(lex, wire.http.put, data, bot_spec("Copy2"), password="wrong-one")
    assert wrong["importStatus"] == "Failed" and "password is incorrect" in wrong["failureReasons"][0]
    right = import_archive(lex, wire.http.put, data, bot_spec("Copy3"), password="right-one")
    assert right["importStatus"] == "Completed", right.get("failureReasons")
    assert {b["botName"] for b in lex.list_bots()["botSummaries"]} == {"PizzaBot", "Copy3"}
