"""The SOP files the product serves, and how each format is read.

``knowledge/corpus/`` holds the default corpus (the seed SOP) and ``catalog.json``,
which names each document of a file, lists words staff use for it, and the words that
point at each role.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from knowledge.model import ParsedSource
from knowledge.parse_markdown import parse_markdown
from knowledge.parse_text import parse_text

CORPUS_DIR = Path(__file__).parent / "corpus"
CATALOG = "catalog.json"
SOP_SUFFIXES = {".txt", ".md", ".markdown"}


@dataclass(frozen=True)
class Catalog:
    files: dict[str, dict]
    roles: dict[str, tuple[str, ...]]

    def documents(self, filename: str) -> dict[str, dict]:
        return self.files.get(filename, {}).get("documents", {})

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
    return Catalog(files=data, roles=roles)


def sop_files(directory: Path = CORPUS_DIR) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in SOP_SUFFIXES)


def parse_file(path: Path, catalog: Catalog | None = None) -> ParsedSource:
    """Read one SOP file in whichever format its name says."""
    catalog = catalog or load_catalog()
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in {".md", ".markdown"}:
        return parse_markdown(text, source=path.name)
    return parse_text(text, source=path.name, catalog=catalog.documents(path.name))
