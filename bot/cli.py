"""The `sopbot` command: ask the SOP, list it, chat with it, run the bot.

Output of `ask --json` and `kb --json` is a contract other tools read: one JSON object
per line, keys as documented in the README.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from bot import render
from bot.config import Settings

# A question longer than this is cut before it is read at all (the search reads less).
INPUT_LIMIT = 20_000


def open_knowledge(index: Path | None, corpus_dir: Path | None = None, db: Path | None = None):
    """The knowledge base the bot serves: the managed corpus once an SOP was imported, with
    the questions trainers taught (read from the bot's database, never created here)."""
    from bot.storage import Questions
    from knowledge.updates import open_knowledge as open_served

    corpus_dir = corpus_dir or paths().corpus_dir
    db = db or paths().db_path
    return open_served(index, corpus_dir, dict(Questions.read_taught(db).items()))


def open_trial(path: Path):
    """The knowledge base of one SOP file or folder; a clear message and exit code 2
    when there is nothing there to answer from."""
    from knowledge.base import CorpusPathError, open_path

    try:
        return open_path(path)
    except CorpusPathError as error:
        raise click.UsageError(str(error)) from None
    except (OSError, UnicodeError, ValueError) as error:
        raise click.UsageError(f"{path}: could not be read ({error})") from None


def paths() -> Settings:
    """Where the database and the SOPs are, as `sopbot run` reads it (the environment,
    then .env), even when other settings are invalid."""
    import os

    return Settings.paths_from_env(os.environ)


def out_of_service(db: Path | None = None) -> frozenset[int]:
    """The documents an admin took out of service (`sopbot docs off`): never answered."""
    from bot.storage import Documents

    return Documents.read_library(db or paths().db_path).out_of_service


def hit_record(hit) -> dict[str, object]:
    """A hit as `ask --json` lists it: its pictures too, when its step has any."""
    record = hit.as_dict()
    if hit.step.pictures:
        record["pictures"] = list(hit.step.pictures)
    return record


def answer_record(kb, question: str, hidden: frozenset[int] = frozenset()) -> dict[str, object]:
    result = kb.ask(question[:INPUT_LIMIT], hidden=hidden)
    return {
        "query": question,
        "confidence": result.confidence,
        "elapsed_ms": round(result.elapsed_ms, 3),
        "reply": render.answer(result),
        "hits": [hit_record(hit) for hit in result.hits],
    }


def pictures_lines(result: dict[str, object]) -> str:
    """The first hit's pictures, one line each, under a plain answer."""
    hits = result["hits"]
    pictures = hits[0].get("pictures", []) if isinstance(hits, list) and hits else []
    return "".join(f"\n🖼 {picture}" for picture in pictures)


def reader_script(lang: str | None) -> str:
    """The script lints and refusals are written in: ``--lang``, else the locale's."""
    import os

    from knowledge.normalize import script_from_language

    if lang:
        return lang
    locale = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")
    code = (locale or "").split(".")[0].replace("_", "-").lower()
    if code.startswith("zh"):
        return script_from_language("zh-hans" if code in ("zh-cn", "zh-sg") else code)
    return "en"


LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["en", "hant", "hans"]),
    help="Write lints and refusals in English, traditional or simplified Chinese "
    "(default: from LANG).",
)


def emit(record: dict[str, object]) -> None:
    click.echo(json.dumps(record, ensure_ascii=False))
    sys.stdout.flush()


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
def cli(verbose: bool) -> None:
    """sopbot: the store's SOPs in every frontline worker's pocket."""
    from bot.logs import configure_logging

    # Time, level, logger, message: one line per event, tracebacks included.
    configure_logging(logging.INFO if verbose else logging.WARNING)


INDEX_OPTION = click.option(
    "--index",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SOPBOT_INDEX",
    help="The SQLite index file (built when missing). [env: SOPBOT_INDEX]",
)


