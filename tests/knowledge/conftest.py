"""Fixtures for the core tests: one knowledge base per session, indexed in a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.corpus import CORPUS_DIR

SEED = CORPUS_DIR / "營業主管崗位職責.txt"


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return KnowledgeBase.open(index_path=tmp_path_factory.mktemp("index") / "index.db")


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    return tmp_path / "index.db"
