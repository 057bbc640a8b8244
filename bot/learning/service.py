"""How the bot gets better every week: the question log, teaching, and live SOP updates.

The knowledge base is loaded through :func:`load_knowledge` everywhere (start-up, the CLI,
rebuilds after teaching or an SOP update), so every path serves the same corpus (the
managed one once there is one) with the same taught questions. A rebuild runs in a
worker thread and the new knowledge base replaces the old one on ``bot_data`` in one
assignment: questions asked meanwhile are answered by the old one, never by half of each.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
import sys
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.browse.contents import Contents
from bot.documents.library import fingerprints
from bot.storage import Storage
from knowledge import Answer, KnowledgeBase
from knowledge.updates import ManagedCorpus, Recipe

if TYPE_CHECKING:
    from bot.context import BotData

log = logging.getLogger(__name__)

PRUNE_JOB = "prune_question_log"
SOP_WATCH_JOB = "watch_sop_version"
SOP_WATCH_SECONDS = 60
PRUNE_AT = datetime.time(4, 0)  # in the store's time zone (the application's default)
TEACHING = "teaching"  # user_data key of what a trainer is teaching
TEACH_SECONDS = 15 * 60  # a forgotten teaching session stops taking questions after this
QUERY_KEPT = 500  # as a vote keeps it, so the two join
TAUGHT_LIMIT = 200  # characters of one taught wording
# A build takes seconds; one taking this long is stuck, and the bot builds it itself.
REBUILD_TIMEOUT = 600

_rebuild_locks: weakref.WeakKeyDictionary[BotData, asyncio.Lock] = weakref.WeakKeyDictionary()


# -- the question log ------------------------------------------------------------------------


def log_question(storage: Storage, user_id: int, stores: tuple[str, ...], result: Answer) -> int:
    """Keep a question with the step it got, its confidence and how long it took, under
    the asker's first store."""
    store = stores[0] if stores else None
    best = result.best
    return storage.questions.log_question(
        user_id,
        store,
        result.query[:QUERY_KEPT],
        best.step.id if best else None,
        result.confidence,
        result.problem,
        round(result.elapsed_ms, 3),
    )


# -- loading and swapping the knowledge base ---------------------------------------------------


async def rebuild_knowledge(data: BotData) -> KnowledgeBase:
    """Rebuild the index from the current corpus and taught questions, then swap it in."""
    lock = _rebuild_locks.setdefault(data, asyncio.Lock())
    async with lock:
        taught = data.storage.questions.taught()
        settings = data.settings
        started = time.perf_counter()
        recipe = Recipe(data.kb.index_path, settings.corpus_dir, taught)
        await build_in_child(recipe)
        # Built now, so this only loads it (about a second); had the child failed, it builds.
        kb = await asyncio.to_thread(recipe.open)
        data.contents = Contents.from_steps(kb.steps)
        data.kb = kb
        data.storage.documents.record_versions(fingerprints(kb.steps))  # the document library's
        start_search_worker(data, recipe)  # the old one's answers no longer fit
        log.info("swapped in %d steps (%.1fs)", len(kb.steps), time.perf_counter() - started)
        return kb


async def build_in_child(recipe: Recipe) -> None:
    """Build the index in a child process (knowledge/rebuild.py), off the bot's GIL.

    A failure is only logged: the caller's own load then builds it, as before.
    """
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "knowledge.rebuild",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as error:
        log.warning("could not build the index in a child process: %s", error)
        return
    try:
        _, errors = await asyncio.wait_for(
            child.communicate(recipe.to_json().encode()), REBUILD_TIMEOUT
        )
    except TimeoutError:
        child.kill()  # two builds of one file at once would race for it
        await child.wait()
        log.warning("building the index in a child process took over %d s", REBUILD_TIMEOUT)
        return
    if child.returncode != 0:
        last = errors.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        log.warning("building the index in a child process failed: %s", last[0])


def start_search_worker(data: BotData, recipe: Recipe | None = None) -> None:
    """(Re)start the search worker on the knowledge base now served (``recipe``: how it
    was loaded, when the caller has it at hand), if there is a worker."""
    if data.search_worker is None:
        return
    if recipe is None:
        recipe = Recipe(
            data.kb.index_path, data.settings.corpus_dir, data.storage.questions.taught()
        )
    data.search_worker.start(recipe)


def serves_current_sop(data: BotData) -> bool:
    """Whether the live knowledge base was loaded from the corpus version now current."""
    managed = ManagedCorpus(data.settings.corpus_dir)
    if not managed.exists or not data.kb.sources:
        return True
    return Path(data.kb.sources[0]).resolve().parent == managed.directory


# -- teaching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Teaching:
    """Staff wordings a trainer is finding the right step for."""

    wordings: tuple[str, ...]
    started: float
    # Whether the trainer's next typed text searches for the step. One search that finds
    # steps ends it (its 🎓 buttons still work): later texts are questions again, unless
    # the trainer taps 🔎 to search once more.
    searching: bool = True
    # Wordings of a /gaps group the trainer left out (by position): not the same question.
    left_out: frozenset[int] = frozenset()

    @property
    def live(self) -> bool:
        return time.monotonic() - self.started < TEACH_SECONDS

    @property
    def chosen(self) -> tuple[str, ...]:
        """The wordings to teach: those offered, less the ones left out."""
        return tuple(w for n, w in enumerate(self.wordings) if n not in self.left_out)


def toggle_wording(user_data: dict[Any, Any], number: int) -> Teaching | None:
    """Leave wording ``number`` out of the teaching, or take it back in."""
    teaching = teaching_of(user_data)
    if teaching is None or not 0 <= number < len(teaching.wordings):
        return None
    left_out = teaching.left_out ^ {number}
    user_data[TEACHING] = teaching = dataclasses.replace(teaching, left_out=left_out)
    return teaching


def start_teaching(user_data: dict[Any, Any], wordings: tuple[str, ...]) -> Teaching:
    teaching = Teaching(tuple(w[:TAUGHT_LIMIT] for w in wordings if w.strip()), time.monotonic())
    user_data[TEACHING] = teaching
    return teaching


def teaching_of(user_data: dict[Any, Any] | None) -> Teaching | None:
    teaching = (user_data or {}).get(TEACHING)
    return teaching if isinstance(teaching, Teaching) and teaching.live else None


def searched(user_data: dict[Any, Any], again: bool = False) -> Teaching | None:
    """A search for the step has been shown (or, ``again``, the trainer wants another)."""
    teaching = teaching_of(user_data)
    if teaching is None:
        return None
    user_data[TEACHING] = teaching = dataclasses.replace(teaching, searching=again)
    return teaching


def searching_of(user_data: dict[Any, Any] | None) -> Teaching | None:
    """The teaching whose step the trainer's next typed text searches for."""
    teaching = teaching_of(user_data)
    return teaching if teaching is not None and teaching.searching else None


def stop_teaching(user_data: dict[Any, Any] | None) -> None:
    if user_data is not None:
        user_data.pop(TEACHING, None)