@cli.command()
@click.argument("question", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
@click.option(
    "--corpus",
    "corpus_path",
    type=click.Path(path_type=Path),
    help="Answer from this SOP file or folder instead of the served SOPs (to try a "
    "document before importing it).",
)
@INDEX_OPTION
def ask(
    question: tuple[str, ...], as_json: bool, corpus_path: Path | None, index: Path | None
) -> None:
    """Answer QUESTION from the SOP ('-' reads one question per input line)."""
    kb = open_trial(corpus_path) if corpus_path else open_knowledge(index)
    hidden = frozenset() if corpus_path else out_of_service()
    text = " ".join(question)
    if text == "-":
        for line in sys.stdin:
            record = answer_record(kb, line.rstrip("\r\n"), hidden)
            if as_json:
                emit(record)
            else:
                click.echo(render.plain(str(record["reply"])) + pictures_lines(record) + "\n")
        return
    record = answer_record(kb, text, hidden)
    if as_json:
        emit(record)
    else:
        click.echo(render.plain(str(record["reply"])) + pictures_lines(record))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per step.")
@click.option("--lint", is_flag=True, help="List what the parser had to guess or repair.")
@LANG_OPTION
@INDEX_OPTION
def kb(as_json: bool, lint: bool, lang: str | None, index: Path | None) -> None:
    """List every step of the knowledge base (with its pictures)."""
    from knowledge.messages import render_lint

    base = open_knowledge(index)
    if lint:
        script = reader_script(lang)
        for item in base.lints:
            click.echo(f"{item.source}:{item.line}: {render_lint(item, script)}")
        return
    for step in base.steps:
        if as_json:
            emit(step.as_dict())
        else:
            click.echo(" › ".join(step.breadcrumb))
            for picture in step.pictures:
                click.echo(f"  🖼 {picture}")


@cli.command()
@INDEX_OPTION
def chat(index: Path | None) -> None:
    """Chat with the SOP in the terminal (reads stdin, so it can be piped)."""
    kb = open_knowledge(index)
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo("sopbot chat: ask a question (/help for help, exit or Ctrl-D to quit).")
    while True:
        if interactive:
            click.echo("> ", nl=False)
        line = sys.stdin.readline()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        word = text.lower().lstrip("/")
        if word in CHAT_EXIT:
            break
        if word in CHAT_HELP or text.startswith("/"):
            # Not questions: the bot's commands live in Telegram, not in this chat.
            click.echo(CHAT_HELP_TEXT + "\n")
            sys.stdout.flush()
            continue
        # A terminal has no 📄 全文 button, so the card does not point at one.
        reply = render.answer(kb.ask(text[:INPUT_LIMIT]), buttons=False)
        click.echo(render.plain(reply) + "\n")
        sys.stdout.flush()


CHAT_EXIT = frozenset({"exit", "quit", "q", "bye", "退出", "離開", "离开", "結束", "结束"})
CHAT_HELP = frozenset({"help", "h", "?", "？", "幫助", "帮助", "說明", "说明"})
CHAT_HELP_TEXT = (
    "Type a question the way staff would ask it (客人沒帶證件怎麼辦, customer forgot his ID);\n"
    "the answer is the matching SOP step. exit, quit or Ctrl-D ends the chat. The bot's\n"
    "commands (/practice, /brief …) are in Telegram: start it with `sopbot run`."
)


@cli.command()
def run() -> None:
    """Start the Telegram bot: long polling, or a webhook if SOPBOT_WEBHOOK_URL is set.

    Settings come from the environment and a .env file (see .env.example).
    """
    import os

    from bot.config import ConfigError

    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as error:
        click.echo(str(error), err=True)
        sys.exit(2)
    # A service says what it does; PTB's HTTP client would log every request.
    root = logging.getLogger()
    root.setLevel(min(root.level, logging.INFO))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # "Adding job tentatively…"
    # PTB logs a failed start-up (bad token, no network) with its traceback, then raises it;
    # the handlers below explain it in a sentence, so the log keeps only PTB's one line.
    logging.getLogger("telegram.ext").addFilter(without_traceback_when_aborting)

    from telegram.error import InvalidToken, NetworkError

    from bot.app import TokenRevoked
    from bot.app import run as run_bot
    from bot.storage import Storage, StorageError

    try:
        storage = Storage.open(settings.db_path)
    except StorageError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    kb = open_knowledge(settings.index_path, settings.corpus_dir, settings.db_path)
    logging.getLogger(__name__).info("loaded %d SOP steps", len(kb.steps))
    try:
        run_bot(settings, kb, storage)
    except InvalidToken:
        click.echo(
            "Telegram refused TELEGRAM_BOT_TOKEN. Copy it again from @BotFather "
            "(/mybots › your bot › API Token).",
            err=True,
        )
        sys.exit(2)
    except TokenRevoked as error:
        click.echo(
            f"Telegram stopped accepting TELEGRAM_BOT_TOKEN while the bot ran ({error}): it "
            "was revoked or replaced in @BotFather. Set the new token and start the bot again.",
            err=True,
        )
        sys.exit(2)
    except NetworkError as error:  # only at start-up: once running, PTB retries by itself
        click.echo(
            f"Could not reach the Telegram Bot API at {settings.api_url}: {error}\n"
            "Check the network connection (and TELEGRAM_API_URL).",
            err=True,
        )
        sys.exit(1)
    except OSError as error:
        if not settings.uses_webhook:
            raise
        click.echo(
            f"Could not listen for the webhook on {settings.webhook_listen}:"
            f"{settings.webhook_port}: {error}\n"
            "Check SOPBOT_WEBHOOK_LISTEN and SOPBOT_WEBHOOK_PORT.",
            err=True,
        )
        sys.exit(1)


@cli.command()
@click.option("-n", "count", default=10, show_default=True, help="How many questions.")
@click.option("--role", help="Only questions about this role (either script).")
@click.option("--seed", type=int, help="The same seed gives the same questions.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
@INDEX_OPTION
def quiz(count: int, role: str | None, seed: int | None, as_json: bool, index: Path | None) -> None:
    """Print quiz questions made from the SOP text."""
    from knowledge.quiz import generate_questions

    questions = generate_questions(open_knowledge(index).steps, count, role=role, seed=seed)
    if not questions:
        raise click.ClickException(f"no quiz questions for role {role!r}" if role else "no quiz")
    for number, question in enumerate(questions, 1):
        if as_json:
            emit(question.as_dict())
            continue
        click.echo(f"{number}. [{question.kind}] {question.breadcrumb}\n{question.question}")
        for option_number, option in enumerate(question.options):
            mark = "  ✓" if option_number == question.correct else ""
            click.echo(f"   {chr(ord('A') + option_number)}. {option}{mark}")
        click.echo(f"   → {question.explanation}\n")


@cli.command()
@click.argument("dest", required=False, type=click.Path(path_type=Path))
def backup(dest: Path | None) -> None:
    """Copy the bot's database to DEST while the bot runs (default: a timestamped file
    in backups/ beside the database; DEST may be a folder)."""
    import os
    import sqlite3

    from bot.ops import backup_database, read_settings

    settings, _ = read_settings(os.environ, Path(".env"))
    try:
        made = backup_database(settings.db_path, dest)
    except (OSError, sqlite3.Error) as error:
        raise click.ClickException(f"backup failed: {error}") from None
    click.echo(f"{made.path} ({made.size:,} bytes, schema version {made.schema_version})")


@cli.command()
@click.option("--quick", is_flag=True, help="Skip the network (getMe); for health checks.")
def doctor(quick: bool) -> None:
    """Check the settings, Telegram, the database and the index; exit 1 if any fails."""
    import os

    from bot.ops import doctor as run_checks

    checks = run_checks(os.environ, Path(".env"), quick=quick)
    for check in checks:
        click.echo(check.line())
    if not all(check.ok for check in checks):
        sys.exit(1)


@cli.command()
@INDEX_OPTION
def index(index: Path | None) -> None:
    """Build the search index (and jieba's dictionary cache) now, if out of date."""
    import time

    started = time.perf_counter()
    kb = open_knowledge(index)
    seconds = time.perf_counter() - started
    click.echo(f"{kb.index_path}: {len(kb.steps)} steps, ready in {seconds:.1f}s")


CORPUS_OPTION = click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SOPBOT_CORPUS_DIR",
    help="The managed SOP directory (default var/corpus). [env: SOPBOT_CORPUS_DIR]",
)


@cli.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Apply without asking.")
@LANG_OPTION
@CORPUS_OPTION
@INDEX_OPTION
def import_sop(
    file: Path, yes: bool, lang: str | None, corpus_dir: Path | None, index: Path | None
) -> None:
    """Import an SOP FILE (.txt, .md, .docx, .pdf, .html, .xlsx, .csv, or a .zip of a docs
    site): show its lints, pictures and what changes, then apply it.

    The file joins the managed SOP directory (a file of the same name is replaced) as a
    new version; the previous version is kept for `sopbot rollback`. A running bot picks
    the new version up within a minute. Declining at the prompt imports nothing (exit 0).
    """
    from knowledge.messages import render as say
    from knowledge.messages import render_lint
    from knowledge.updates import MAX_SOP_BYTES, ManagedCorpus, UpdateError

    script = reader_script(lang)
    corpus = ManagedCorpus(corpus_dir or paths().corpus_dir)
    if not file.is_file():  # a device (/dev/zero would be read for ever), a pipe, a socket
        raise click.ClickException(f"{file} is not a file: an SOP is a file (.txt, .md, …)")
    try:
        with file.open("rb") as source:
            content = source.read(MAX_SOP_BYTES + 1)  # a file growing meanwhile: no further
        proposal = corpus.propose(file.name, content)
    except UpdateError as error:
        reason = say(error.code, error.params, script) if error.code else str(error)
        raise click.ClickException(reason) from None
    except OSError as error:
        raise click.ClickException(f"{file} could not be read: {error}") from None
    pictures = f"{proposal.pictures} picture{'' if proposal.pictures == 1 else 's'}"
    click.echo(f"{proposal.name}: {proposal.steps} steps, {pictures}")
    for lint in proposal.lints:
        click.echo(f"  lint {lint.source}:{lint.line}: {render_lint(lint, script)}")
    changes = proposal.changes
    for sign, items in (("+", changes.added), ("-", changes.removed), ("~", changes.changed)):
        for item in items:
            click.echo(f"  {sign} {item}")
    if not changes.any:
        click.echo("  no step changes")
    if not yes:
        try:
            confirmed = click.confirm("Apply this update?")
        except click.Abort:  # end of input or Ctrl-C: no answer is not a yes
            click.echo("\nNo answer: nothing imported (--yes imports without asking).", err=True)
            sys.exit(1)
        if not confirmed:
            # Declining is an answer, not a failure: nothing changed, and the shell hears 0.
            click.echo(f"Not imported: the served SOP is unchanged ({corpus.directory}).")
            return
    corpus.apply(proposal)
    kb = open_knowledge(index, corpus.root)
    click.echo(f"imported {proposal.name}: {len(kb.steps)} steps served from {corpus.directory}")


@cli.command()
@CORPUS_OPTION
@INDEX_OPTION
def rollback(corpus_dir: Path | None, index: Path | None) -> None:
    """Go back to the SOP version before the last import (again: forward)."""
    from knowledge.updates import ManagedCorpus, UpdateError

    corpus = ManagedCorpus(corpus_dir or paths().corpus_dir)
    before = corpus.directory
    try:
        after = corpus.rollback()
    except UpdateError as error:
        raise click.ClickException(str(error)) from None
    kb = open_knowledge(index, corpus.root)
    # Rolling back twice serves the newer version again: say which way it went.
    went = "rolled forward to the newer version" if corpus.newer(after, before) else "rolled back"
    click.echo(f"{went}: {len(kb.steps)} steps served from {corpus.directory}")


DB_OPTION = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SOPBOT_DB",
    help="The bot's database, where the library's rules are kept (default var/sopbot.db). "
    "[env: SOPBOT_DB]",
)


