"""Searching in a second process, so questions use the machine's second core.

The search is pure-Python CPU work (about 2 ms a question), and so is PTB's handling of
an update (about 2 ms more). In one process the GIL runs them one at a time: at 200
questions a second the event loop is busy most of the time, and replies queue behind each
other. A worker thread would not help (same GIL); a child process does. The bot sends it
each question over a pipe and awaits the reply, so the event loop is free for other chats
meanwhile.

The worker loads the same index the bot serves (it never builds one: see
``KnowledgeBase.open(build=False)``) and answers with step numbers instead of steps; the
bot turns them back into its own steps only when both were loaded from the same
fingerprint. Whenever the worker is not there (still loading, crashed, being replaced
after an SOP update, slow to answer) the bot searches on its event loop as before, so a
worker problem costs speed, never an answer.

The pipes are asyncio's own, so a reply is read on the event loop itself; the standard
library's ProcessPoolExecutor hands results back through a helper thread, which under the
GIL waits for the busy loop. Frames are a 4-byte length and a pickle; both ends are this
module.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import signal
import struct
import sys
from typing import Any, BinaryIO

from knowledge import Answer, Hit, KnowledgeBase
from knowledge.updates import Recipe

log = logging.getLogger(__name__)

FRAME_HEADER = struct.Struct("!I")
# A search takes milliseconds. A worker that has answered nothing at all for this long while
# questions wait is stuck, and is replaced; one that is answering other questions meanwhile
# is only busy (under a burst of questions), and the asker waits for it.
REPLY_TIMEOUT = 5.0
# How long a worker may take to load the index before it is given up on.
START_TIMEOUT = 120.0
# How long the bot waits at shutdown for the worker to exit.
STOP_TIMEOUT = 5.0
# Waits before starting a worker again after it died, growing while it keeps dying.
RESTART_DELAYS = (1.0, 5.0, 30.0, 300.0)
# Past this many questions waiting for the worker, the next ones are searched on the event
# loop: both cores work, instead of the worker's queue growing without end.
MAX_PENDING = 32

# One hit as it crosses the pipe: (step number, passage, tips, score, matched terms, tip passage).
PackedHit = tuple[int, str, tuple[str, ...], float, tuple[str, ...], str]


# -- both ends ---------------------------------------------------------------------------------


def frame(value: object) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME_HEADER.pack(len(data)) + data


def pack(kb: KnowledgeBase, answer: Answer) -> tuple[Any, ...]:
    """An answer without its steps (the other end has the same ones), small to pickle."""
    hits: list[PackedHit] = [
        (
            kb.step_number(hit.step),
            hit.passage,
            hit.tips,
            hit.score,
            hit.matched_terms,
            hit.tip_passage,
        )
        for hit in answer.hits
    ]
    return (
        kb.fingerprint,
        answer.script,
        answer.confidence,
        tuple(hits),
        answer.elapsed_ms,
        answer.problem,
        answer.terms,
    )


def unpack(kb: KnowledgeBase, question: str, packed: tuple[Any, ...]) -> Answer | None:
    """The answer with ``kb``'s own steps; None if the worker loaded another index."""
    fingerprint, script, confidence, hits, elapsed_ms, problem, terms = packed
    if fingerprint != kb.fingerprint:
        return None
    return Answer(
        query=question,
        script=script,
        confidence=confidence,
        hits=tuple(
            Hit(
                step=kb.steps[number],
                passage=passage,
                tips=tips,
                score=score,
                matched_terms=matched,
                tip_passage=tip_passage,
            )
            for number, passage, tips, score, matched, tip_passage in hits
        ),
        elapsed_ms=elapsed_ms,
        problem=problem,
        terms=terms,
    )


# -- the bot's end -----------------------------------------------------------------------------


