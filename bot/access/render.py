"""The texts of access control: refusals, invites, the staff directory and confirmations.

Pure functions returning Telegram HTML, like ``bot.render`` (kept apart so the people
feature does not crowd the answer texts). Names and stores come from users and are escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import label, label_html
from bot.storage import MEMBER, REVOKED

# A directory longer than this is cut, with "…and n more" (Telegram's limit is 4096).
DIRECTORY_LIMIT = 3800


def fill(script: str, key: str, **values: str | int) -> str:
    """A label as HTML, with values that are already HTML put into its placeholders."""
    return label_html(script, key).format(**values)


def code(value: str | int) -> str:
    return f"<code>{html.escape(str(value))}</code>"


def access_name(script: str, access: str) -> str:
    return label(script, f"access_{access}")


def not_member(script: str, user_id: int) -> str:
    """The refusal a stranger gets: their id, and whom to ask. Nothing else."""
    return fill(script, "not_member", user_id=code(user_id))


def not_member_short(script: str, user_id: int) -> str:
    """The same refusal as plain text, for a button's pop-up (at most 200 characters)."""
    return label(script, "not_member_short", user_id=user_id)


def join_help(script: str, user_id: int) -> str:
    """/start and /help for a stranger: how to join."""
    return fill(script, "join_help", user_id=code(user_id))


def invite_refused(script: str, outcome: str, user_id: int) -> str:
    """Why an invite link did not work (unknown, used, expired, withdrawn, revoked,
    member) and what to do."""
    if outcome in (REVOKED, MEMBER):
        # No new link helps them: a revoked person needs a /grant, a member nothing.
        return fill(script, f"invite_{outcome}", user_id=code(user_id))
    return "\n".join(
        [
            label_html(script, f"invite_{outcome}"),
            fill(script, "invite_ask_again", user_id=code(user_id)),
        ]
    )


def joined(script: str, access: str, store: str) -> str:
    return fill(
        script,
        "joined",
        access=html.escape(access_name(script, access)),
        store=html.escape(store),
    )


def invite_made(script: str, access: str, store: str, uses: int, hours: int, link: str) -> str:
    return fill(
        script,
        "invite_made",
        access=html.escape(access_name(script, access)),
        store=html.escape(store),
        uses=uses,
        hours=hours,
        link=code(link),
    )


def notice(script: str, key: str, **values: str | int) -> str:
    """A one-line message (a usage line, a refusal) with plain values, escaped."""
    return label_html(script, key, **values)


def store_list(script: str, stores: Sequence[str]) -> str:
    """Stores as a reader lists them (「A、B」, "A, B"), or "(no store)"; plain text."""
    if not stores:
        return label(script, "no_store")
    return (", " if script == "en" else "、").join(stores)


def person_name(script: str, name: str | None) -> str:
    """Who someone is, for a confirmation: their name, or that they never wrote."""
    return f"<b>{html.escape(name or label(script, 'unknown_person'))}</b>"


def confirm_grant(
    script: str, name: str | None, user_id: int, access: str, stores: Sequence[str]
) -> str:
    """The question before a /grant: the level, and every store it will hold in."""
    return fill(
        script,
        "confirm_grant",
        name=person_name(script, name),
        user_id=code(user_id),
        access=html.escape(access_name(script, access)),
        stores=html.escape(store_list(script, stores)),
    )


def confirm_stores(
    script: str, name: str | None, user_id: int, before: Sequence[str], after: Sequence[str]
) -> str:
    """The question before a /stores: their stores now and after."""
    return fill(
        script,
        "confirm_stores",
        name=person_name(script, name),
        user_id=code(user_id),
        before=html.escape(store_list(script, before)),
        after=html.escape(store_list(script, after)),
    )


def stores_set(script: str, name: str, stores: Sequence[str]) -> str:
    return fill(
        script,
        "stores_set",
        name=html.escape(name),
        stores=html.escape(store_list(script, stores)),
    )


def confirm_revoke(script: str, name: str | None, user_id: int) -> str:
    return fill(script, "confirm_revoke", name=person_name(script, name), user_id=code(user_id))


def granted(script: str, name: str, access: str, stores: Sequence[str]) -> str:
    return fill(
        script,
        "granted",
        name=html.escape(name),
        access=html.escape(access_name(script, access)),
        stores=html.escape(store_list(script, stores)),
    )


@dataclass(frozen=True)
class DirectoryEntry:
    """One person in /users."""

    user_id: int
    name: str
    username: str | None
    access: str
    last_seen: str | None  # ISO 8601 UTC, from the users table


def when(iso: str | None, timezone: ZoneInfo, script: str) -> str:
    if not iso:
        return label(script, "never_seen")
    return datetime.fromisoformat(iso).astimezone(timezone).strftime("%Y-%m-%d %H:%M")


def directory(
    script: str,
    stores: dict[str, list[DirectoryEntry]],
    timezone: ZoneInfo,
    revoked: int = 0,
    title: str = "people_title",
) -> str:
    """/users: per store (``""`` for none), each person's name, level and last activity;
    ``revoked`` people not listed are counted at the end (``/users revoked`` lists them,
    with ``title`` "people_revoked_title")."""
    footer = [label_html(script, "revoked_count", n=revoked)] if revoked else []
    if not any(stores.values()):
        empty = "no_revoked" if title == "people_revoked_title" else "no_people"
        return "\n\n".join([label_html(script, empty), *footer])
    lines = [f"<b>{label_html(script, title)}</b>"]
    total = sum(len(entries) for entries in stores.values())
    shown = 0
    for store in sorted(stores, key=lambda name: (name == "", name)):
        heading = store or label(script, "no_store")
        block = [f"\n<b>{html.escape(heading)}</b>"]
        for entry in stores[store]:
            handle = f" @{html.escape(entry.username)}" if entry.username else ""
            block.append(
                f"• {html.escape(entry.name)}{handle} {code(entry.user_id)} — "
                f"{html.escape(access_name(script, entry.access))} · "
                f"{html.escape(when(entry.last_seen, timezone, script))}"
            )
        if len("\n".join(lines + block)) > DIRECTORY_LIMIT:
            lines.append(label_html(script, "and_more", n=total - shown))
            break
        lines += block
        shown += len(stores[store])
    return "\n".join(lines + ([""] + footer if footer else []))
