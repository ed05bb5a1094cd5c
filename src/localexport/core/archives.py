"""Zip archives as AWS hands them out: plain, or WinZip AES-256 with a password."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

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
