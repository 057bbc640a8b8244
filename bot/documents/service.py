"""The document library as the admin sees it: each served document with its file, steps,
pictures, version, lints and rule. No Telegram: the bot's /docs and `sopbot docs` both
read it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.documents.library import Library, Rule, fingerprints
from bot.storage import Storage, Version
from knowledge import KnowledgeBase
from knowledge.corpus import CORPUS_DIR, load_catalog, parse_file
from knowledge.model import Lint
from knowledge.reading import SopFileError
from knowledge.updates import ManagedCorpus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """One entry of the corpus directory: an SOP file, or the folder of a zipped site."""

    name: str
    lints: tuple[Lint, ...]
    packaged: bool  # one of the packaged sample SOP's files


@dataclass(frozen=True)
class Document:
    doc_no: int
    name: str
    source: Source
    steps: int
    roles: tuple[str, ...]
    pictures: int


@dataclass(frozen=True)
class Entry:
    """A document with how it is served now."""

    document: Document
    rule: Rule
    version: Version | None

    @property
    def doc_no(self) -> int:
        return self.document.doc_no

    @property
    def name(self) -> str:
        return self.document.name


def corpus_directory(settings: Settings) -> Path:
    """The SOP files served: the managed corpus's current version, else the packaged one."""
    return ManagedCorpus(settings.corpus_dir).directory


_catalogues: dict[str, tuple[Document, ...]] = {}


def documents(kb: KnowledgeBase, directory: Path) -> tuple[Document, ...]:
    """The documents ``kb`` serves, read from the corpus ``directory``, in SOP order.

    The files are read again for their lints (the index keeps the steps only), once per
    knowledge base.
    """
    key = f"{kb.fingerprint}:{directory}"
    if key not in _catalogues:
        _catalogues.clear()
        _catalogues[key] = read_documents(kb, directory)
    return _catalogues[key]


def read_documents(kb: KnowledgeBase, directory: Path) -> tuple[Document, ...]:
    catalog = load_catalog(directory)
    lints: dict[str, list[Lint]] = {}
    source_of: dict[int, str] = {}
    for path in kb.sources:
        entry = top_entry(path, directory)
        try:
            parsed = parse_file(path, catalog)
        except (SopFileError, OSError) as error:  # changed on disk since it was indexed
            log.warning("could not read %s again for the library: %s", path, error)
            continue
        lints.setdefault(entry, []).extend(parsed.lints)
        for step in parsed.steps:
            source_of.setdefault(step.doc_no, entry)
    sources = {
        name: Source(name, tuple(found), (CORPUS_DIR / name).exists())
        for name, found in lints.items()
    }
    grouped: dict[int, list] = {}
    for step in kb.steps:
        grouped.setdefault(step.doc_no, []).append(step)
    found = []
    for doc_no, steps in grouped.items():
        name = source_of.get(doc_no, "")
        source = sources.get(name) or Source(name or "?", (), False)
        found.append(
            Document(
                doc_no=doc_no,
                name=steps[0].doc,
                source=source,
                steps=len(steps),
                roles=tuple(dict.fromkeys(s.role for s in steps if s.role)),
                pictures=sum(len(s.pictures) for s in steps),
            )
        )
    return tuple(found)


def top_entry(path: Path, directory: Path) -> str:
    """The file or site folder of ``directory`` that ``path`` is (or is inside)."""
    try:
        return path.resolve().relative_to(directory.resolve()).parts[0]
    except ValueError:
        return path.name


def entries(
    kb: KnowledgeBase, directory: Path, library: Library, versions: dict[int, Version]
) -> list[Entry]:
    return [
        Entry(document, library.rule(document.doc_no), versions.get(document.doc_no))
        for document in documents(kb, directory)
    ]


def note_versions(storage: Storage, kb: KnowledgeBase) -> None:
    """Record what each served document says, so changed ones count a new version."""
    storage.documents.record_versions(fingerprints(kb.steps))


def find(found: Sequence[Entry], wanted: str) -> list[Entry]:
    """The documents ``wanted`` names: a number, a document's name, or a file's name (all of
    its documents); an empty list when none matches."""
    wanted = wanted.strip()
    if wanted.isdigit():
        return [entry for entry in found if entry.doc_no == int(wanted)]
    by_name = [entry for entry in found if entry.name == wanted]
    if by_name:
        return by_name
    return [entry for entry in found if entry.document.source.name == wanted]


def packaged(found: Iterable[Entry]) -> list[Entry]:
    """The documents of the packaged sample SOP."""
    return [entry for entry in found if entry.document.source.packaged]


def in_service(rule: Rule, serve: bool) -> Rule:
    return Rule(rule.doc_no, serve, rule.stores, rule.level)


def with_store(rule: Rule, store: str, included: bool) -> Rule:
    stores = set(rule.stores)
    (stores.add if included else stores.discard)(store)
    return Rule(rule.doc_no, rule.in_service, tuple(sorted(stores)), rule.level)


def with_stores(rule: Rule, stores: Iterable[str]) -> Rule:
    return Rule(rule.doc_no, rule.in_service, tuple(sorted(set(stores))), rule.level)


def with_level(rule: Rule, level: str) -> Rule:
    return Rule(rule.doc_no, rule.in_service, rule.stores, level)


def describe(rule: Rule) -> str:
    """A rule for the audit trail."""
    stores = ",".join(rule.stores) or "*"
    return f"in_service={int(rule.in_service)} stores={stores} level={rule.level}"


def change(storage: Storage, entry: Entry, rule: Rule, actor: int, action: str) -> Library:
    """Store ``rule`` for the entry's document (with the audit trail); the new library."""
    storage.documents.set_rule(rule, entry.name, actor, action, describe(rule))
    return storage.documents.library()
