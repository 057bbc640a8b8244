"""The SOP files the product serves, and how each format is read.

``knowledge/corpus/`` holds the default corpus (the seed SOP) and ``catalog.json``,
which names each document of a file, lists words staff use for it, and the words that
point at each role.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from knowledge.messages import lint as make_lint
from knowledge.model import Lint, ParsedSource, Step
from knowledge.parse_markdown import parse_markdown
from knowledge.parse_text import DOC_RE, parse_text
from knowledge.reading import (
    ImportLimits,
    SopFileError,
    check_size,
    decode_text,
    local_picture,
    megabytes,
    read_bytes,
    unpack_archive,
)
from knowledge.structure import build_source, plain_blocks

CORPUS_DIR = Path(__file__).parent / "corpus"
QUESTIONS_DIR = CORPUS_DIR / "questions"
CATALOG = "catalog.json"
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".csv"}
SOP_SUFFIXES = {*TEXT_SUFFIXES, ".docx", ".pdf", ".xlsx"}


@dataclass(frozen=True)
class Catalog:
    files: dict[str, dict]
    roles: dict[str, tuple[str, ...]]
    # Roles that serve only some customers (VIPs, demos): their copy of a rule shared
    # with the counter answers only a question that is about them.
    specialists: tuple[str, ...] = ()
    # English names of roles, for English readers (documents carry their own "en").
    english: dict[str, str] = field(default_factory=dict)

    def english_names(self) -> dict[str, str]:
        """Chinese name → English name, for every document and role that has one."""
        names = dict(self.english)
        for entry in self.files.values():
            for doc in entry.get("documents", {}).values():
                if doc.get("name") and doc.get("en"):
                    names[doc["name"]] = doc["en"]
        return names

    def documents(self, filename: str) -> dict[str, dict]:
        return self.files.get(filename, {}).get("documents", {})

    def home_documents(self) -> set[int]:
        """The store's own SOP ("home": true): staff need not name it, so its names
        (門市, store) pick nothing out and its roles are the ones questions name."""
        return {
            int(number)
            for entry in self.files.values()
            for number, doc in entry.get("documents", {}).items()
            if doc.get("home")
        }

    def aliases(self) -> dict[int, tuple[str, ...]]:
        """Names and aliases of every document, by 篇 number (across files)."""
        found: dict[int, tuple[str, ...]] = {}
        for entry in self.files.values():
            for number, doc in entry.get("documents", {}).items():
                names = (doc.get("name", ""), doc.get("en", ""), *doc.get("aliases", ()))
                found[int(number)] = tuple(name for name in names if name)
        return found


@cache
def load_catalog(directory: Path = CORPUS_DIR) -> Catalog:
    path = directory / CATALOG
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    roles = {role: tuple(words) for role, words in data.pop("_roles", {}).items()}
    specialists = tuple(data.pop("_specialist_roles", ()))
    english = dict(data.pop("_english", {}))
    return Catalog(files=data, roles=roles, specialists=specialists, english=english)


# A folder holding a whole docs site or wiki export (imported as a .zip) has this file,
# naming the document its pages belong to.
SITE_MARKER = ".sopbot-site.json"


def sop_files(directory: Path = CORPUS_DIR) -> list[Path]:
    """The SOP files of a corpus directory, then the pages of each site folder in it."""
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in SOP_SUFFIXES)
    for site in sorted(p for p in directory.iterdir() if (p / SITE_MARKER).is_file()):
        files += folder_files(site)
    return files


def unpack_site(archive: Path, folder: Path, limits: ImportLimits | None = None) -> Path:
    """Unpack a zipped docs site into ``folder`` and mark it as one site.

    The site's document is named by its top index page's title (``index.md`` or
    ``README.md`` nearest the top), else by the archive's name.
    """
    limits = limits or ImportLimits.from_env()
    unpack_archive(archive, folder, limits)
    document = archive.stem
    tops = sorted(
        (p for p in folder.rglob("*") if p.stem.lower() in {"index", "readme"} and p.is_file()),
        key=lambda p: (len(p.relative_to(folder).parts), str(p)),
    )
    for top in tops:
        if top.suffix.lower() in {".md", ".markdown"}:
            text = decode_text(read_bytes(top, limits), top.name)
            title = parse_markdown(text, source=top.name, limits=limits).title
            if title and title != top.name:
                document = title
                break
    marker = {"document": document, "archive": archive.name}
    (folder / SITE_MARKER).write_text(json.dumps(marker, ensure_ascii=False), encoding="utf-8")
    return folder


def site_of(path: Path) -> tuple[Path, str] | None:
    """The site folder a page belongs to and the site's document name, or None."""
    for folder in list(path.parents)[:12]:
        marker = folder / SITE_MARKER
        if marker.is_file():
            data = json.loads(marker.read_text(encoding="utf-8") or "{}")
            return folder, str(data.get("document", "")) or folder.name
    return None


