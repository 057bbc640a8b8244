"""SOP updates without downtime: a managed corpus directory with versions, and what changed.

The managed corpus (``SOPBOT_CORPUS_DIR``) starts as a copy of the packaged corpus. Each
import writes a new version directory (the current files plus the imported one) and
points the ``current`` link at it; ``previous`` keeps the version before, so a rollback
is one more switch of links. Links are replaced atomically (``os.replace``), so a reader
sees either the old version or the new one, never half of each.

    var/corpus/current  -> versions/0003
    var/corpus/previous -> versions/0002
    var/corpus/versions/0003/營業….txt, store.md, catalog.json, questions/*.tsv
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.base import KnowledgeBase
from knowledge.corpus import (
    CATALOG,
    CORPUS_DIR,
    SOP_SUFFIXES,
    TEXT_SUFFIXES,
    AlternateKey,
    Catalog,
    folder_files,
    load_catalog,
    parse_file,
    question_files,
    sop_files,
    unpack_site,
)
from knowledge.model import Lint, Step
from knowledge.reading import ImportLimits, SopFileError, check_size, decode_text

log = logging.getLogger(__name__)

CURRENT, PREVIOUS, VERSIONS = "current", "previous", "versions"
# The largest SOP file: SOPBOT_IMPORT_MAX_MB (see knowledge/reading.py), 20 MB unless set.
MAX_SOP_BYTES = ImportLimits.from_env().max_file_bytes
SITE_SUFFIX = ".zip"  # a docs site or wiki export: its pages, pictures and all
NAME_RE = re.compile(r"[^\w.\-\u3400-\u9fff]+")
# The longest file name kept, in bytes: file systems allow 255, and the corpus also writes
# ".<name>" archives and "<stem>/" folders beside it.
NAME_BYTES = 200


class UpdateError(ValueError):
    """A file that cannot become part of the SOP; the message says why.

    ``code`` and ``params`` are those of the reader's :class:`SopFileError` when it
    refused the file (so the bot can say why in the reader's language), else empty.
    """

    def __init__(self, message: str, code: str = "", params: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params = params or {}


@dataclass(frozen=True)
class Changes:
    """What an update does to the steps, each named by its breadcrumb."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass(frozen=True)
class Proposal:
    """An SOP file read and compared with the current corpus, not yet applied."""

    name: str
    content: bytes
    steps: int
    changes: Changes
    lints: tuple[Lint, ...]
    replaces: bool  # a file of the same name is in the corpus already
    site: bool = False  # a zipped docs site, kept as a folder of its pages
    pictures: int = 0  # pictures its steps show


def compare(old: Sequence[Step], new: Sequence[Step]) -> Changes:
    """Steps added, removed and changed (same step, other text or tips)."""
    before = {step.id: step for step in old}
    after = {step.id: step for step in new}

    def crumb(step: Step) -> str:
        return " › ".join(step.breadcrumb)

    return Changes(
        added=tuple(crumb(s) for i, s in after.items() if i not in before),
        removed=tuple(crumb(s) for i, s in before.items() if i not in after),
        changed=tuple(
            crumb(s)
            for i, s in after.items()
            if i in before and (before[i].body, before[i].tips) != (s.body, s.tips)
        ),
    )


def safe_name(name: str) -> str:
    """A file name fit for the corpus directory: no folders, no hidden files, and short
    enough for any file system (255 bytes a name; a Telegram document's name may be longer:
    its stem is cut, its suffix kept)."""
    base = NAME_RE.sub("_", Path(name.replace("\\", "/")).name).lstrip("._")
    if Path(base).suffix.lower() not in {*SOP_SUFFIXES, SITE_SUFFIX} or not Path(base).stem:
        kinds = ", ".join(sorted({*SOP_SUFFIXES, SITE_SUFFIX}))
        kind = Path(base).suffix.lower() or "?"
        shown = name if len(name) <= 80 else name[:80] + "…"
        raise UpdateError(
            f"an SOP file is one of {kinds}, not {shown!r}",
            "not_an_sop_file",
            {"name": Path(shown.replace("\\", "/")).name or shown, "kind": kind},
        )
    stem, suffix = Path(base).stem, Path(base).suffix
    if len(base.encode()) > NAME_BYTES:
        room = NAME_BYTES - len(suffix.encode())
        stem = stem.encode()[:room].decode("utf-8", "ignore").rstrip("._-")
        base = stem + suffix
    return base


class ManagedCorpus:
    """The SOP files the product serves once an update has been imported."""

    def __init__(self, root: Path, packaged: Path = CORPUS_DIR) -> None:
        self.root = Path(root)
        self.packaged = packaged

    @property
    def exists(self) -> bool:
        return (self.root / CURRENT).is_dir()

    @property
    def directory(self) -> Path:
        """The current version's directory (the packaged corpus until the first import)."""
        return (self.root / CURRENT).resolve() if self.exists else self.packaged

    @property
    def has_previous(self) -> bool:
        return (self.root / PREVIOUS).is_dir()

    def sources(self) -> list[Path]:
        return sop_files(self.directory)

    def catalog(self) -> Catalog:
        return load_catalog(self.directory)

    def questions(self) -> list[Path]:
        return question_files(self.directory / "questions")

    def steps(self) -> list[Step]:
        catalog = self.catalog()
        return [step for path in self.sources() for step in parse_file(path, catalog).steps]

    def propose(self, name: str, content: bytes) -> Proposal:
        """Read a file as the SOP would and say what importing it would change."""
        name = safe_name(name)
        if len(content) > MAX_SOP_BYTES:
            try:
                check_size(name, len(content), ImportLimits(max_file_bytes=MAX_SOP_BYTES))
            except SopFileError as error:
                raise UpdateError(str(error), error.code, error.params) from None
        if Path(name).suffix.lower() in TEXT_SUFFIXES:
            try:
                decode_text(content, name)
            except SopFileError as error:
                raise UpdateError(str(error), error.code, error.params) from None
        current = self.directory
        catalog = self.catalog()
        site = Path(name).suffix.lower() == SITE_SUFFIX
        # A zipped site is kept as a folder named after the zip.
        target = Path(name).stem if site else name
        trial = self.root / ".trial"
        shutil.rmtree(trial, ignore_errors=True)
        trial.mkdir(parents=True)
        try:
            (trial / name).write_bytes(content)
            if site:
                folder = unpack_site(trial / name, trial / target)
                parsed = [parse_file(path, catalog) for path in folder_files(folder)]
            else:
                parsed = [parse_file(trial / name, catalog)]
        except SopFileError as error:
            raise UpdateError(str(error), error.code, error.params) from error
        finally:
            shutil.rmtree(trial, ignore_errors=True)
        steps = [step for source in parsed for step in source.steps]
        if not steps:
            raise UpdateError(
                f"no steps found in {name}: see the SOP formats in the README",
                "no_steps",
                {"name": name},
            )
        old = self.steps()
        replaced = current / target
        kept = [
            step
            for path in self.sources()
            if path != replaced and replaced not in path.parents
            for step in parse_file(path, catalog).steps
        ]
        return Proposal(
            name=name,
            content=content,
            steps=len(steps),
            changes=compare(old, [*kept, *steps]),
            lints=tuple(lint for source in parsed for lint in source.lints),
            replaces=replaced.exists(),
            site=site,
            pictures=sum(len(step.pictures) for step in steps),
        )

    def seed(self) -> None:
        """Start the managed corpus as a copy of the packaged one (first use only)."""
        if self.exists:
            return
        version = self.new_version()
        for path in [*sop_files(self.packaged), self.packaged / CATALOG]:
            if path.exists():
                shutil.copy2(path, version / path.name)
        if (self.packaged / "questions").is_dir():
            shutil.copytree(self.packaged / "questions", version / "questions")
        self.point(CURRENT, version)
        log.info("seeded the managed corpus %s from %s", self.root, self.packaged)

    def apply(self, proposal: Proposal) -> Path:
        """Make a new version with the proposed file; the current one becomes previous."""
        self.seed()
        current = self.directory
        version = self.new_version()
        shutil.copytree(current, version, dirs_exist_ok=True)
        if proposal.site:
            folder = version / Path(proposal.name).stem
            shutil.rmtree(folder, ignore_errors=True)
            archive = version / f".{proposal.name}"
            archive.write_bytes(proposal.content)
            try:
                unpack_site(archive, folder)
            finally:
                archive.unlink()
        else:
            (version / proposal.name).write_bytes(proposal.content)
        self.point(PREVIOUS, current)
        self.point(CURRENT, version)
        self.prune()
        log.info("imported %s as %s", proposal.name, version.name)
        return version

    def newer(self, version: Path, than: Path) -> bool:
        """Whether ``version`` was imported after ``than`` (the packaged corpus is oldest)."""

        def number(path: Path) -> int:
            name = path.resolve().name
            return int(name) if path.resolve().parent.name == VERSIONS and name.isdigit() else 0

        return number(version) > number(than)

    def rollback(self) -> Path:
        """Go back to the previous version (and a second rollback comes forward again)."""
        if not (self.exists and self.has_previous):
            raise UpdateError("there is no previous SOP version to go back to")
        current, previous = self.directory, (self.root / PREVIOUS).resolve()
        self.point(PREVIOUS, current)
        self.point(CURRENT, previous)
        log.info("rolled the SOP back to %s", previous.name)
        return previous

    def new_version(self) -> Path:
        versions = self.root / VERSIONS
        versions.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name) for p in versions.iterdir() if p.name.isdigit()]
        version = versions / f"{max(numbers, default=0) + 1:04d}"
        version.mkdir()
        return version

    def point(self, link: str, version: Path) -> None:
        """Point ``link`` at ``version`` atomically (a relative link, so the tree can move)."""
        tmp = self.root / f".{link}.tmp"
        tmp.unlink(missing_ok=True)
        target = version.resolve().relative_to(self.root.resolve())
        tmp.symlink_to(target, target_is_directory=True)
        os.replace(tmp, self.root / link)

    def prune(self) -> None:
        """Keep only the current and previous versions."""
        keep = {self.directory, (self.root / PREVIOUS).resolve()}
        for version in (self.root / VERSIONS).iterdir():
            if version.resolve() not in keep:
                shutil.rmtree(version, ignore_errors=True)


