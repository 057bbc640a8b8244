"""The knowledge core: parse SOP documents, index them, answer staff questions.

Pure Python with no Telegram in it, so the bot, the command line and the benchmarks
share one implementation.
"""

from knowledge.base import KnowledgeBase, parse_sources
from knowledge.model import Answer, Hit, Lint, ParsedSource, Step

__all__ = ["Answer", "Hit", "KnowledgeBase", "Lint", "ParsedSource", "Step", "parse_sources"]
