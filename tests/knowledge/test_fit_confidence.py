"""The script that refits the confidence rule: its fit, its thresholds and the file it writes."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from knowledge.confidence import read_rule

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "fit_confidence.py"


@pytest.fixture(scope="module")
def fitting() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("fit_confidence", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up while being made
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_fit_finds_the_weights_the_evidence_calls_for(fitting: ModuleType) -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 2))
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.5 + 2.0 * x[:, 0])))).astype(float)
    intercept, (first, second) = fitting.fit(x, y, [1, 1])
    assert 1.2 < first < 3.0 and abs(second) < 0.4 and 0.1 < intercept < 1.0


def test_fit_holds_a_weight_of_the_wrong_sign_at_zero(fitting: ModuleType) -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(400, 2))
    y = (rng.random(400) < 1 / (1 + np.exp(-(x[:, 0] - 2.0 * x[:, 1])))).astype(float)
    _, (first, second) = fitting.fit(x, y, [1, 1])
    assert first > 0 and second == 0.0


def test_threshold_holds_on_every_run_not_only_on_all_together(fitting: ModuleType) -> None:
    # Run "a": 20 chances of 0.9; run "b": 20 of 0.3 and 20 of 0.1. Pooled, a threshold of
    # 0.31 leaves a third reaching it; run "a" alone needs one above 0.9.
    chances = np.array([0.9] * 20 + [0.3] * 20 + [0.1] * 20)
    runs = np.array(["a"] * 20 + ["b"] * 40)
    assert fitting.lowest_threshold(chances, runs, 0.10) == 0.91
    # A run too small to tell a share from is not held to it.
    assert fitting.lowest_threshold(chances[:25], runs[:25], 0.10) == 0.91
    assert fitting.lowest_threshold(chances[15:], runs[15:], 0.10) == 0.31


def test_the_written_rule_reads_back(fitting: ModuleType, tmp_path: Path) -> None:
    models = {
        "answers": (-3.0, [1.5, 2.0], ["crowd", "explained_lead"], 0.66),
        "off_topic": (1.0, [-2.5], ["known"], 0.2),
    }
    path = tmp_path / "confidence.toml"
    path.write_text(fitting.render(models, "A note on how it was made."), encoding="utf-8")
    rule = read_rule(path)
    assert (rule.answers.intercept, rule.answers_at, rule.off_topic_at) == (-3.0, 0.66, 0.2)
    assert dict(rule.answers.weights) == {"crowd": 1.5, "explained_lead": 2.0}
    assert dict(rule.off_topic.weights) == {"known": -2.5}
