"""Managers and admins: /invite links, the /users directory, /grant, /stores and /revoke
with ✅/✖; admins: /link and /unlink a group.

Who may do what is decided in ``bot.access.rules``; every change is written to the audit
log. A person has one level, in all of their stores: /grant sets it (and may add a store),
/stores moves them between stores. These commands work in private chats only, so an invite
link is never posted to a group; /link and /unlink work in the group they link.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden

from bot import callbacks
from bot.access import render as render_access
from bot.access import rules as access
from bot.access.levels import level_named
from bot.access.render import DirectoryEntry
from bot.context import Context, script_of
from bot.i18n import label, label_html
from bot.storage import STRANGERS, Confirmation, Person, Storage
from bot.tg.commands import COMMANDS, commands_beyond_public
from bot.tg.messages import answer_expired, edit, refuse

log = logging.getLogger(__name__)

GRANT, REVOKE, STORES = "grant", "revoke", "stores"
MAX_USES = 100  # an invite for a whole shift's new starters, not for the world
STORE_LIMIT = 60  # characters of a store's name
USER_ID_RE = re.compile(r"[0-9]{1,15}\Z")
USERNAME_RE = re.compile(r"@?([A-Za-z0-9_]{3,32})\Z")
STORE_SEPARATORS_RE = re.compile(r"[\s,，、]+")
# What ``/users revoked`` may be typed as.
REVOKED_WORDS = frozenset({"revoked", "停用", "已停用"})


async def manager_of(update: Update, context: Context) -> Person | None:
    """The sender if they are a manager or admin; otherwise say so and return None."""
    person = context.person
    if person is not None and person.at_least("manager"):
        return person
    await refuse(update, context, "refused_managers")
    return None


async def reply(update: Update, context: Context, key: str, **values: str | int) -> None:
    ui = context.ui
    await update.effective_message.reply_html(render_access.notice(ui, key, **values))


def refusal_values(key: str, actor: Person, name: str) -> dict[str, str]:
    """The values a refusal's text needs."""
    if key == "not_your_store":
        return {"stores": "、".join(actor.stores) or "-"}
    if key == "configured_admin":
        return {"name": name}
    if key == "no_such_user":
        return {"who": name}
    return {}


async def invite(update: Update, context: Context) -> None:
    """Make an invite link: ``/invite [level] [store] [uses]``."""
    actor = await manager_of(update, context)
    if actor is None:
        return
    level, store, uses = "staff", "", 1
    words = []
    for word in context.args or ():
        if named := level_named(word):
            level = named
        elif word.isdecimal():
            uses = int(word)
        else:
            words.append(word)
    if not 0 < uses <= MAX_USES:
        await reply(update, context, "invite_uses_range", most=MAX_USES)
        return
    store = " ".join(words)[:STORE_LIMIT] or (actor.stores[0] if actor.stores else "")
    if not store:
        # An admin belongs to no store: name one (there is no "first store" to default to).
        stores = known_stores(context.bot_data.storage)
        listed = render_access.store_list(context.ui, stores) if stores else "-"
        await reply(update, context, "invite_name_a_store", stores=listed)
        return
    if reason := access.may_invite(actor, level, store):
        await reply(update, context, reason, **refusal_values(reason, actor, ""))
        return
    settings, storage = context.bot_data.settings, context.bot_data.storage
    code = access.new_code()
    made = storage.invites.create_invite(
        access.code_hash(code), level, store, actor.user_id, settings.invite_hours, uses
    )
    storage.people.log_action(
        actor.user_id, "invite", store, f"invite {made.id}: {level}, {uses} use(s)"
    )
    ui = context.ui
    link = access.invite_link(context.bot.username, code)
    text = render_access.invite_made(ui, level, store, uses, settings.invite_hours, link)
    button = InlineKeyboardButton(label(ui, "withdraw"), callback_data=callbacks.withdraw(made.id))
    await update.effective_message.reply_html(text, reply_markup=InlineKeyboardMarkup([[button]]))


async def withdraw_invite(update: Update, context: Context) -> None:
    """Withdraw an invite link (🚫 under it): it refuses everyone from now on."""
    query = update.callback_query
    storage = context.bot_data.storage
    made = storage.invites.invite(int(context.matches[0][1]))
    actor = storage.people.person(query.from_user.id)
    if made is None or actor is None or made.revoked_at is not None:
        await answer_expired(query, context)
        return
    if made.created_by != actor.user_id and access.may_invite(actor, made.access, made.store):
        await answer_expired(query, context)  # someone else's link (a forged press)
        return
    storage.invites.withdraw_invite(made.id)
    storage.people.log_action(actor.user_id, "withdraw invite", made.store, f"invite {made.id}")
    await query.answer()
    await edit(query, render_access.notice(context.ui, "withdrawn"), None)


