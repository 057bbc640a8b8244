"""Checks a file must pass before any reader looks inside it, and the one error they raise.

Every reader refuses a file it cannot read whole with :class:`SopFileError` (a code, its
params and a readable sentence) before it returns anything, so an import either gets all
of a file's steps or none and the served SOP stays as it was.

The limits are settings (environment variables, defaults in brackets):

- ``SOPBOT_IMPORT_MAX_MB`` (20): the largest SOP file.
- ``SOPBOT_IMPORT_MAX_UNPACKED_MB`` (100): what a Word or Excel file (a zip) may unpack
  to; more, or a member packed over 200:1, is treated as a zip bomb.
- ``SOPBOT_IMPORT_MAX_ROWS`` (20000): rows of a question-and-answer sheet.
- ``SOPBOT_IMPORT_MAX_HEADINGS`` (5000): headings of one file.
- ``SOPBOT_IMPORT_MAX_STEPS`` (20000): steps of one file.
- ``SOPBOT_IMPORT_MAX_PAGES`` (1000): pages of a PDF.
- ``SOPBOT_IMPORT_MAX_PICTURE_MB`` (10): one picture, embedded or beside the file.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath

from knowledge.messages import render

MB = 1_000_000


@dataclass(frozen=True)
class ImportLimits:
    max_file_bytes: int = 20 * MB
    max_unpacked_bytes: int = 100 * MB
    max_zip_ratio: int = 200
    max_rows: int = 20_000
    max_headings: int = 5_000
    max_steps: int = 20_000
    max_pages: int = 1_000
    max_picture_bytes: int = 10 * MB

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ImportLimits:
        """The limits set in the environment, the defaults for the rest."""
        environ = os.environ if environ is None else environ
        names = {
            "max_file_bytes": ("SOPBOT_IMPORT_MAX_MB", MB),
            "max_unpacked_bytes": ("SOPBOT_IMPORT_MAX_UNPACKED_MB", MB),
            "max_rows": ("SOPBOT_IMPORT_MAX_ROWS", 1),
            "max_headings": ("SOPBOT_IMPORT_MAX_HEADINGS", 1),
            "max_steps": ("SOPBOT_IMPORT_MAX_STEPS", 1),
            "max_pages": ("SOPBOT_IMPORT_MAX_PAGES", 1),
            "max_picture_bytes": ("SOPBOT_IMPORT_MAX_PICTURE_MB", MB),
        }
        values: dict[str, int] = {}
        for item in fields(cls):
            if item.name in names and environ.get(names[item.name][0], "").strip():
                variable, unit = names[item.name]
                values[item.name] = int(float(environ[variable]) * unit)
        return cls(**values)


DEFAULT_LIMITS = ImportLimits()


class SopFileError(ValueError):
    """A file that cannot be read as an SOP; ``code`` and ``params`` say why."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(render(code, params))

    def render(self, script: str = "en") -> str:
        return render(self.code, self.params, script)


def megabytes(size: int) -> str:
    return f"{size / MB:.1f}".rstrip("0").rstrip(".")


def check_size(name: str, size: int, limits: ImportLimits) -> None:
    if size > limits.max_file_bytes:
        raise SopFileError(
            "too_large", name=name, size=megabytes(size), limit=megabytes(limits.max_file_bytes)
        )


def read_bytes(path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> bytes:
    """A file's bytes, refused before reading when it is over the size limit."""
    check_size(path.name, path.stat().st_size, limits)
    return path.read_bytes()


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); anything else is refused, not guessed."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SopFileError("not_utf8", name=name, line=line) from None


# Word and Excel files protected by a password, and the old .doc/.xls, are OLE files.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_zip(path: Path, limits: ImportLimits, kind: str) -> None:
    """Refuse a zip (Word, Excel) that is broken or unpacks to far more than it is."""
    with path.open("rb") as file:
        if file.read(len(OLE_SIGNATURE)) == OLE_SIGNATURE:
            raise SopFileError("protected_office", name=path.name, kind=kind)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise SopFileError("broken_file", name=path.name, kind=kind, detail=error) from None
    total = 0
    for member in members:
        total += member.file_size
        packed = max(member.compress_size, 1)
        if total > limits.max_unpacked_bytes or (
            member.file_size > MB and member.file_size / packed > limits.max_zip_ratio
        ):
            raise SopFileError(
                "zip_bomb", name=path.name, limit=megabytes(limits.max_unpacked_bytes)
            )


def unpack_archive(path: Path, into: Path, limits: ImportLimits = DEFAULT_LIMITS) -> Path:
    """Unpack a zip of SOP files (a docs site, a wiki export) into the new folder ``into``.

    Every member is checked before anything is written: a name that is absolute or
    climbs out with ``..`` (or is a link), more than the unpacked limit in all, or a
    member packed like a zip bomb refuses the whole archive.
    """
    check_size(path.name, path.stat().st_size, limits)
    check_zip(path, limits, "zip")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        for member in members:
            name = member.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            is_link = (member.external_attr >> 16) & 0o170000 == 0o120000
            if name.startswith("/") or ".." in parts or ":" in name.split("/")[0] or is_link:
                raise SopFileError("unsafe_name", name=member.filename)
        into.mkdir(parents=True, exist_ok=False)
        for member in members:
            if not member.is_dir():
                target = into.joinpath(*PurePosixPath(member.filename.replace("\\", "/")).parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, target.open("wb") as copy:
                    copy.write(source.read(limits.max_unpacked_bytes + 1))
    return into


def count_limit(name: str, count: int, limit: int, what: str) -> None:
    if count > limit:
        raise SopFileError("too_many", name=name, limit=limit, what=what)


def local_picture(reference: str) -> PurePosixPath | None:
    """A picture reference as a relative path, or None (a URL, an absolute path, data).

    It may still climb with ``..``: whether it stays inside the SOP's folder is for the
    caller to check against that folder.
    """
    if not reference or "://" in reference or reference.startswith(("data:", "/", "\\")):
        return None
    path = PurePosixPath(reference.replace("\\", "/").split("#")[0].split("?")[0])
    if not path.parts or ":" in path.parts[0]:
        return None
    return path
