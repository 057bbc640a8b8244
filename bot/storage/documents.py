"""The document library: each document's rule (in service, stores, level) and its versions.

A document is named by its number (``Step.doc_no``), which survives re-parsing and
imports. Every change of a rule is written to the audit trail in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.storage.base import MEMORY, Repository, Row
from bot.storage.people import ACCESS_LEVELS, check_access

EVERYONE = ACCESS_LEVELS[0]


@dataclass(frozen=True)
class Rule:
    """How one document is served; the default serves it to everyone."""

    doc_no: int
    in_service: bool = True
    stores: tuple[str, ...] = ()  # empty: every store
    level: str = EVERYONE  # the least access level that is served it

    @property
    def limited(self) -> bool:
        return bool(self.stores) or self.level != EVERYONE

    def serves(self, stores: Iterable[str], level: str | None, everything: bool) -> bool:
        """Whether someone in ``stores`` at ``level`` is served the document.

        ``everything``: an admin, served every document in service, whatever its limits.
        """
        if not self.in_service:
            return False
        if everything:
            return True
        if level is None or ACCESS_LEVELS.index(level) < ACCESS_LEVELS.index(self.level):
            return False
        return not self.stores or bool(set(self.stores).intersection(stores))


@dataclass(frozen=True)
class Library:
    """Every document's rule (documents without one are served to everyone)."""

    rules: Mapping[int, Rule] = field(default_factory=dict)

    def rule(self, doc_no: int) -> Rule:
        return self.rules.get(doc_no) or Rule(doc_no)

    @property
    def out_of_service(self) -> frozenset[int]:
        return frozenset(no for no, rule in self.rules.items() if not rule.in_service)

    def hidden_for(
        self, stores: Iterable[str], level: str | None, everything: bool = False
    ) -> frozenset[int]:
        """The documents not served to someone in ``stores`` at ``level``."""
        stores = tuple(stores)
        return frozenset(
            no for no, rule in self.rules.items() if not rule.serves(stores, level, everything)
        )


@dataclass(frozen=True)
class Change:
    """One change of a document's rule: when (ISO 8601, UTC), what, by whom ("" from the
    shell, `sopbot docs`)."""

    at: str
    action: str  # doc_withdraw, doc_serve, doc_stores, doc_level
    by: str


@dataclass(frozen=True)
class Version:
    """How many imports changed a document, and when it last changed (ISO 8601, UTC)."""

    number: int
    updated_at: str


def rule_of(row: Row) -> Rule:
    return Rule(
        doc_no=int(row["doc_no"]),
        in_service=bool(row["in_service"]),
        stores=tuple(json.loads(row["stores"] or "[]")),
        level=row["level"] or "staff",
    )


class Documents(Repository):
    def library(self) -> Library:
        """Every document's rule."""
        rows = self.rows("SELECT doc_no, in_service, stores, level FROM documents")
        return Library({rule.doc_no: rule for rule in map(rule_of, rows)})

    def set_rule(self, rule: Rule, name: str, actor: int, action: str, detail: str) -> None:
        """Store a document's rule and the change in the audit trail, together."""
        check_access(rule.level)
        with self.transaction():
            self.db.execute(
                """
                INSERT INTO documents (doc_no, name, in_service, stores, level)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (doc_no) DO UPDATE SET
                    name = excluded.name, in_service = excluded.in_service,
                    stores = excluded.stores, level = excluded.level
                """,
                (
                    rule.doc_no,
                    name,
                    int(rule.in_service),
                    json.dumps(sorted(rule.stores), ensure_ascii=False),
                    rule.level,
                ),
            )
            self.db.table("audit").insert(
                {
                    "at": self.clock(),
                    "actor": actor,
                    "action": action,
                    "target": f"{rule.doc_no} {name}",
                    "detail": detail,
                }
            )

    def record_versions(self, documents: Mapping[int, tuple[str, str]]) -> None:
        """Note what each served document says (name, fingerprint, by number): a document
        seen for the first time is version 1, one whose fingerprint changed one more."""
        now = self.clock()
        with self.transaction():
            known = {
                row["doc_no"]: row
                for row in self.rows_unlocked("SELECT doc_no, fingerprint, version FROM documents")
            }
            for doc_no, (name, print_) in documents.items():
                row = known.get(doc_no)
                if row is None:
                    self.db.execute(
                        "INSERT INTO documents (doc_no, name, fingerprint, version, updated_at)"
                        " VALUES (?, ?, ?, 1, ?)",
                        (doc_no, name, print_, now),
                    )
                elif row["fingerprint"] != print_:
                    version = (row["version"] or 0) + (1 if row["fingerprint"] else 0) or 1
                    self.db.execute(
                        "UPDATE documents SET name = ?, fingerprint = ?, version = ?,"
                        " updated_at = ? WHERE doc_no = ?",
                        (name, print_, version, now, doc_no),
                    )

    def versions(self) -> dict[int, Version]:
        rows = self.rows("SELECT doc_no, version, updated_at FROM documents")
        return {
            row["doc_no"]: Version(row["version"] or 1, row["updated_at"] or "")
            for row in rows
            if row["version"]
        }

    def document_changes(self, doc_no: int, limit: int = 3) -> list[Change]:
        """The latest changes of a document's rule (the audit trail), newest first."""
        rows = self.rows(
            "SELECT audit.at, audit.action, people.name FROM audit"
            " LEFT JOIN people ON people.user_id = audit.actor"
            " WHERE audit.target LIKE ? AND audit.action LIKE 'doc\\_%' ESCAPE '\\'"
            " ORDER BY audit.id DESC LIMIT ?",
            (f"{doc_no} %", limit),
        )
        return [Change(row["at"], row["action"], row["name"] or "") for row in rows]

    def store_names(self) -> list[str]:
        """Every store someone belongs to."""
        rows = self.rows("SELECT DISTINCT store FROM memberships ORDER BY store")
        return [row["store"] for row in rows]

    @staticmethod
    def read_library(path: Path | str) -> Library:
        """The rules from the bot's database without creating or migrating it (CLI)."""
        if str(path) == MEMORY or not Path(path).exists():
            return Library()
        connection = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        connection.row_factory = sqlite3.Row
        try:
            rows = connection.execute(
                "SELECT doc_no, in_service, stores, level FROM documents"
            ).fetchall()
        except sqlite3.OperationalError:  # an older database, before the library
            return Library()
        finally:
            connection.close()
        return Library({rule.doc_no: rule for rule in (rule_of(dict(row)) for row in rows)})
