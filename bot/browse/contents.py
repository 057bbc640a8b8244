"""The SOP's table of contents for browsing: document › role › step.

Built once from the knowledge base's steps, in document order. Documents and roles are
addressed by their position, which keeps callback data short; positions stay valid as long
as the corpus is the same, and a stale position is simply out of range.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.model import Step


@dataclass(frozen=True)
class RoleSection:
    """The steps of one role in a document (``name`` is "" where the document has no roles)."""

    name: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Document:
    name: str
    roles: tuple[RoleSection, ...]


@dataclass(frozen=True)
class Contents:
    documents: tuple[Document, ...]

    @classmethod
    def from_steps(cls, steps: Iterable[Step]) -> Contents:
        grouped: dict[str, dict[str, list[Step]]] = {}
        for step in steps:
            grouped.setdefault(step.doc, {}).setdefault(step.role, []).append(step)
        return cls(
            tuple(
                Document(doc, tuple(RoleSection(role, tuple(s)) for role, s in roles.items()))
                for doc, roles in grouped.items()
            )
        )

    @property
    def roles(self) -> tuple[str, ...]:
        """Every named role, in the order the documents introduce them (for /role)."""
        names = (section.name for doc in self.documents for section in doc.roles)
        return tuple(dict.fromkeys(name for name in names if name))

    def document(self, index: int) -> Document | None:
        return self.documents[index] if 0 <= index < len(self.documents) else None

    def section(self, doc_index: int, role_index: int) -> RoleSection | None:
        document = self.document(doc_index)
        if document is None or not 0 <= role_index < len(document.roles):
            return None
        return document.roles[role_index]

    def locate(self, step_id: str) -> tuple[int, int, int] | None:
        """(document, role, position) of a step, for a "back" button that returns to it."""
        for d, document in enumerate(self.documents):
            for r, section in enumerate(document.roles):
                for p, step in enumerate(section.steps):
                    if step.id == step_id:
                        return d, r, p
        return None