def library_entries(index: Path | None, corpus_dir: Path | None, db: Path | None):
    """The served documents with their rules and versions, and the open database."""
    from bot.documents import service
    from bot.storage import Storage
    from knowledge.updates import ManagedCorpus

    corpus_dir = corpus_dir or paths().corpus_dir
    db = db or paths().db_path
    kb = open_knowledge(index, corpus_dir, db)
    storage = Storage.open(db)
    service.note_versions(storage, kb)
    directory = ManagedCorpus(corpus_dir).directory
    found = service.entries(
        kb, directory, storage.documents.library(), storage.documents.versions()
    )
    return found, storage


def entry_record(entry) -> dict[str, object]:
    document, rule = entry.document, entry.rule
    return {
        "doc_no": entry.doc_no,
        "name": entry.name,
        "file": document.source.name,
        "packaged": document.source.packaged,
        "steps": document.steps,
        "roles": list(document.roles),
        "pictures": document.pictures,
        "version": entry.version.number if entry.version else None,
        "updated_at": entry.version.updated_at if entry.version else None,
        "file_lints": len(document.source.lints),
        "in_service": rule.in_service,
        "stores": list(rule.stores),
        "level": rule.level,
    }


def entry_line(entry) -> str:
    record = entry_record(entry)
    status = "in service" if entry.rule.in_service else "OUT OF SERVICE"
    audience = ", ".join(entry.rule.stores) or "every store"
    if entry.rule.level != "staff":
        audience += f", {entry.rule.level} and up"
    version = f"v{record['version']}" if record["version"] else "v?"
    return (
        f"{entry.doc_no:>8}  {entry.name}  ·  {record['steps']} steps, {version}, "
        f"{record['pictures']} pictures  ·  {status}, {audience}"
    )