@dataclass(frozen=True)
class Recipe:
    """What ``open_knowledge`` needs to load one knowledge base, as plain data, so another
    process (the bot's search worker, an index build) can load or build the same one."""

    index_path: Path
    corpus_dir: Path | None
    taught: Mapping[str, Sequence[str]] = field(default_factory=dict)  # by step id

    def open(self, build: bool = True) -> KnowledgeBase:
        taught: dict[AlternateKey, Sequence[str]] = dict(self.taught.items())
        return open_knowledge(self.index_path, self.corpus_dir, taught, build=build)

    def to_json(self) -> str:
        return json.dumps(
            {
                "index": str(self.index_path),
                "corpus": str(self.corpus_dir) if self.corpus_dir is not None else None,
                "taught": {key: list(questions) for key, questions in self.taught.items()},
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        data = json.loads(text)
        corpus = data.get("corpus")
        taught = {str(key): tuple(questions) for key, questions in data["taught"].items()}
        return cls(Path(data["index"]), Path(corpus) if corpus else None, taught)


def open_knowledge(
    index_path: Path | None,
    corpus_root: Path | None,
    extra_alternates: Mapping[AlternateKey, Sequence[str]] | None = None,
    build: bool = True,
) -> KnowledgeBase:
    """The knowledge base the product serves: the managed corpus once there is one.

    The bot, its rebuilds, its search worker (``build=False``) and the CLI all load
    through here.
    """
    managed = ManagedCorpus(corpus_root) if corpus_root else None
    if managed is None or not managed.exists:
        return KnowledgeBase.open(
            index_path=index_path, extra_alternates=extra_alternates, build=build
        )
    return KnowledgeBase.open(
        index_path=index_path,
        sources=managed.sources(),
        catalog=managed.catalog(),
        questions=managed.questions(),
        extra_alternates=extra_alternates,
        build=build,
    )