def parse_file(
    path: Path,
    catalog: Catalog | None = None,
    limits: ImportLimits | None = None,
    root: Path | None = None,
    document: str = "",
) -> ParsedSource:
    """Read one SOP file in whichever format its name says.

    A file that cannot be read whole raises :class:`~knowledge.reading.SopFileError`
    before anything is returned. Pictures are checked against ``root`` (the folder the
    SOP came in, by default the file's own, or the site folder it is a page of): one
    outside it or missing is not kept. ``document`` files the steps as a page of that
    document (the file's title its role); a site's pages are filed under the site's.
    """
    catalog = catalog or load_catalog()
    limits = limits or ImportLimits.from_env()
    site = site_of(path) if root is None else None
    if site is not None:
        root, document = site[0], document or site[1]
    # Pictures are named from the folder of the file, or of its site: the corpus directory.
    base = root.parent if site is not None and root is not None else (root or path.parent)
    parsed = read_file(path, catalog, limits, root or path.parent, document)
    if path.suffix.lower() == ".docx":
        # Embedded pictures are named by the file and their place in it: "sop.docx#word/…".
        inside = path.relative_to(base).as_posix()
        parsed = with_pictures(parsed, lambda name: f"{inside}#{name}")
    elif path.suffix.lower() in {".md", ".markdown", ".html", ".htm"}:
        parsed = check_pictures(parsed, path.parent, root or path.parent, limits, base)
    return parsed


def read_file(
    path: Path, catalog: Catalog, limits: ImportLimits, root: Path, document: str
) -> ParsedSource:
    suffix = path.suffix.lower()
    documents = catalog.documents(path.name) or catalog.documents(f"{path.stem}.txt")
    if suffix not in SOP_SUFFIXES:
        raise SopFileError("unsupported", name=path.name, kind=suffix or "?")
    check_size(path.name, path.stat().st_size, limits)
    if suffix == ".docx":
        from knowledge.parse_docx import parse_docx

        return parse_docx(path, documents, limits, document)
    if suffix == ".pdf":
        from knowledge.parse_pdf import parse_pdf

        return parse_pdf(path, documents, limits, document)
    if suffix in {".xlsx", ".csv"}:
        from knowledge.parse_sheet import parse_sheet

        return parse_sheet(path, limits, document)
    text = decode_text(read_bytes(path, limits), path.name)
    if suffix in {".md", ".markdown"}:
        parsed = parse_markdown(text, path.name, document, limits, documents)
    elif suffix in {".html", ".htm"}:
        from knowledge.parse_html import parse_html

        parsed = parse_html(text, path.name, limits, document, documents)
    elif any(DOC_RE.match(line.strip()) for line in text.splitlines()):
        parsed = parse_text(text, source=path.name, catalog=documents)
    else:
        # Not the seed's layout ("… 篇3" documents): lines, lists and short headings.
        parsed = build_source(plain_blocks(text), path.name, "", False, document, limits)
    return parsed


def with_pictures(parsed: ParsedSource, rename: Callable[[str], str]) -> ParsedSource:
    steps = tuple(
        replace(step, pictures=tuple(rename(p) for p in step.pictures)) if step.pictures else step
        for step in parsed.steps
    )
    return replace(parsed, steps=steps)


def picture_bytes(directory: Path, reference: str, limits: ImportLimits | None = None) -> bytes:
    """The bytes of a picture a step names, read from the corpus ``directory``.

    A reference is a path inside the directory (``site/assets/x.png``) or a Word file and
    the picture's place in it (``sop.docx#word/media/image1.png``). One that leaves the
    directory, is missing or is over the picture limit raises SopFileError.
    """
    limits = limits or ImportLimits.from_env()
    name, _, inside = reference.partition("#")
    relative = local_picture(name)
    target = (directory / relative).resolve() if relative is not None else None
    if target is None or not target.is_relative_to(directory.resolve()):
        raise SopFileError("picture_outside", picture=reference)
    if not target.is_file():
        raise SopFileError("picture_missing", picture=reference)
    if inside and target.suffix.lower() == ".docx":
        from knowledge.parse_docx import docx_picture

        try:
            data = docx_picture(target, inside)
        except KeyError:
            raise SopFileError("picture_missing", picture=reference) from None
    else:
        check_size(target.name, target.stat().st_size, limits)
        data = target.read_bytes()
    if len(data) > limits.max_picture_bytes:
        raise SopFileError(
            "picture_too_large",
            name=name,
            picture=reference,
            size=megabytes(len(data)),
            limit=megabytes(limits.max_picture_bytes),
        )
    return data