def known_stores(storage: Storage) -> list[str]:
    """Every store someone active belongs to, by name."""
    return sorted({store for person in storage.people.people() for store in person.stores})


async def list_people(update: Update, context: Context) -> None:
    """List the registered people per store: name, level, last activity (``/users
    revoked``: the revoked people instead)."""
    actor = await manager_of(update, context)
    if actor is None:
        return
    args = [arg.lower() for arg in context.args or ()]
    showing_revoked = bool(args) and args[0] in REVOKED_WORDS
    storage = context.bot_data.storage
    everywhere = actor.access == "admin"
    seen = None if everywhere else actor.stores
    revoked = storage.people.people(stores=seen, active=False)
    listed = revoked if showing_revoked else storage.people.people(stores=seen)
    stores: dict[str, list[DirectoryEntry]] = {}
    if not (everywhere or showing_revoked):
        stores = {s: [] for s in actor.stores}
    for person in listed:
        user = storage.users.user(person.user_id)
        entry = DirectoryEntry(
            person.user_id,
            user.name if user and user.name else person.name,
            user.username if user else None,
            person.access,
            user.last_seen if user else None,
        )
        for store in person.stores or ("",):
            if everywhere or store in actor.stores:
                stores.setdefault(store, []).append(entry)
    ui = context.ui
    timezone = context.bot_data.settings.timezone
    if showing_revoked:
        text = render_access.directory(ui, stores, timezone, title="people_revoked_title")
    else:
        text = render_access.directory(ui, stores, timezone, revoked=len(revoked))
    await update.effective_message.reply_html(text)


def find_user(storage: Storage, who: str) -> tuple[int, str | None] | None:
    """(user id, name) of ``who``: a numeric id, or the @username of someone who wrote
    (a stranger refused included); the name is None for an id nobody has seen."""
    if USER_ID_RE.match(who):
        user_id = int(who)
        user, person = storage.users.user(user_id), storage.people.person(user_id)
        stranger = storage.users.user(user_id, among=STRANGERS) if user is None else None
        names = (
            user.name if user else "",
            person.name if person and person.name != who else "",
            stranger.name if stranger else "",
        )
        return user_id, next((name for name in names if name), None)
    if found := USERNAME_RE.match(who):
        seen = [
            someone
            for someone in (
                storage.users.user_by_username(found[1]),
                storage.users.user_by_username(found[1], among=STRANGERS),
            )
            if someone is not None
        ]
        if seen:
            latest = max(seen, key=lambda someone: someone.last_seen)
            person = storage.people.person(latest.id)
            return latest.id, latest.name or (person.name if person else None) or who
    return None


def split_stores(words: Sequence[str]) -> list[str]:
    """Store names as typed after /stores: separated by spaces, commas or 、."""
    found = STORE_SEPARATORS_RE.split(" ".join(words))
    return sorted({store[:STORE_LIMIT] for store in found if store})


async def grant(update: Update, context: Context) -> None:
    """Ask to confirm giving someone a level (and a store): ``/grant <who> <level> [store]``."""
    actor = await manager_of(update, context)
    if actor is None:
        return
    args = context.args or []
    level = level_named(args[1]) if len(args) >= 2 else None
    if level is None:
        await reply(update, context, "grant_usage")
        return
    storage = context.bot_data.storage
    found = find_user(storage, args[0][:40])
    if found is None:
        await reply(update, context, "no_such_user", who=args[0][:40])
        return
    target_id, name = found
    target = storage.people.person(target_id)
    store = " ".join(args[2:])[:STORE_LIMIT]
    store = store or next(iter((target.stores if target else ()) + actor.stores), "")
    if not store and level != "admin":
        await reply(update, context, "grant_usage")
        return
    admins = context.bot_data.settings.admin_ids
    if reason := access.may_grant(actor, target_id, target, level, store, admins):
        await reply(
            update, context, reason, **refusal_values(reason, actor, name or str(target_id))
        )
        return
    asked = storage.invites.propose(actor.user_id, GRANT, target_id, level, store)
    ui = context.ui
    await update.effective_message.reply_html(
        render_access.confirm_grant(ui, name, target_id, level, stores_after(target, store)),
        reply_markup=confirm_keyboard(asked.id, ui),
    )