def chosen(found, names: tuple[str, ...]):
    """The documents named (numbers, names, file names, or "packaged"); UsageError if any
    name matches none."""
    from bot.documents import service

    picked = []
    for name in names:
        matches = service.packaged(found) if name == "packaged" else service.find(found, name)
        if not matches:
            raise click.UsageError(f"no served document is {name!r} (see `sopbot docs`)")
        picked += [entry for entry in matches if entry not in picked]
    return picked


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document.")
@CORPUS_OPTION
@INDEX_OPTION
@DB_OPTION
@click.pass_context
def docs(
    ctx: click.Context,
    as_json: bool,
    corpus_dir: Path | None,
    index: Path | None,
    db: Path | None,
) -> None:
    """The document library: list the served documents (files, steps, versions, lints,
    who is served them), take them out of service, put them back, limit them to stores
    or levels. A running bot applies changes within a minute; each is in the audit trail.

    DOC below is a document's number (first column), its name, a file's name (all of its
    documents) or `packaged` (the packaged sample SOP).
    """
    ctx.ensure_object(dict)
    ctx.obj.update(corpus_dir=corpus_dir, index=index, db=db)
    if ctx.invoked_subcommand is not None:
        return
    found, storage = library_entries(index, corpus_dir, db)
    storage.close()
    current = None
    for entry in found:
        if as_json:
            emit(entry_record(entry))
            continue
        source = entry.document.source
        if source.name != current:
            current = source.name
            sample = " (packaged sample SOP)" if source.packaged else ""
            click.echo(f"{source.name}{sample}: {len(source.lints)} lints")
        click.echo("  " + entry_line(entry))


