"""Groups an admin linked to a store: the only groups the bot shows SOP text in.

What a linked group may see, and who may link one, is decided in ``bot/access/rules.py``.
"""

from __future__ import annotations

from bot.storage.base import Repository


class Groups(Repository):
    def link_group(self, chat_id: int, store: str, linked_by: int) -> None:
        """Link a group to a store (again, if it was linked to another)."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO group_links (chat_id, store, linked_by, linked_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET "
                "store = excluded.store, linked_by = excluded.linked_by, "
                "linked_at = excluded.linked_at",
                (chat_id, store, linked_by, self.clock()),
            )

    def unlink_group(self, chat_id: int) -> bool:
        """Unlink a group; False if it was not linked."""
        with self.transaction():
            return bool(
                self.db.execute("DELETE FROM group_links WHERE chat_id = ?", (chat_id,)).rowcount
            )

    def linked_store(self, chat_id: int) -> str | None:
        """The store a group is linked to, None if it is not (or is not a group)."""
        row = self.row("SELECT store FROM group_links WHERE chat_id = ?", (chat_id,))
        return row["store"] if row else None
