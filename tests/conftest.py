"""Fixtures for the whole suite: one search index per run, shared by every test that
serves the packaged SOP as it is (the core's and the bot's)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge import KnowledgeBase


@pytest.fixture(scope="session")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """$SOPBOT_INDEX when set (a warm index: `make check` keeps one), else one built for
    this session."""
    configured = os.environ.get("SOPBOT_INDEX")
    return Path(configured) if configured else tmp_path_factory.mktemp("index") / "index.db"


@pytest.fixture(scope="session")
def kb(index_path: Path) -> KnowledgeBase:
    return KnowledgeBase.open(index_path=index_path)


@pytest.fixture(scope="session")
def kept_index(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Where to build the index of another corpus, by name, for tests that only ask it:
    beside $SOPBOT_INDEX when that is set, so kept between runs as that one is (and built
    again, like it, whenever its SOP files or the code change), else in this session's
    temp dir. A test that changes or damages an index makes its own."""
    configured = os.environ.get("SOPBOT_INDEX")

    def path(name: str) -> Path:
        if not configured:
            return tmp_path_factory.mktemp(name) / "index.db"
        folder = Path(configured).with_name(Path(configured).stem + "-corpora")
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{name}.db"

    return path