def folder_files(root: Path) -> list[Path]:
    """The SOP files anywhere under ``root``, in path order, leaving out hidden folders."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SOP_SUFFIXES
        and not any(part.startswith((".", "_")) for part in path.relative_to(root).parts)
        and path.name.lower() not in {"readme.md", "license.md", "changelog.md"}
    )


def parse_folder(
    root: Path,
    catalog: Catalog | None = None,
    limits: ImportLimits | None = None,
    document: str = "",
) -> list[ParsedSource]:
    """Read every SOP file of a folder (a docs site, a wiki export, an unpacked zip).

    Pictures are kept as paths inside ``root``; with ``document``, every file is a page
    of that one document. A file that cannot be read refuses the whole folder.
    """
    limits = limits or ImportLimits.from_env()
    found = []
    for path in folder_files(root):
        source = parse_file(path, catalog, limits, root=root, document=document)
        # Two folders may each have an index.md: a page is named by its path.
        name = path.relative_to(root).as_posix()
        lints = tuple(replace(lint, source=name) for lint in source.lints)
        found.append(replace(source, source=name, lints=lints))
    return found


def check_pictures(
    parsed: ParsedSource,
    folder: Path,
    root: Path,
    limits: ImportLimits,
    base: Path | None = None,
) -> ParsedSource:
    """Keep the pictures that are files inside ``root``, as paths relative to ``base``
    (by default ``root``).

    A web address is kept as it is; a picture outside the folder or not there is left
    out with a lint; one over the size limit refuses the whole file.
    """
    root = root.resolve()
    lints = list(parsed.lints)
    steps = []
    for step in parsed.steps:
        kept = []
        for picture in step.pictures:
            if picture.startswith(("http://", "https://")):
                kept.append(picture)
                continue
            relative = local_picture(picture)
            target = (folder / relative).resolve() if relative is not None else None
            if target is None or not target.is_relative_to(root):
                lints.append(make_lint(parsed.source, 0, "picture_outside", picture=picture))
                continue
            if not target.is_file():
                lints.append(make_lint(parsed.source, 0, "picture_missing", picture=picture))
                continue
            size = target.stat().st_size
            if size > limits.max_picture_bytes:
                raise SopFileError(
                    "picture_too_large",
                    name=parsed.source,
                    picture=picture,
                    size=megabytes(size),
                    limit=megabytes(limits.max_picture_bytes),
                )
            kept.append(target.relative_to((base or root).resolve()).as_posix())
        steps.append(replace(step, pictures=tuple(kept)) if kept != list(step.pictures) else step)
    return replace(parsed, steps=tuple(steps), lints=tuple(lints))


def question_files(directory: Path = QUESTIONS_DIR) -> list[Path]:
    return sorted(directory.glob("*.tsv")) if directory.is_dir() else []


def read_alternates(paths: list[Path]) -> dict[tuple[int, str, str], list[str]]:
    """Staff-style questions per step: ``doc_no<TAB>role<TAB>step label<TAB>question``.

    They are indexed with their step (document expansion), so a question worded the
    way staff talk meets a step worded the way the SOP is written.
    """
    found: dict[tuple[int, str, str], list[str]] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) == 4 and fields[0].strip().isdigit() and fields[3].strip():
                key = (int(fields[0]), fields[1].strip(), fields[2].strip())
                found.setdefault(key, []).append(fields[3].strip())
    return found


# Extra alternates name their step by id (a taught question, which survives re-parsing) or
# like the question files do, by (document number, role, step label).
AlternateKey = str | tuple[int, str, str]


def attach_extra_alternates(
    parsed: list[ParsedSource], extra: Mapping[AlternateKey, Sequence[str]]
) -> list[ParsedSource]:
    """Give steps the alternates taught since (see ``KnowledgeBase.open``).

    Those for a step that no longer exists are left out quietly: a step an SOP update
    removed takes what it was taught with it.
    """
    by_label = {key: list(qs) for key, qs in extra.items() if isinstance(key, tuple)}
    if by_label:
        parsed = attach_alternates(parsed, by_label)
    by_id = {key: tuple(qs) for key, qs in extra.items() if isinstance(key, str)}
    return [
        replace(
            source,
            steps=tuple(
                replace(step, alternates=step.alternates + by_id[step.id])
                if step.id in by_id
                else step
                for step in source.steps
            ),
        )
        for source in parsed
    ]


def attach_alternates(
    parsed: list[ParsedSource], alternates: dict[tuple[int, str, str], list[str]]
) -> list[ParsedSource]:
    """Give each step its alternate questions.

    A step is named by its label (``1、晨會``), or by ``section › label`` where one
    document repeats a label in two sections (duties 1… and requirements 1…); a bare
    label that fits several steps attaches to none. Both, and questions for steps that
    do not exist, are reported as lints.
    """
    steps_by_key: dict[tuple[int, str, str], list[Step]] = {}
    for source in parsed:
        for step in source.steps:
            for label in (step.label, f"{step.section} › {step.label}"):
                steps_by_key.setdefault((step.doc_no, step.role, label), []).append(step)
    extra: dict[int, tuple[str, ...]] = {}
    lints = []
    for key, questions in alternates.items():
        matches = steps_by_key.get(key, [])
        if len(matches) == 1:
            target = id(matches[0])
            extra[target] = extra.get(target, ()) + tuple(questions)
        elif matches:
            lints.append(Lint("questions", 0, f"step {key} is ambiguous: name its section too"))
        else:
            lints.append(Lint("questions", 0, f"questions for a step that does not exist: {key}"))
    result = []
    for source in parsed:
        steps = tuple(
            replace(step, alternates=step.alternates + extra[id(step)])
            if id(step) in extra
            else step
            for step in source.steps
        )
        result.append(replace(source, steps=steps))
    if lints and result:
        result[0] = replace(result[0], lints=result[0].lints + tuple(lints))
    return result
