"""Answer a staff question: read it, expand it into SOP words, rank steps and sentences.

A question goes through four stages:

1. *Reading*: fold the text (script, width, case), segment it, drop stop words.
2. *Expanding*: staff wording → SOP wording (synonym lexicon), English → Chinese
   (glossary), typos → known words (same pinyin, or one character off).
3. *Ranking*: BM25 over sentences and over whole steps, on words and on character
   pairs (which survive segmentation differences), with the cues a question carries:
   a role or document it names, or that it asks for a number.
4. *Judging*: how much of the question the best step accounts for decides whether the
   answer is given with confidence or offered as "the closest steps".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from knowledge import answer_types
from knowledge.excerpt import Excerpt, Unit, excerpt, is_verse_step, units
from knowledge.index import Index, pinyin_key
from knowledge.lexicon import WORD_RE as ENGLISH_WORD_RE
from knowledge.lexicon import Gloss, Lexicon, stem
from knowledge.model import SHORT_TIP, Hit
from knowledge.normalize import fold, fold_characters
from knowledge.resources import EnglishSense, cantonese_characters
from knowledge.segment import CJK_RUN_RE, Segmenter, bigrams, normal_form

# A staff question is a sentence or two; past this the rest is not read (and the reply says
# so), which also bounds the work a pasted essay can cause.
MAX_QUERY_CHARS = 120
# A tip that matches this much better than any body sentence is the answer on its own.
TIP_OVER_BODY = 1.5
# ... and one matching less than this share of the best body sentence is left out.
TIP_RELEVANCE = 0.5
# Past this many characters a card shows no second sentence.
SHORT_PASSAGE = 100
# A step's text this short is shown whole; a longer one by its best sentences, at most
# this long (a list as far as it fits, the rest counted).
WHOLE_PASSAGE = 150
PASSAGE_BUDGET = 360
TIP_BUDGET = 220
OVERVIEW_SECTIONS = {"崗位職責說明", "職位"}
MNEMONIC_SECTION = "服務標準口訣"
MNEMONIC_WORD = fold("口訣")
# jieba's count below which a character of the Cantonese table is Cantonese, not Chinese
# at large (咪 410, 唔 476; 過 97,817).
RARE_IN_WRITING = 500
# How many of the best-scored steps are ranked again by how much of the question they explain.
RERANKED = 10
# rapidfuzz ratio at which a misspelt English word is read as a glossary word.
ENGLISH_SPELLING_CUTOFF = 85
# How many spelled words are remembered.
SPELLING_CACHE = 10_000

# A question asking for a time of day is answered by one, or by a time relative to
# something ("開場前 1 小時"); every other kind by its own.
ANSWERED_BY = {kind: (kind,) for kind in answer_types.ANSWERS} | {"clock": ("clock", "duration")}
NUMBER_QUESTION_RE = re.compile(
    r"几|幾|多少|多久|多长|多長|多远|多遠|多大|多高|哪天|几号|几號|百分|%|比重|比例|"
    r"什么时候|何时|电话|号码|年龄|岁|"
    r"how (?:many|much|long|far|often|soon|old)|what (?:percent|time|age|number)|"
    r"phone number|which number|percent|minutes?|meters?|metres?"
)


# Expansions from the thesaurus match whole words of a question only: its words are common
# ones that also occur inside others. A hand table's Cantonese and regional words, and
# CC-CEDICT's headwords read toward an English SOP, count wherever they stand and cut no
# word the corpus has: 洗碗機 is also 洗碗 (wash the dishes), where the SOP has no
# "dishwasher".
WHOLE_WORD_KINDS = frozenset({"thesaurus"})


@dataclass(frozen=True)
class Tuning:
    """The weights of the ranking, in one place so a benchmark can vary them.

    Term weights: how much a word of each origin counts (a word the staff typed
    counts 1). Boosts multiply a step's score when a cue in the question fits it.
    """

    synonym_weight: float = 0.9
    # What a passage's second synonym of one question word adds (Postings.score_groups):
    # nothing, so one word read three ways (幫忙 → 協助, 幫助, 幫手) counts once.
    synonym_others: float = 0.0
    known_variant_factor: float = 0.4
    gloss_weight: float = 1.0
    typo_weight: float = 0.8
    loose_typo_weight: float = 0.5
    single_char_weight: float = 0.4
    gram_weight: float = 0.3
    # Single characters: 錄影 and 錄製, 斷掉 and 中斷 share one; worth a little on their own.
    char_weight: float = 0.2
    min_gram_idf: float = 3.0
    step_weight: float = 0.5
    title_weight: float = 1.3
    alternate_weight: float = 0.75
    # Beside other documents, a question word that only some document's indexed staff
    # questions contain counts this much (see Searcher.read).
    staff_only_factor: float = 0.5
    # Beside other documents, what one document's own lexicon adds counts this much: the
    # others have only the general resources to meet staff wording with.
    scoped_factor: float = 0.7
    second_passage_weight: float = 0.3
    number_boost: float = 1.3
    answer_boost: float = 2.0  # a sentence holding the kind of answer asked for (answer_types)
    role_boost: float = 1.35
    role_name_weight: float = 0.2
    doc_boost: float = 1.6
    other_doc_penalty: float = 0.75
    mnemonic_penalty: float = 0.6
    mnemonic_boost: float = 1.3  # instead of the penalty, when the question asks for a 口訣
    overview_penalty: float = 0.85
    specialist_penalty: float = 0.85
    coverage_weight: float = 0.7  # how much the share of the question explained reranks
    lead_weight: float = 0.3  # how much the share its heading (or first sentence) explains does


@dataclass
class Query:
    """A question as the ranking sees it."""

    text: str
    folded: str
    gram_weight: float
    words: dict[str, float] = field(default_factory=dict)
    grams: dict[str, float] = field(default_factory=dict)
    roles: set[str] = field(default_factory=set)
    docs: set[int] = field(default_factory=set)
    wants_number: bool = False
    asks_for: frozenset[str] = frozenset()  # the kinds of answer it asks for (answer_types)
    wants_mnemonic: bool = False  # it asks for a role's 服務標準口訣 (rhyme)
    # Where in ``folded`` each term came from, to tell how much of the question a
    # step explains; ``neutral`` marks stop words, which need no explaining.
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    neutral: set[int] = field(default_factory=set)
    # Places between two words the search knows: no typo spans one (下午|值班 is not 午值).
    firm_joints: set[int] = field(default_factory=set)
    # Where the question has a word of two characters or more the corpus uses: a variant
    # found inside the question never cuts one (入錢 is not in 跌咗入錢箱, whose 錢箱 the
    # SOP has).
    known_words: list[tuple[int, int]] = field(default_factory=list)
    # Terms from one document's own lexicon: they score that document's steps only.
    scoped_words: dict[str, float] = field(default_factory=dict)
    scoped_grams: dict[str, float] = field(default_factory=dict)
    # Single characters: they add to a step's score, never make it a candidate alone.
    chars: dict[str, float] = field(default_factory=dict)
    scoped_spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    position_weights: dict[int, float] | None = None  # Searcher.position_weights
    shares: dict[int, float] = field(default_factory=dict)  # explained places → their share
    # The weight of the asker's own word at each place of ``folded``: what a reading of it
    # (a translation, a synonym, a correction) is worth against it (Searcher.credited_share).
    own: dict[int, float] = field(default_factory=dict)

    def add(
        self, term: str, weight: float, span: tuple[int, int] | None = None, scoped: bool = False
    ) -> None:
        words, grams, spans = (
            (self.scoped_words, self.scoped_grams, self.scoped_spans)
            if scoped
            else (self.words, self.grams, self.spans)
        )
        if span is not None:
            spans.setdefault(term, []).append(span)
        if weight > words.get(term, 0.0):
            words[term] = weight
        for gram in bigrams(term):
            grams[gram] = max(grams.get(gram, 0.0), self.gram_weight * weight)

    def cuts_known_word(self, start: int, end: int) -> bool:
        """Whether the piece ``start:end`` begins or ends inside a known word."""
        return any(a < start < b or a < end < b for a, b in self.known_words)

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.grams and not self.scoped_words

    @cached_property
    def content(self) -> frozenset[int]:
        """Where the question has something to explain: letters and digits, not stop words.

        Read once the question is fully read (coverage asks for it per candidate step)."""
        return frozenset(
            i for i, char in enumerate(self.folded) if char.isalnum() and i not in self.neutral
        )

    @cached_property
    def word_groups(self) -> list[dict[str, float]]:
        """:attr:`words` grouped by the place of the question each came from: a word and
        what stands for it (synonyms, glosses, corrections) are one group."""
        return self.groups_of(self.words, self.spans)

    @cached_property
    def scoped_word_groups(self) -> list[dict[str, float]]:
        """:attr:`word_groups` of the terms that score the scoped document only."""
        return self.groups_of(self.scoped_words, self.scoped_spans)

    @staticmethod
    def groups_of(
        words: dict[str, float], spans: dict[str, list[tuple[int, int]]]
    ) -> list[dict[str, float]]:
        groups: dict[object, dict[str, float]] = {}
        for term, weight in words.items():
            places = spans.get(term)
            key: object = places[0] if places else term
            groups.setdefault(key, {})[term] = weight
        return list(groups.values())

    @cached_property
    def coverage_parts(self) -> list[tuple[str, frozenset[str], int]]:
        """Each term with its character pairs and the places of the content it came from,
        a bit each: worked out once, since coverage is asked of every candidate, twice."""
        return self.parts_of(self.spans)

    @cached_property
    def scoped_coverage_parts(self) -> list[tuple[str, frozenset[str], int]]:
        """:attr:`coverage_parts` of the terms that explain only the scoped document's steps."""
        return self.parts_of(self.scoped_spans)

    def parts_of(
        self, spans_by_term: dict[str, list[tuple[int, int]]]
    ) -> list[tuple[str, frozenset[str], int]]:
        found = []
        for term, spans in spans_by_term.items():
            places = {i for a, b in spans for i in range(a, b)} & self.content
            if places:
                found.append((term, frozenset(bigrams(term)), sum(1 << i for i in places)))
        return found