class SearchWorker:
    """The child process, as the bot sees it: ``await ask(...)``, else None."""

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.recipe: Recipe | None = None
        self.fingerprint = ""  # of the index the running worker loaded; "" until it has
        self.pending: dict[int, asyncio.Future[tuple[Any, ...] | None]] = {}
        self.request_ids = itertools.count(1)
        self.supervisor: asyncio.Task[None] | None = None
        self.stopping = False
        self.last_reply = 0.0  # loop time the worker last answered (or became ready)
        self.restarts = 0  # workers started again after one died or was given up on

    @property
    def ready(self) -> bool:
        return bool(self.fingerprint) and self.process is not None

    def start(self, recipe: Recipe) -> None:
        """Start (or, after an SOP update, replace) the worker in the background.

        Until it has loaded, the bot searches on its own; nothing waits for it.
        """
        self.recipe = recipe
        self.stopping = False
        if self.supervisor is None or self.supervisor.done():
            self.supervisor = asyncio.create_task(self.supervise(), name="search worker")
        else:
            self.retire()  # the supervisor starts one with the new recipe

    async def stop(self) -> None:
        """Let the worker finish what it is answering and exit (killed if it will not)."""
        self.stopping = True
        self.retire()
        if self.supervisor is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self.supervisor), STOP_TIMEOUT)
            except TimeoutError:
                if self.process is not None:
                    self.kill(self.process)
                self.supervisor.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.supervisor
            self.supervisor = None

    def retire(self) -> None:
        """Let the running worker go: it exits when its input closes."""
        self.fingerprint = ""
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.close()

    async def ask(
        self,
        kb: KnowledgeBase,
        question: str,
        limit: int,
        role: str | None,
        hint: str | None,
        hidden: tuple[int, ...] = (),
    ) -> Answer | None:
        """The worker's answer, or None when the caller should search itself."""
        process = self.process
        if (
            not self.ready
            or self.fingerprint != kb.fingerprint
            or len(self.pending) >= MAX_PENDING
            or process is None
            or process.stdin is None
            or process.stdin.is_closing()
        ):
            return None
        request_id = next(self.request_ids)
        reply: asyncio.Future[tuple[Any, ...] | None] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = reply
        loop = asyncio.get_running_loop()
        try:
            process.stdin.write(frame((request_id, question, limit, role, hint, hidden)))
            while True:
                try:
                    packed = await asyncio.wait_for(asyncio.shield(reply), REPLY_TIMEOUT)
                    break
                except TimeoutError:
                    if loop.time() - self.last_reply < REPLY_TIMEOUT and self.process is process:
                        continue  # busy answering the questions before this one: not stuck
                    log.warning(
                        "the search worker answered nothing for %.0f s; replacing it",
                        REPLY_TIMEOUT,
                    )
                    self.kill(process)
                    return None
        finally:
            self.pending.pop(request_id, None)
        return unpack(kb, question, packed) if packed is not None else None

    def kill(self, process: asyncio.subprocess.Process) -> None:
        self.fingerprint = ""
        with contextlib.suppress(ProcessLookupError):
            process.kill()

    async def supervise(self) -> None:
        """Run a worker; when it ends other than by ``stop``, start another after a pause."""
        failures = 0
        while not self.stopping:
            assert self.recipe is not None
            recipe = self.recipe
            try:
                served = await self.serve(recipe)
            except OSError as error:  # could not even start the interpreter
                log.warning("could not start the search worker: %s", error)
                served = False
            if self.stopping:
                break
            if recipe is not self.recipe:
                failures = 0  # replaced on purpose: start the new one at once
                continue
            self.restarts += 1
            failures = 0 if served else failures + 1
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            log.warning("the search worker stopped; starting another in %.0f s", delay)
            await asyncio.sleep(delay)

    async def serve(self, recipe: Recipe) -> bool:
        """Start one worker and relay its replies until it exits; whether it ever served."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.search_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self.process = process
        assert process.stdin is not None and process.stdout is not None
        served = False
        try:
            process.stdin.write(frame(recipe.to_json()))
            ready = await asyncio.wait_for(read_frame(process.stdout), START_TIMEOUT)
            if not isinstance(ready, str):
                log.warning("the search worker could not load the index: %s", ready)
                return False
            loop = asyncio.get_running_loop()
            if recipe is self.recipe and not self.stopping:
                self.fingerprint = ready
                self.last_reply = loop.time()
                served = True
                log.info("search worker ready (pid %d)", process.pid)
            while True:
                request_id, packed = await read_frame(process.stdout)
                self.last_reply = loop.time()
                reply = self.pending.get(request_id)
                if reply is not None and not reply.done():
                    reply.set_result(packed)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            pass  # it exited (or never loaded); the supervisor decides what next
        finally:
            if self.process is process:
                self.fingerprint = ""
                self.process = None
            for reply in self.pending.values():
                if not reply.done():
                    reply.set_result(None)  # its askers search for themselves
            if process.returncode is None:
                if process.stdin is not None:
                    process.stdin.close()
                try:
                    await asyncio.wait_for(process.wait(), 5)
                except TimeoutError:
                    self.kill(process)
                    await process.wait()
        return served


async def read_frame(stream: asyncio.StreamReader) -> Any:
    (size,) = FRAME_HEADER.unpack(await stream.readexactly(FRAME_HEADER.size))
    return pickle.loads(await stream.readexactly(size))


# -- the worker's end --------------------------------------------------------------------------


def read_frame_blocking(stream: BinaryIO) -> Any:
    """The next frame, or None when the bot closed the pipe."""
    header = stream.read(FRAME_HEADER.size)
    if len(header) < FRAME_HEADER.size:
        return None
    (size,) = FRAME_HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def serve_forever(requests: BinaryIO, replies: BinaryIO) -> int:
    """Load the index the recipe names, say which it is, then answer until input ends."""
    from knowledge.base import StaleIndexError

    recipe = read_frame_blocking(requests)
    if recipe is None:
        return 0
    try:
        kb = Recipe.from_json(recipe).open(build=False)
    except (StaleIndexError, OSError, ValueError) as error:
        replies.write(frame(("not loaded", str(error))))
        replies.flush()
        return 1
    replies.write(frame(kb.fingerprint))
    replies.flush()
    while (request := read_frame_blocking(requests)) is not None:
        request_id, question, limit, role, hint, hidden = request
        try:
            answer = kb.ask(question, limit, role, hint, hidden)
            packed: tuple[Any, ...] | None = pack(kb, answer)
        except Exception:  # the bot searches again itself and reports it
            log.exception("search failed in the worker")
            packed = None
        replies.write(frame((request_id, packed)))
        replies.flush()
    return 0


def main() -> int:
    # Replies go to a private copy of stdout; anything else printing (a library's notice)
    # lands on stderr, in the bot's log, instead of corrupting a frame.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    from bot.logs import configure_logging

    configure_logging(logging.INFO)
    # The bot decides when the worker ends, by closing its input. Ctrl-C in a terminal (or
    # a service manager's SIGTERM) reaches the whole process group; the worker lets the bot
    # stop first, so the bot never sees its worker vanish and start another while stopping.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return serve_forever(sys.stdin.buffer, replies)


if __name__ == "__main__":
    sys.exit(main())
