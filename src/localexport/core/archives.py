"""Zip archives as AWS hands them out: plain, or WinZip AES-256 with a password."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO
from zlib import error as zlib_error

import pyzipper


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


def open_zip(data: bytes, password: str | None, max_entries: int, max_bytes: int) -> dict[str, bytes]:
    """The files of an uploaded zip, read defensively.

    Refuses what is not a zip, entry names that would escape a folder (absolute,
    ``..``, drive letters), more entries or more uncompressed bytes than the
    limits (counted while inflating, not trusted from the headers), and
    encrypted entries without the right password (WinZip AES or ZipCrypto).
    """
    import io

    try:
        archive = pyzipper.AESZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, pyzipper.BadZipFile, OSError, ValueError):
        raise ArchiveError("The file is not a valid .zip archive.") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > max_entries:
            raise ArchiveError(f"The archive has {len(infos)} entries; at most {max_entries} are allowed.")
        for info in infos:
            name = info.filename.replace("\\", "/")
            if name.startswith("/") or ":" in name.split("/", 1)[0] or ".." in name.split("/"):
                raise ArchiveError(f"The archive entry {info.filename!r} has an unsafe path.")
        encrypted = any(i.flag_bits & 0x1 for i in infos)
        if encrypted:
            if not password:
                raise ArchiveError("The archive is password protected; provide filePassword to import it.")
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
                raise ArchiveError("The password is incorrect for the archive.") from None
            except (zipfile.BadZipFile, pyzipper.BadZipFile, zlib_error, EOFError, NotImplementedError) as error:
                raise ArchiveError(f"The archive entry {info.filename!r} cannot be read: {error}") from None
            files[info.filename.replace("\\", "/")] = b"".join(chunks)
        return files
