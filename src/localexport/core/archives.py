"""Zip archives as AWS hands them out: plain, or WinZip AES-256 with a password; and as users upload them,
which includes zips that were never closed (no central directory), read by their local headers as AWS does."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO
from zlib import error as zlib_error

from .lazy import LazyModule

pyzipper = LazyModule("pyzipper")
su = LazyModule("stream_unzip")


def write_zip(out: BinaryIO, entries: Iterable[tuple[str, bytes]], password: str | None = None,
              when: float | None = None) -> None:
    """Write ``entries`` (name, bytes) as a zip with no directory entries, AES-256 encrypted if ``password``."""
    date_time = time.gmtime(when if when is not None else time.time())[:6]
    if password:
        archive = pyzipper.AESZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, encryption=pyzipper.WZ_AES)
        archive.setpassword(password.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
    else:
        archive = pyzipper.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
    with archive:
        for name, data in entries:
            info = archive.zipinfo_cls(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def read_entries(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(i.filename, archive.read(i)) for i in archive.infolist() if not i.is_dir()]


class ArchiveError(ValueError):
    """An archive we refuse to read; the message says why, for a job's failure reasons."""


LOCAL_HEADER = b"PK\x03\x04"
NO_PASSWORD = "The archive is password protected; provide filePassword to import it."
WRONG_PASSWORD = "The password is incorrect for the archive."
# What a closed zip has after its last entry: the start of its central directory. The streaming reader
# stops there; without it the end of an unclosed zip reads as truncated. The padding covers the reader
# looking ahead (a data descriptor check reads up to 28 bytes, the next signature included).
END_OF_ENTRIES = b"PK\x01\x02" + bytes(28)
# Why stream-unzip refused an entry, in words (its exceptions carry no message); first match wins.
REASONS: tuple[tuple[str, str], ...] = (
    ("TruncatedDataError", "the data ends inside an entry"),
    ("IntegrityError", "the data does not match its checksum or sizes"),
    ("UncompressError", "the compressed data is corrupt"),
    ("UnsupportedCompressionTypeError", "the compression method is not supported"),
    ("NotStreamUnzippable", "a stored entry with a data descriptor cannot be read without the central directory"),
    ("UnsupportedFeatureError", "it uses a zip feature that is not supported"),
    ("UnexpectedSignatureError", "unexpected bytes where a zip header should be"),
)


def open_zip(data: bytes, password: str | None, max_entries: int, max_bytes: int) -> dict[str, bytes]:
    """The files of an uploaded zip, read defensively.

    Refuses what is not a zip, entry names that would escape a folder (absolute,
    ``..``, drive letters), more entries or more uncompressed bytes than the
    limits (counted while inflating, not trusted from the headers), and
    encrypted entries without the right password (WinZip AES or ZipCrypto).
    A zip with no readable central directory is read by its local headers.
    """
    import io

    try:
        archive = pyzipper.AESZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, pyzipper.BadZipFile, OSError, ValueError):
        archive = None  # no readable central directory
    if archive is None:
        if data.startswith(LOCAL_HEADER):  # entries without their directory: a zip that was never closed
            return _read_local_headers(data, password, max_entries, max_bytes)
        raise ArchiveError("The file is not a valid .zip archive.")
    with archive:
        infos = [i for i in archive.infolist() if not i.filename.replace("\\", "/").endswith("/")]  # no folders
        if len(infos) > max_entries:
            raise ArchiveError(f"The archive has {len(infos)} entries; at most {max_entries} are allowed.")
        for info in infos:
            _safe_name(info.filename)
        encrypted = any(i.flag_bits & 0x1 for i in infos)
        if encrypted:
            if not password:
                raise ArchiveError(NO_PASSWORD)
            archive.setpassword(password.encode())
        files: dict[str, bytes] = {}
        total = 0
        for info in infos:
            try:
                with archive.open(info) as stream:
                    chunks = []
                    while chunk := stream.read(65536):
                        total += len(chunk)
                        if total > max_bytes:
                            raise ArchiveError(f"The archive expands to more than {max_bytes} bytes.")
                        chunks.append(chunk)
            except RuntimeError:
                raise ArchiveError(WRONG_PASSWORD) from None
            except (zipfile.BadZipFile, pyzipper.BadZipFile, zlib_error, EOFError, NotImplementedError) as error:
                raise ArchiveError(f"The archive entry {info.filename!r} cannot be read: {error}") from None
            files[info.filename.replace("\\", "/")] = b"".join(chunks)
        return files


def _safe_name(filename: str) -> str:
    """``filename`` with ``\\`` as ``/``, or ArchiveError if it would escape the folder it is extracted to."""
    name = filename.replace("\\", "/")
    if name.startswith("/") or ":" in name.split("/", 1)[0] or ".." in name.split("/"):
        raise ArchiveError(f"The archive entry {filename!r} has an unsafe path.")
    return name


class _Chunks:
    """``data`` then END_OF_ENTRIES, remembering whether the reader asked for more than ``data``: then what
    it read last was (partly) our padding, so a header or an entry ran past the end of the upload."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.past_end = False

    def __iter__(self) -> Iterator[bytes]:
        yield self.data
        self.past_end = True
        yield END_OF_ENTRIES


def _read_local_headers(data: bytes, password: str | None, max_entries: int, max_bytes: int) -> dict[str, bytes]:
    """The files of a zip with no readable central directory (built in memory and never closed), entry by
    entry from the local headers, with the same limits and messages as ``open_zip``."""
    files: dict[str, bytes] = {}
    count = total = 0
    current: str | None = None  # the entry being read, for the message when its data is bad
    chunks_in = _Chunks(data)
    try:
        for raw_name, _, chunks in su.stream_unzip(chunks_in, password=password.encode() if password else None):
            if chunks_in.past_end:  # this header was parsed partly from our padding: the upload is cut
                raise su.TruncatedDataError()
            # Names are UTF-8 when the writer set the flag (unseen here), else CP437, as zipfile decodes them.
            try:
                current = raw_name.decode()
            except UnicodeDecodeError:
                current = raw_name.decode("cp437")
            name = _safe_name(current)
            is_dir = name.endswith("/")  # as zipfile's is_dir, on the name with its separators made /
            count += not is_dir
            if count > max_entries:
                raise ArchiveError(f"The archive has more than {max_entries} entries; "
                                   f"at most {max_entries} are allowed.")
            parts = []
            for chunk in chunks:  # a directory entry's data is drained and counted too
                total += len(chunk)
                if total > max_bytes:
                    raise ArchiveError(f"The archive expands to more than {max_bytes} bytes.")
                parts.append(chunk)
            if not is_dir:
                files[name] = b"".join(parts)
            current = None
    except ArchiveError:
        raise
    except (su.UnzipError, ValueError) as error:  # stream-inflate's errors (deflate64) are ValueErrors
        raise _refusal(error, current, chunks_in.past_end) from None
    return files


def _refusal(error: Exception, entry: str | None, past_end: bool) -> ArchiveError:
    if past_end and not isinstance(error, su.IntegrityError):
        # What the reader made of our padding (a "password protected" flag, a bad block) is not the upload's.
        error = su.TruncatedDataError()
    if isinstance(error, su.MissingPasswordError):
        return ArchiveError(NO_PASSWORD)
    if isinstance(error, su.IncorrectPasswordError):
        return ArchiveError(WRONG_PASSWORD)
    reason = next((text for kind, text in REASONS if isinstance(error, getattr(su, kind))), type(error).__name__)
    where = f"The archive entry {entry!r}" if entry is not None else "The archive"
    return ArchiveError(f"{where} cannot be read: {reason}.")