def stores_after(target: Person | None, store: str) -> list[str]:
    """The stores a grant leaves someone in: an active person keeps theirs and gains
    ``store``; anyone else (new, or revoked) has ``store`` alone."""
    kept = set(target.stores) if target is not None and target.active else set()
    return sorted(kept | ({store} if store else set()))


async def active_person(
    update: Update, context: Context, who: str
) -> tuple[int, str | None, Person] | None:
    """(user id, name, person) of ``who`` if they are registered and active; otherwise
    say there is no such person and return None."""
    storage = context.bot_data.storage
    found = find_user(storage, who[:40])
    target = storage.people.person(found[0]) if found else None
    if found is None or target is None or not target.active:
        await reply(update, context, "no_such_user", who=who[:40])
        return None
    return found[0], found[1], target


async def set_stores(update: Update, context: Context) -> None:
    """Ask to confirm moving someone to other stores: ``/stores <who> <store>…``."""
    actor = await manager_of(update, context)
    if actor is None:
        return
    args = context.args or []
    named = split_stores(args[1:])
    if not named:
        await reply(update, context, "stores_usage")
        return
    storage = context.bot_data.storage
    if (active := await active_person(update, context, args[0])) is None:
        return
    target_id, name, target = active
    # A manager changes only their own stores; the others the person belongs to stay.
    kept = () if actor.access == "admin" else set(target.stores) - set(actor.stores)
    wanted = sorted(set(named) | set(kept))
    admins = context.bot_data.settings.admin_ids
    if reason := access.may_set_stores(actor, target_id, target, wanted, admins):
        await reply(
            update, context, reason, **refusal_values(reason, actor, name or str(target_id))
        )
        return
    asked = storage.invites.propose(actor.user_id, STORES, target_id, None, "\n".join(wanted))
    ui = context.ui
    await update.effective_message.reply_html(
        render_access.confirm_stores(ui, name, target_id, target.stores, wanted),
        reply_markup=confirm_keyboard(asked.id, ui),
    )


async def revoke(update: Update, context: Context) -> None:
    """Ask to confirm taking someone's access away: ``/revoke <who>``."""
    actor = await manager_of(update, context)
    if actor is None:
        return
    args = context.args or []
    if len(args) != 1:
        await reply(update, context, "revoke_usage")
        return
    storage = context.bot_data.storage
    if (active := await active_person(update, context, args[0])) is None:
        return
    target_id, name, target = active
    admins = context.bot_data.settings.admin_ids
    if reason := access.may_revoke(actor, target_id, target, admins):
        await reply(
            update, context, reason, **refusal_values(reason, actor, name or str(target_id))
        )
        return
    asked = storage.invites.propose(actor.user_id, REVOKE, target_id, None, None)
    ui = context.ui
    await update.effective_message.reply_html(
        render_access.confirm_revoke(ui, name, target_id),
        reply_markup=confirm_keyboard(asked.id, ui),
    )


def confirm_keyboard(number: int, ui: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label(ui, key), callback_data=callbacks.confirm(yes, number))
                for key, yes in (("yes", True), ("no", False))
            ]
        ]
    )


async def settle(update: Update, context: Context) -> None:
    """Carry out (✅) or drop (✖) a /grant or /revoke, checking the rights again first."""
    query = update.callback_query
    ui = context.ui
    yes, number = context.matches[0][1] == "ok", int(context.matches[0][2])
    storage = context.bot_data.storage
    asked = storage.invites.settle(number, query.from_user.id)
    if asked is None:
        await answer_expired(query, context)  # pressed twice, someone else's, or forged
        return
    if not yes:
        await query.answer()
        await edit(query, render_access.notice(ui, "cancelled"), None)
        return
    actor = storage.people.person(asked.actor)
    target = storage.people.person(asked.target)
    found = find_user(storage, str(asked.target))
    name = (found[1] if found else None) or str(asked.target)
    # Rights may have changed since the question was asked.
    reason = recheck(asked, actor, target, context.bot_data.settings.admin_ids)
    if reason is not None or actor is None:
        await query.answer()
        values = refusal_values(reason, actor, name) if reason and actor else {}
        await edit(query, render_access.notice(ui, reason or "refused_managers", **values), None)
        return
    if asked.action == GRANT:
        level, store = asked.access or "staff", asked.store or ""
        granted = storage.people.add_person(asked.target, name, level, [store] if store else [])
        storage.people.log_action(
            actor.user_id, GRANT, str(asked.target), f"{level} {store}".strip()
        )
        text = render_access.granted(ui, name, level, granted.stores)
    elif asked.action == STORES:
        stores = (asked.store or "").split("\n")
        if not storage.people.set_stores(asked.target, stores):  # revoked in the meantime
            await query.answer()
            await edit(query, render_access.notice(ui, "no_such_user", who=name), None)
            return
        storage.people.log_action(actor.user_id, STORES, str(asked.target), "、".join(stores))
        text = render_access.stores_set(ui, name, stores)
    else:
        storage.people.deactivate(asked.target)
        storage.people.log_action(actor.user_id, REVOKE, str(asked.target))
        text = render_access.notice(ui, "revoked", name=name)
    await query.answer()
    await edit(query, text, None)
    await set_menu(context.bot, storage, storage.people.person(asked.target))