def pieces(text: str, longest_from: dict[str, int]) -> Iterator[tuple[int, int, str]]:
    """Every piece of ``text`` of two characters or more that could be a table's entry:
    (start, end, piece), no longer than the longest entry that starts with its character.

    Looking up each piece of a question in one dict is far cheaper than searching the
    question for each of a table's thousands of entries.
    """
    for start, char in enumerate(text):
        longest = longest_from.get(char, 0)
        for end in range(start + 2, min(start + longest, len(text)) + 1):
            yield start, end, text[start:end]


@dataclass(frozen=True)
class Phrase:
    """An English phrase (stemmed words) and the corpus terms it stands for, each with its
    weight and whether it scores only the lexicon's own document."""

    words: tuple[str, ...]
    terms: tuple[tuple[str, float, bool], ...]


def english_phrases(
    glossary: Sequence[Gloss],
    general: Sequence[EnglishSense],
    gloss_weight: float,
    scoped: bool,
    stopwords: frozenset[str] = frozenset(),
) -> dict[str, list[Phrase]]:
    """English phrases by their first word, longest first: the lexicon's glossary (of its
    own document) and the index's general senses (CC-CEDICT and the general table)."""
    terms: dict[tuple[str, ...], dict[tuple[str, bool], float]] = defaultdict(dict)
    for gloss in glossary:
        # A phrase standing for several SOP words shares its weight among them, so a long
        # line of the glossary does not outweigh the rest of the question.
        weight = gloss_weight / len(gloss.terms) ** 0.5
        for term in gloss.terms:
            key = (term, scoped)
            terms[gloss.words][key] = max(terms[gloss.words].get(key, 0.0), weight)
    for sense in general:
        if not sense.listed and stopwords.issuperset(sense.words):
            continue  # "in", "up to": a dictionary sense, not what a question is about
        key = (sense.term, False)
        terms[sense.words][key] = max(terms[sense.words].get(key, 0.0), sense.weight)
    found: dict[str, list[Phrase]] = defaultdict(list)
    for words in sorted(terms, key=lambda w: (-len(w), w)):
        chosen = tuple((term, weight, scope) for (term, scope), weight in terms[words].items())
        found[words[0]].append(Phrase(words, chosen))
    return found


