"""Fixtures for the core tests. The knowledge base itself is the suite's one shared index
(tests/conftest.py); tests that need an index of their own build it in a temp folder."""

from __future__ import annotations

import pytest

from knowledge.corpus import CORPUS_DIR

SEED = CORPUS_DIR / "營業主管崗位職責.txt"


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")