def recheck(
    asked: Confirmation, actor: Person | None, target: Person | None, admins: frozenset[int]
) -> str | None:
    """Whether the actor may still do what they asked for (their rights may have changed)."""
    if actor is None:
        return "refused_managers"
    if asked.action == GRANT:
        level, store = asked.access or "", asked.store or ""
        return access.may_grant(actor, asked.target, target, level, store, admins)
    if asked.action == STORES:
        if target is None or not target.active:
            return "no_such_user"
        stores = (asked.store or "").split("\n")
        return access.may_set_stores(actor, asked.target, target, stores, admins)
    return access.may_revoke(actor, asked.target, target, admins)


async def set_menu(
    bot: Bot, storage: Storage, person: Person | None, public: Sequence[str] = ()
) -> None:
    """Show a trainer's, manager's or admin's own commands (bot.tg.commands) in their menu.

    The menu is for their private chat only (BotCommandScopeChat), in their language.
    """
    if person is None:
        return
    public = public or COMMANDS
    script = script_of(storage, person.user_id)
    scope = BotCommandScopeChat(person.user_id)
    try:
        if person.active and person.at_least("trainer"):
            names = [*public, *commands_beyond_public(person.at_least)]
            menu = [BotCommand(name, label(script, f"cmd_{name}")) for name in names]
            await bot.set_my_commands(menu, scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except (BadRequest, Forbidden) as error:
        # A bootstrapped admin who never opened the chat has none for Telegram to attach to.
        log.info("no command menu for %d: %s", person.user_id, error)


async def set_manager_menus(bot: Bot, storage: Storage, public: Sequence[str]) -> None:
    """At start-up: the command menu of every trainer, manager and admin."""
    for person in storage.people.people():
        if person.at_least("trainer"):
            await set_menu(bot, storage, person, public)


# -- groups: /link and /unlink -----------------------------------------------------------------


async def link_group(update: Update, context: Context) -> None:
    """Link this group to a store, so the bot answers in it: ``/link <store>`` (admins)."""
    chat = update.effective_chat
    store = " ".join(context.args or ()).strip()[:STORE_LIMIT]
    if not await group_admin(update, context, store):
        return
    storage = context.bot_data.storage
    storage.groups.link_group(chat.id, store, update.effective_user.id)
    detail = f"{store} ({chat.title or ''})"
    storage.people.log_action(update.effective_user.id, "link group", str(chat.id), detail)
    await update.effective_message.reply_html(label_html(context.ui, "group_linked", store=store))


async def unlink_group(update: Update, context: Context) -> None:
    """Unlink this group: the bot shows no SOP text in it any more (admins)."""
    chat = update.effective_chat
    if not await group_admin(update, context):
        return
    storage = context.bot_data.storage
    storage.groups.unlink_group(chat.id)
    storage.people.log_action(update.effective_user.id, "unlink group", str(chat.id))
    await update.effective_message.reply_html(label_html(context.ui, "group_unlinked"))


async def group_admin(update: Update, context: Context, store: str | None = None) -> bool:
    """Whether an admin sent /link or /unlink in a group (with a ``store``, for /link);
    otherwise say why not."""
    configured = update.effective_user.id in context.bot_data.settings.admin_ids
    if reason := access.may_link_group(context.person, configured):
        await reply(update, context, reason)
        return False
    if update.effective_chat.type == ChatType.PRIVATE or store == "":
        await update.effective_message.reply_html(label_html(context.ui, "group_link_usage"))
        return False
    return True