class Searcher:
    """Ranks the steps of an :class:`Index` for a question."""

    def __init__(
        self,
        index: Index,
        lexicon: Lexicon,
        segmenter: Segmenter,
        doc_aliases: dict[int, tuple[str, ...]],
        role_cues: dict[str, tuple[str, ...]],
        home_docs: set[int] | None = None,
        specialists: Sequence[str] = (),
        tuning: Tuning | None = None,
        scope: frozenset[str] | None = None,
    ) -> None:
        """``lexicon``'s synonyms and glossary describe the source files in ``scope``
        (all, when None): elsewhere they score nothing. General resources are the index's
        own (:mod:`knowledge.resources`) and apply everywhere."""
        self.home_docs = home_docs or set()
        self.specialists = {fold(role) for role in specialists}
        self.tuning = tuning or Tuning()
        self.index = index
        self.lexicon = lexicon
        self.segmenter = segmenter
        self.doc_aliases = {
            doc: tuple(sorted({fold(a) for a in aliases if len(fold(a)) >= 2}))
            for doc, aliases in doc_aliases.items()
        }
        self.role_cues = {
            fold(role): tuple(sorted({fold(c) for c in cues})) for role, cues in role_cues.items()
        }
        self.char_terms: dict[str, list[str]] = defaultdict(list)
        for term in index.vocabulary:
            for char in sorted(set(term)):
                self.char_terms[char].append(term)
        self.known_chars = set(self.char_terms)
        self.step_roles = [fold(step.role) for step in index.steps]
        sources = index.step_sources or [""] * len(index.steps)
        self.scope_mask = np.array(
            [scope is None or source in scope for source in sources], dtype=bool
        )
        # Only when the lexicon's document is served beside others do its terms need
        # keeping apart; alone, they are the question's own terms; when it is not served
        # at all, they have nothing to find.
        self.lexicon_applies = bool(self.scope_mask.any())
        self.partial_scope = self.lexicon_applies and not bool(self.scope_mask.all())
        self.several_sources = len(set(sources)) > 1
        self.passage_scope = (
            self.scope_mask[np.array([p.passage.step_index for p in index.passages], dtype=np.intp)]
            if index.passages
            else np.zeros(0, dtype=bool)
        )
        self.step_numbers = {id(step): number for number, step in enumerate(index.steps)}
        # Words of the SOPs' own text (not of indexed staff questions): a staff word one of
        # them uses already matches as it is, so what it stands for counts less.
        self.sop_words = frozenset(
            word for p in index.passages if p.passage.kind != "alternate" for word in p.words
        )
        self.staff_words = frozenset(
            word for p in index.passages if p.passage.kind == "alternate" for word in p.words
        ).difference(self.sop_words)
        self.prepare_ranking()
        self.rarest = max(index.passage_words.idf.values(), default=1.0)
        # Each step's body and tip sentences (not its title or alternate questions).
        self.step_sentences = [
            tuple(
                [n for n in numbers if index.passages[n].passage.kind == kind]
                for kind in ("body", "tip")
            )
            for numbers in index.step_passages
        ]
        self.variant_rows: dict[str, list[int]] = defaultdict(list)
        for row, synonym in enumerate(lexicon.synonyms):
            for variant in synonym.variants:
                self.variant_rows[variant].append(row)
        # The longest variant starting with each character: most characters of a question
        # (and every one of an English question but a few) start none.
        self.longest_variant_from: dict[str, int] = {}
        for variant in self.variant_rows:
            first = variant[0]
            self.longest_variant_from[first] = max(
                self.longest_variant_from.get(first, 0), len(variant)
            )
        # General staff words → corpus words (Cantonese, regional, thesaurus).
        self.general: dict[str, list[tuple[str, float]]] = defaultdict(list)
        self.longest_general_from: dict[str, int] = {}
        # A question word leads only to the kind of words that answer it (多少 → 數量),
        # never to another question word (多少 → 幾多, 哪裡 → 邊度): those match nothing but
        # other questions, such as the staff questions indexed with one document.
        question_words = set(lexicon.stopwords)
        question_words |= {e.variant for e in index.expansions if e.kind == "questions"}
        for expansion in index.expansions:
            if expansion.kind != "questions" and (
                expansion.term in question_words or expansion.variant in question_words
            ):
                continue
            self.general[expansion.variant].append((expansion.term, expansion.weight))
            if expansion.kind not in WHOLE_WORD_KINDS:  # hand-written: found anywhere
                first = expansion.variant[0]
                self.longest_general_from[first] = max(
                    self.longest_general_from.get(first, 0), len(expansion.variant)
                )
        self.spelled: dict[str, str] = {}  # spell()'s answers: words repeat across questions
        # Characters written Chinese hardly uses alone (嘅, 咗, 咪), as jieba counts them.
        freq = segmenter.tokenizer.FREQ
        self.cantonese = frozenset(
            c for c in cantonese_characters() if freq.get(c, 0) < RARE_IN_WRITING
        )
        self.phrases_by_first_word = english_phrases(
            lexicon.glossary if self.lexicon_applies else (),
            index.english,
            self.tuning.gloss_weight,
            self.partial_scope,
            lexicon.english_stopwords,
        )
        self.english_vocabulary = sorted(
            {
                word
                for phrases in self.phrases_by_first_word.values()
                for p in phrases
                for word in p.words
            }
        )
        self.known_english = frozenset(self.english_vocabulary)

    def prepare_ranking(self) -> None:
        """Per-passage and per-step arrays, so ranking is a few vectorised operations.

        A question scores thousands of passages (the SOP's sentences and the staff
        questions indexed with each step); looping over them in Python was most of a
        search's time.
        """
        index, tuning = self.index, self.tuning
        kind_weight = {"title": tuning.title_weight, "alternate": tuning.alternate_weight}
        places = [p.passage for p in index.passages]
        self.passage_weights = np.array([kind_weight.get(p.kind, 1.0) for p in places])
        self.passage_has_number = np.array([p.has_number for p in index.passages], dtype=bool)
        self.passage_holds = {
            kind: np.array([kind in p.holds for p in index.passages], dtype=bool)
            for kind in answer_types.ANSWERS
        }
        # Passages grouped by step (reduceat needs each group contiguous and non-empty).
        passage_steps = np.array([p.step_index for p in places], dtype=np.intp)
        self.passage_order = np.argsort(passage_steps, kind="stable")
        grouped = passage_steps[self.passage_order]
        self.grouped_steps, self.group_starts, self.group_sizes = np.unique(
            grouped, return_index=True, return_counts=True
        )
        steps = index.steps
        self.step_count = len(steps)
        # Each step's first piece (its heading, or its first sentence), as sets: what
        # lead_coverage asks of every candidate.
        self.lead_sets = [
            (
                frozenset(index.passages[numbers[0]].words),
                frozenset(index.passages[numbers[0]].grams),
            )
            if numbers
            else (frozenset(), frozenset())
            for numbers in index.step_passages
        ]
        self.role_masks = {
            role: np.array([r == role for r in self.step_roles], dtype=bool)
            for role in set(self.step_roles)
        }
        self.specialist_mask = np.array([r in self.specialists for r in self.step_roles])
        self.step_docs = np.array([step.doc_no for step in steps], dtype=np.intp)
        # A role's 服務標準口訣 (rhyme) repeats its steps in seven characters a line, so it
        # matches many questions a step answers better: it only wins when asked for.
        mnemonics = np.array([step.section == MNEMONIC_SECTION for step in steps], dtype=bool)
        # Overviews mention everything a role does, briefly; a step that says how to do
        # the thing asked is the better answer when it matches.
        overviews = np.array([step.section in OVERVIEW_SECTIONS for step in steps], dtype=bool)
        others = np.where(overviews, tuning.overview_penalty, 1.0)
        self.section_factors = np.where(mnemonics, tuning.mnemonic_penalty, others)
        self.mnemonic_factors = np.where(mnemonics, tuning.mnemonic_boost, others)

    # -- reading and expanding -------------------------------------------------------
    def read(self, text: str) -> Query:
        folded = fold(text[: MAX_QUERY_CHARS * 4])[:MAX_QUERY_CHARS]
        query = Query(text=text, folded=folded, gram_weight=self.tuning.gram_weight)
        tokens = self.segmenter.tokens(folded)
        known = self.index.passage_words.idf
        for (left, _, joint), (right, _, _) in zip(tokens, tokens[1:], strict=False):
            sure = [w in known or w in self.lexicon.stopwords for w in (left, right)]
            # Two lone characters are what jieba leaves of a word it does not know, such
            # as a typo (過其 for 過期): that joint may still hide one.
            if all(sure) and not (len(left) == 1 and len(right) == 1):
                query.firm_joints.add(joint)
        query.known_words = [
            (start, end) for word, start, end in tokens if len(word) > 1 and word in known
        ]
        for word, start, end in tokens:
            if word in self.lexicon.stopwords:
                query.neutral.update(range(start, end))
                continue
            single_cjk = len(word) == 1 and CJK_RUN_RE.fullmatch(word)
            weight = self.tuning.single_char_weight if single_cjk else 1.0
            term = normal_form(word)
            if self.several_sources and term in self.staff_words:
                # Only staff questions indexed with one document's steps have the word: it
                # is evidence for that document's steps, weaker than the SOPs' own text.
                weight *= self.tuning.staff_only_factor
            query.add(term, weight, (start, end))
            for place in range(start, end):
                query.own[place] = max(query.own.get(place, 0.0), weight)
        for char in folded:
            if CJK_RUN_RE.fullmatch(char) and char not in self.lexicon.stopwords:
                query.chars[char] = self.tuning.char_weight
        self.add_character_forms(query, text[: MAX_QUERY_CHARS * 4])
        for run in CJK_RUN_RE.findall(folded):
            for gram in bigrams(run):
                if not all(char in self.lexicon.stopwords for char in gram):
                    query.grams[gram] = max(query.grams.get(gram, 0.0), self.tuning.gram_weight)
        self.expand_synonyms(query)
        self.expand_general(query)
        self.expand_english(query)
        self.correct_typos(query)
        self.read_cues(query)
        return query

    def add_character_forms(self, query: Query, text: str) -> None:
        """Add the question's words as converted character by character, where OpenCC's
        phrase conversion changed them (see :func:`fold_characters`)."""
        other = fold_characters(text)[:MAX_QUERY_CHARS]
        if other == query.folded:
            return
        mapped: list[tuple[int, int]] = [(0, 0)] * (len(other) + 1)
        matcher = SequenceMatcher(None, query.folded, other, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            for j in range(j1, j2):
                mapped[j] = (i1 + j - j1, i1 + j - j1 + 1) if tag == "equal" else (i1, i2)
        seen = set(query.words)
        for word, start, end in self.segmenter.tokens(other):
            if word in seen or word in self.lexicon.stopwords:
                continue
            span = (mapped[start][0], max(mapped[end - 1][1], mapped[start][0] + 1))
            single = len(word) == 1 and CJK_RUN_RE.fullmatch(word)
            query.add(normal_form(word), self.tuning.single_char_weight if single else 1.0, span)

    def expand_synonyms(self, query: Query) -> None:
        """Add the SOP's words for the staff wording the question uses.

        A variant the SOP itself also uses (總結 for 總結撰寫) already matches as it
        is, so what it adds counts for less: it is a hint, not a translation.
        """
        if not self.lexicon_applies:
            return
        known = self.sop_words
        for row, spans in self.variant_spans(query).items():
            weight = self.tuning.synonym_weight
            if all(query.folded[a:b] in known for a, b in spans):
                weight *= self.tuning.known_variant_factor
            for term in self.lexicon.synonyms[row].terms:
                for span in spans:
                    query.add(term, weight, span, scoped=self.partial_scope)

    def expand_general(self, query: Query) -> None:
        """Add the corpus words for the question's words from the general resources.

        Hand-written variants (Cantonese, regional) count wherever they stand in the
        question; the thesaurus's only as whole words, since its words are common ones
        that also occur inside others. A variant the corpus itself uses counts less.
        """
        known = self.sop_words
        found: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for start, end, piece in pieces(query.folded, self.longest_general_from):
            if piece in self.general and not query.cuts_known_word(start, end):
                found[piece].append((start, end))
        for word, spans in list(query.spans.items()):
            if word in self.general and word not in found:
                found[word].extend(spans)
        for variant, spans in found.items():
            factor = self.tuning.known_variant_factor if variant in known else 1.0
            for term, weight in self.general[variant]:
                for span in spans:
                    query.add(term, weight * factor, span)

    def variant_spans(self, query: Query) -> dict[int, list[tuple[int, int]]]:
        """Where each lexicon row's variants stand in the question, by row.

        Variants of two characters or more count anywhere in the question; a single
        character only as a whole word (客 inside 客戶 is not 客).
        """
        found: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for start, end, piece in pieces(query.folded, self.longest_variant_from):
            if query.cuts_known_word(start, end):
                continue
            for row in self.variant_rows.get(piece, ()):
                found[row].append((start, end))
        for word, spans in list(query.spans.items()):
            if len(word) == 1:
                for row in self.variant_rows.get(word, ()):
                    found[row].extend(spans)
        return found

    def expand_english(self, query: Query) -> None:
        """Add the SOP terms for the English words and phrases of the question.

        Where phrases overlap, the longest is read first ("id card" before "card"),
        and a shorter one still counts if it adds a word the longer did not cover.
        """
        found = list(ENGLISH_WORD_RE.finditer(query.folded))
        shorthand = self.lexicon.english_shorthand
        words = [self.spell(stem(shorthand.get(m.group(), m.group()))) for m in found]
        for match, word in zip(found, words, strict=True):
            if word in self.lexicon.english_stopwords:
                query.neutral.update(range(match.start(), match.end()))
        used = [False] * len(words)
        for start, word in enumerate(words):
            for phrase in self.phrases_by_first_word.get(word, ()):  # longest first
                end = start + len(phrase.words)
                if tuple(words[start:end]) == phrase.words and not all(used[start:end]):
                    used[start:end] = [True] * len(phrase.words)
                    span = (found[start].start(), found[end - 1].end())
                    for term, weight, scoped in phrase.terms:
                        query.add(term, weight, span, scoped=scoped)

    def spell(self, word: str) -> str:
        """The glossary word a misspelt English word meant ("extinguiser")."""
        if word in self.known_english or len(word) < 5 or not word.isalpha():
            return word
        if word in self.index.english_words:  # a real word ("breaker"), not a misspelt one
            return word
        if word not in self.spelled:
            if len(self.spelled) >= SPELLING_CACHE:
                self.spelled.clear()  # odd words without end (a pasted essay) stay bounded
            match = process.extractOne(
                word,
                self.english_vocabulary,
                scorer=fuzz.ratio,
                score_cutoff=ENGLISH_SPELLING_CUTOFF,
            )
            self.spelled[word] = match[0] if match else word
        return self.spelled[word]

    def correct_typos(self, query: Query) -> None:
        """Find the SOP word a mistyped piece of the question meant.

        Chinese typing errors are mostly homophones (滅火氣 → 滅火器, 頭訴 → 投訴), so a
        piece of the question with the pinyin of an SOP word stands for it; failing
        that, a piece one character off an SOP word, where that character appears
        nowhere in the SOP (投訢 → 投訴), stands for it more weakly.
        """
        vocabulary = self.index.vocabulary
        seen: set[str] = set()
        for match in CJK_RUN_RE.finditer(query.folded):
            run, offset = match.group(), match.start()
            for size in (4, 3, 2):
                for start in range(len(run) - size + 1):
                    piece = run[start : start + size]
                    # A word jieba made of a typo (投素) is still a typo; a real word
                    # that merely looks or sounds like an SOP word is not.
                    if piece in vocabulary or piece in seen or piece in self.index.sound_alikes:
                        continue
                    # Cantonese (係咪, 啲菜) is no misspelt SOP word: 係咪 is not 系統.
                    if not self.cantonese.isdisjoint(piece):
                        continue
                    here = offset + start
                    if query.firm_joints.intersection(range(here + 1, here + size)):
                        continue
                    seen.add(piece)
                    span = (offset + start, offset + start + size)
                    for term in self.index.pinyin_terms.get(
                        pinyin_key(piece, self.index.readings), ()
                    ):
                        query.add(term, self.tuning.typo_weight, span)
                    self.correct_one_stranger(query, piece, span)

    def correct_one_stranger(self, query: Query, piece: str, span: tuple[int, int]) -> None:
        """Read ``piece`` as the one SOP word it equals but for a character the SOP lacks."""
        strangers = [i for i, char in enumerate(piece) if char not in self.known_chars]
        if len(strangers) != 1:
            return
        odd = strangers[0]
        anchor = piece[1] if odd == 0 else piece[0]
        candidates = [
            term
            for term in self.char_terms.get(anchor, ())
            if len(term) == len(piece)
            and all(a == b for i, (a, b) in enumerate(zip(term, piece, strict=True)) if i != odd)
        ]
        if len(candidates) == 1:  # several would be a guess, not a correction
            query.add(candidates[0], self.tuning.loose_typo_weight, span)

    def read_cues(self, query: Query) -> None:
        for doc, aliases in self.doc_aliases.items():
            named = [alias for alias in aliases if alias in query.folded]
            if doc not in self.home_docs and named:
                query.docs.add(doc)
                # A document's name picks the document; as a search term it would pull
                # the one step that repeats it (a job posting's title). So do the words
                # read out of the name (電信 → 電信業務).
                for term in list(query.words):
                    if any(term in alias for alias in named) or self.within(query, term, named):
                        query.words[term] = min(query.words[term], self.tuning.role_name_weight)
        expanded = query.folded + " " + " ".join(query.words)
        if not query.docs or query.docs & self.home_docs:
            # Roles belong to the store's SOP: 主管 in "順豐點部主管" names no store role.
            for role, cues in self.role_cues.items():
                if any(cue in expanded for cue in cues):
                    query.roles.add(role)
        # A role named in the question says whose step it is, not what it is about: the
        # role's description mentions its own name most and would win every time.
        for term in list(query.words):
            if term in self.role_cues:
                query.words[term] = self.tuning.role_name_weight
        query.wants_number = bool(NUMBER_QUESTION_RE.search(query.folded))
        query.asks_for = answer_types.asked(query.folded)
        query.wants_mnemonic = any(MNEMONIC_WORD in term for term in query.words)

    @staticmethod
    def within(query: Query, term: str, names: list[str]) -> bool:
        """Whether every place ``term`` came from lies inside one of ``names`` in the question."""
        places = [
            (start, start + len(name))
            for name in names
            for start in range(len(query.folded))
            if query.folded.startswith(name, start)
        ]
        spans = query.spans.get(term, ())
        return bool(spans) and all(
            any(a <= start and end <= b for a, b in places) for start, end in spans
        )

    # -- ranking ---------------------------------------------------------------------
    def passage_scores(self, query: Query) -> npt.NDArray[np.float64]:
        """Every passage's score (0 where nothing matched)."""
        others = self.tuning.synonym_others
        scores = self.index.passage_words.score_groups(query.word_groups, others)
        scores += self.index.passage_grams.score(self.telling_grams(query.grams))
        scores += self.index.passage_grams.score(self.telling_grams(query.chars))
        if query.scoped_words:
            scoped = self.index.passage_words.score_groups(query.scoped_word_groups, others)
            scoped += self.index.passage_grams.score(self.telling_grams(query.scoped_grams))
            scores += scoped * self.passage_scope * self.tuning.scoped_factor
        if query.asks_for:
            holding = np.zeros(len(scores), dtype=bool)
            for kind in query.asks_for:
                for held in ANSWERED_BY[kind]:
                    holding |= self.passage_holds[held]
            scores[holding] *= self.tuning.answer_boost
        elif query.wants_number:
            scores[self.passage_has_number] *= self.tuning.number_boost
        return scores

    def telling_grams(self, grams: dict[str, float]) -> dict[str, float]:
        """The question's character pairs that tell sentences apart.

        A pair found in most sentences (客戶, 業務) says nothing about which one is
        meant, and scoring its thousands of postings costs more than all the rest.
        """
        idf = self.index.passage_grams.idf
        floor = self.tuning.min_gram_idf
        return {gram: w for gram, w in grams.items() if idf.get(gram, 0.0) >= floor}

    def best_two_passages(
        self, weighted: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Each step's best passage score and its second best (equal to the best on a tie)."""
        values = weighted[self.passage_order]
        starts = self.group_starts
        top = np.maximum.reduceat(values, starts)
        is_top = values == np.repeat(top, self.group_sizes)
        tops = np.add.reduceat(is_top, starts)
        runner_up = np.maximum.reduceat(np.where(is_top, 0.0, values), starts)
        best = np.zeros(self.step_count)
        second = np.zeros(self.step_count)
        best[self.grouped_steps] = top
        second[self.grouped_steps] = np.where(tops > 1, top, runner_up)
        return best, second

    def rank(
        self,
        query: Query,
        limit: int = 5,
        role: str | None = None,
        served: npt.NDArray[np.bool_] | None = None,
    ) -> list[Hit]:
        """The best steps for ``query``; with ``served`` (a mask over the steps), only the
        steps it marks can be hits. Scores are the same either way."""
        if query.is_empty:
            return []
        tuning = self.tuning
        passage_scores = self.passage_scores(query)
        best, second = self.best_two_passages(passage_scores * self.passage_weights)
        others = tuning.synonym_others
        step_scores = self.index.step_words.score_groups(query.word_groups, others)
        step_scores += self.index.step_grams.score(self.telling_grams(query.grams))
        if query.scoped_words:
            scoped = self.index.step_words.score_groups(query.scoped_word_groups, others)
            scoped += self.index.step_grams.score(self.telling_grams(query.scoped_grams))
            step_scores += scoped * self.scope_mask * self.tuning.scoped_factor
        scores = (best + tuning.second_passage_weight * second) + tuning.step_weight * step_scores
        # A step sharing a word or a pair of characters with the question, not only one
        # character (機 of 機器 in 收銀機): single characters rank, they do not find.
        candidates = step_scores > 0
        if served is not None:
            candidates &= served
        # A role the question names counts most, then the asker's own role; specialists'
        # steps (a VIP desk's) only when asked for.
        named = np.zeros(self.step_count, dtype=bool)
        for name in query.roles:
            if name in self.role_masks:
                named |= self.role_masks[name]
        if named.any() and self.partial_scope:
            # Role cues belong to the catalog's document: they pick a role there, and
            # leave the documents beside it where they stand.
            named |= ~self.scope_mask
        preferred_role = fold(role) if role else None
        preferred = self.role_masks.get(preferred_role, named) if preferred_role else named
        role_factors = np.where(
            named,
            tuning.role_boost,
            np.where(
                preferred & ~named,
                1.1,
                np.where(self.specialist_mask, tuning.specialist_penalty, 1.0),
            ),
        )
        scores = scores * role_factors
        if query.docs:
            in_docs = np.isin(self.step_docs, list(query.docs))
            scores = scores * np.where(in_docs, tuning.doc_boost, tuning.other_doc_penalty)
        scores = scores * (self.mnemonic_factors if query.wants_mnemonic else self.section_factors)
        found = np.flatnonzero(candidates)
        # Best first; equal scores in step order, so answers never depend on chance.
        ranked = found[np.lexsort((found, -scores[found]))][: max(limit, RERANKED)]
        # Then the leaders again, by how much of the question each explains: a step that
        # matches one word many times loses to one that accounts for the whole question;
        # and by how much its heading (or first sentence) explains: an SOP says there
        # what a step is about, and a step whose detail happens to repeat the question's
        # words is seldom the one asked for.
        share, lead = tuning.coverage_weight, tuning.lead_weight
        reranked = [
            (
                float(scores[step_no])
                * (1 - share + share * self.step_coverage(query, step_no))
                * (1 - lead + lead * self.lead_coverage(query, step_no)),
                int(step_no),
            )
            for step_no in ranked
        ]
        reranked.sort(key=lambda pair: (-pair[0], pair[1]))  # ties in step order, as above
        return [
            self.hit(query, step_no, score, passage_scores) for score, step_no in reranked[:limit]
        ]

    def hit(
        self, query: Query, step_no: int, score: float, passage_scores: npt.NDArray[np.float64]
    ) -> Hit:
        """The step with the sentences that answer, in reading order, and its tips.

        What a card shows is chosen from whole sentences (:mod:`knowledge.excerpt`): the
        best-matching of the body, and of the best-matching tip.
        """
        step = self.index.steps[step_no]
        body_numbers, tip_numbers = self.step_sentences[step_no]
        body_units = units(step.body)
        verse = is_verse_step(step.section, step.title)
        body = excerpt(
            body_units,
            self.unit_scores(body_units, body_numbers, passage_scores),
            budget=PASSAGE_BUDGET,
            whole_below=WHOLE_PASSAGE,
            second_below=SHORT_PASSAGE,
            is_verse=verse,
        )
        tip_units = units(step.tips)
        tip_unit_scores = self.unit_scores(tip_units, tip_numbers, passage_scores)
        tip_scores: dict[int, float] = defaultdict(float)
        for unit, unit_score in zip(tip_units, tip_unit_scores, strict=True):
            tip_scores[unit.paragraph] = max(tip_scores[unit.paragraph], unit_score)
        order = sorted(range(len(step.tips)), key=lambda i: (-tip_scores.get(i, 0.0), i))
        tip = Excerpt("", 0.0)
        if order and tip_scores.get(order[0], 0.0) > 0:
            # One tip, the best: its sentences make one point together.
            mine = [n for n, unit in enumerate(tip_units) if unit.paragraph == order[0]]
            tip = excerpt(
                [tip_units[n] for n in mine],
                [tip_unit_scores[n] for n in mine],
                budget=TIP_BUDGET,
                whole_below=SHORT_TIP,
                second_below=SHORT_PASSAGE,
            )
        if tip.score > TIP_OVER_BODY * body.score:
            body = Excerpt("", 0.0)  # the tip is what answers; the body would only crowd it
        elif tip.score < TIP_RELEVANCE * body.score:
            tip = Excerpt("", 0.0)  # a tip that barely matches is noise on a phone screen
        if not body.text and not tip.text and body_units:
            # Nothing matched word for word: the step's opening says what it is about.
            opening = [1.0] + [0.0] * (len(body_units) - 1)
            body = excerpt(body_units, opening, PASSAGE_BUDGET, WHOLE_PASSAGE, 0, verse)
        step_words = self.index.step_word_sets[step_no]
        terms = list(query.words)
        if self.scope_mask[step_no]:
            terms += query.scoped_words
        matched = tuple(
            dict.fromkeys(
                term for term in sorted(terms, key=len, reverse=True) if term in step_words
            )
        )
        return Hit(
            step=step,
            passage=body.text,
            tips=tuple(step.tips[i] for i in order),
            score=score,
            matched_terms=matched,
            tip_passage=tip.text,
            hidden_items=body.hidden_items,
        )

    @staticmethod
    def unit_scores(
        found: Sequence[Unit], numbers: list[int], passage_scores: npt.NDArray[np.float64]
    ) -> list[float]:
        """Each unit's score: the best of its sentences' (``numbers``: the index's passage
        numbers of those sentences, in reading order)."""
        scores = [float(passage_scores[n]) for n in numbers]
        return [
            max((scores[i] for i in unit.pieces if i < len(scores)), default=0.0) for unit in found
        ]

    # -- judging ---------------------------------------------------------------------
    def coverage(self, query: Query, hit: Hit) -> float:
        """The share of the question a step explains, by characters.

        A character is explained when a term that came from it (the word itself, the
        SOP word a synonym, gloss or typo stands for) occurs in the step; stop words
        and punctuation need no explaining. An off-topic question that happens to
        share one word with a step ("今天天氣" → 天天) stays mostly unexplained.
        """
        return self.step_coverage(query, self.step_numbers[id(hit.step)])

    def step_coverage(self, query: Query, step_no: int) -> float:
        """:meth:`coverage` of the step numbered ``step_no``."""
        index = self.index
        return self.explained_share(
            query, step_no, index.step_word_sets[step_no], index.step_gram_sets[step_no]
        )

    def lead_coverage(self, query: Query, step_no: int) -> float:
        """The share of the question the step's first piece explains: its heading, or its
        first sentence where the heading only repeats that."""
        words, grams = self.lead_sets[step_no]
        return self.explained_share(query, step_no, words, grams)

    def explained_share(
        self,
        query: Query,
        step_no: int,
        words: Collection[str],
        grams: frozenset[str],
    ) -> float:
        """The share of the question's content that some of a step's words and
        character pairs account for, each character weighed by :meth:`position_weights`."""
        if not query.content:
            return 0.0
        parts = query.coverage_parts
        if query.scoped_coverage_parts and self.scope_mask[step_no]:
            parts = parts + query.scoped_coverage_parts
        explained = 0  # the places explained, a bit each
        for term, term_grams, places in parts:
            if term in words or (term_grams and term_grams <= grams):
                explained |= places
        share = query.shares.get(explained)
        if share is None:  # many steps explain the same places: each sum is done once
            weights = self.position_weights(query)
            found = sum(weight for i, weight in weights.items() if explained >> i & 1)
            share = query.shares[explained] = found / sum(weights.values())
        return share

    def credited_share(self, query: Query, step_no: int) -> float:
        """:meth:`step_coverage`, where a place the step explains only through a reading of
        the asker's word counts as much as that reading weighs against the word itself.

        "can I bring my dog" and an SOP that says "produce" (bring and produce translate
        one Chinese word) explains "bring" at half its worth: enough to rank the step,
        not to say it answers. A word read in another script, or a synonym as strong as
        the word, counts in full.
        """
        if not query.content:
            return 0.0
        words, grams = self.index.step_word_sets[step_no], self.index.step_gram_sets[step_no]
        readings = [(query.words, query.coverage_parts)]
        if query.scoped_coverage_parts and self.scope_mask[step_no]:
            readings.append((query.scoped_words, query.scoped_coverage_parts))
        credit: dict[int, float] = {}
        for weights, parts in readings:
            for term, term_grams, places in parts:
                if term in words or (term_grams and term_grams <= grams):
                    weight = weights[term]
                    for place in query.content:
                        if places >> place & 1:
                            worth = min(1.0, weight / query.own.get(place, 1.0))
                            credit[place] = max(credit.get(place, 0.0), worth)
        tells = self.position_weights(query)
        found = sum(weight * credit.get(place, 0.0) for place, weight in tells.items())
        return found / sum(tells.values())

    def position_weights(self, query: Query) -> dict[int, float]:
        """How much each character of the question's content tells, for :meth:`coverage`.

        A character counts as much as the rarest corpus word that came from it (活動 in
        every step tells little, 復盤 much); one no corpus word came from counts as the
        rarest word: the question asks for something the corpus does not say.
        """
        if query.position_weights is None:
            idf = self.index.passage_words.idf
            found: dict[int, float] = {}
            for spans_by_term in (query.spans, query.scoped_spans):
                for term, spans in spans_by_term.items():
                    weight = idf.get(term)
                    if weight is None:
                        continue
                    for start, end in spans:
                        for i in range(start, end):
                            found[i] = max(found.get(i, 0.0), weight)
            query.position_weights = {i: found.get(i, self.rarest) for i in query.content}
        return query.position_weights