def change_documents(ctx: click.Context, names: tuple[str, ...], action: str, change) -> None:
    from bot.documents import service

    found, storage = library_entries(ctx.obj["index"], ctx.obj["corpus_dir"], ctx.obj["db"])
    try:
        for entry in chosen(found, names):
            rule = change(entry.rule)
            storage.documents.set_rule(
                rule, entry.name, 0, action, service.describe(rule) + " (sopbot docs)"
            )
            click.echo(f"{entry.doc_no} {entry.name}: {service.describe(rule)}")
    finally:
        storage.close()


@docs.command(name="off")
@click.argument("names", metavar="DOC...", nargs=-1, required=True)
@click.pass_context
def docs_off(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Take documents out of service: never in answers, /roles, inline results or quizzes."""
    from bot.documents import service

    change_documents(ctx, names, "doc_withdraw", lambda rule: service.in_service(rule, False))


@docs.command(name="on")
@click.argument("names", metavar="DOC...", nargs=-1, required=True)
@click.pass_context
def docs_on(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Put documents back in service."""
    from bot.documents import service

    change_documents(ctx, names, "doc_serve", lambda rule: service.in_service(rule, True))


@docs.command(name="stores")
@click.argument("name", metavar="DOC")
@click.argument("stores", nargs=-1)
@click.pass_context
def docs_stores(ctx: click.Context, name: str, stores: tuple[str, ...]) -> None:
    """Serve DOC only to people of STORES (none: every store again; admins always)."""
    from bot.documents import service

    change_documents(ctx, (name,), "doc_stores", lambda rule: service.with_stores(rule, stores))


class Level(click.ParamType):
    """An access level as people type it: staff, trainer, manager, admin, or 員工, 培訓員 …"""

    name = "level"

    def convert(self, value: str, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from bot.access.levels import level_named

        level = level_named(value)
        if level is None:
            self.fail(f"{value!r} is not a level: staff, trainer, manager or admin", param, ctx)
        return level


@docs.command(name="level")
@click.argument("name", metavar="DOC")
@click.argument("level", type=Level())
@click.pass_context
def docs_level(ctx: click.Context, name: str, level: str) -> None:
    """Serve DOC only to people at LEVEL or above (staff: everyone)."""
    from bot.documents import service

    change_documents(ctx, (name,), "doc_level", lambda rule: service.with_level(rule, level))


@docs.command(name="show")
@click.argument("name", metavar="DOC")
@LANG_OPTION
@click.pass_context
def docs_show(ctx: click.Context, name: str, lang: str | None) -> None:
    """One document: its rule, roles, pictures, and its file's lints."""
    from knowledge.messages import render_lint

    found, storage = library_entries(ctx.obj["index"], ctx.obj["corpus_dir"], ctx.obj["db"])
    storage.close()
    script = reader_script(lang)
    for entry in chosen(found, (name,)):
        click.echo(entry_line(entry))
        click.echo(f"  file: {entry.document.source.name}")
        if entry.document.roles:
            click.echo(f"  roles: {', '.join(entry.document.roles)}")
        for lint in entry.document.source.lints:
            click.echo(f"  lint {lint.source}:{lint.line}: {render_lint(lint, script)}")


def without_traceback_when_aborting(record: logging.LogRecord) -> bool:
    if "Aborting" in record.getMessage():  # PTB's network retry loop giving up
        record.exc_info = None
        record.exc_text = None
    return True


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
