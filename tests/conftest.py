"""Fixtures for the whole suite: one search index per run, shared by every test that
serves the packaged SOP as it is (the core's and the bot's)."""

from __future__ import annotations

import os
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
