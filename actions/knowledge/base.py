"""The knowledge base: the one object the Rasa actions talk to.

``KnowledgeBase.load()`` reads and indexes the snippets once per process (cached);
``answer()`` returns a cited :class:`Answer` or ``None`` when it is not sure, so the
caller can ask a clarifying question instead of guessing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .composing import MAX_SENTENCES, Answer, compose, split_sentences
from .loading import (
    DEFAULT_KNOWLEDGE_DIR,
    FALLBACK_LANG,
    LANGUAGES,
    KnowledgeError,
    Snippet,
    Source,
    load_snippets,
    load_sources,
)
from .ranking import Ranked, RankingSettings, SnippetIndex, build_indexes, load_settings
from .text import content_lemmas, cue_terms

__all__ = ["KnowledgeBase"]

log = logging.getLogger(__name__)
_HERE = Path(__file__).resolve().parent
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"[^\W\d_]+")
# "what does hyperarousal mean, my discharge letter says I have it": the word asked about,
# one or two words, so the story's own words around it do not drown its definition.
_WHAT_DOES_X_MEAN = re.compile(
    r"\bwhat\s+(?:does|do)\s+(?:the\s+(?:word|term)\s+)?[\"'«“]?([^\W\d_]+(?:[\s-][^\W\d_]+)?)[\"'»”]?\s+(?:mean|stand\s+for)\b"
    r"|\bчто\s+(?:значит|означает)\s+(?:слово\s+|термин\s+)?[\"«“]?([^\W\d_]+(?:[\s-][^\W\d_]+)?)[\"»”]?(?=\s*[,.?!]|\s*$)",
    re.IGNORECASE,
)
_POINTERS = frozenset({"it", "that", "this", "they", "those", "these", "это", "то", "оно"})
# A term quoted as someone wrote or said it: «резистентное птср», "PTSD", 'EMDR'.
_QUOTED = re.compile(r"[«“„\"]([^«»“”„\"]{2,60})[»”“\"]|(?<!\w)'([^']{2,60})'(?!\w)")


@lru_cache(maxsize=1)
def _topic_intents() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((_HERE / "intents.yml").read_text(encoding="utf-8"))
    intents: dict[str, dict[str, Any]] = data["topic_intents"]
    return intents


def _script_of(question: str) -> str:
    """Which index to search: the question's own script, whatever the reply language."""
    cyrillic = len(_CYRILLIC.findall(question))
    return "ru" if cyrillic and cyrillic >= len(_LATIN.findall(question)) else "en"


def _names_a_treatment(sentence: str, settings: RankingSettings) -> bool:
    treatments = {t for topic, terms in settings.named_topics.items() for t in terms}
    treatments -= settings.generic_treatment_terms
    return any(t in treatments for t in content_lemmas(sentence))


def _asking_sentence(question: str, settings: RankingSettings) -> tuple[str, bool] | None:
    """The sentence of a message of several that asks the question, and whether it only
    points back at the story before it; None for one sentence or no asking sentence.

    The last sentence that asks (a question mark, or a question word first: "что там
    происходит с мозгом", "правда ли ..."), preferring one that stands on its own over a
    short one that refers back ("is that normal?", "при птср так бывает?").
    """
    sentences = [s for s in _SENTENCE_SPLIT.split(question.strip()) if s.strip()]
    if len(sentences) < 2:
        return None
    fallback: tuple[str, bool] | None = None
    for sentence in reversed(sentences):
        words = _WORD.findall(sentence.lower())
        asks = "?" in sentence or bool(words) and (
            words[0] in settings.question_words or words[1:2] == ["ли"]
        )
        if not asks:
            continue
        # A short sentence with "that"/"это" points back at the story, unless it names a
        # treatment itself ("чем это опасно, там хоть настоящий кетамин?").
        # A sentence that opens with a pronoun ("Её правда применяют при ПТСР или это
        # модная штука?", "Такое от кетамина бывает?") is about the sentence before it,
        # however long it is and whatever it names.
        refers_back = bool(words) and words[0] in settings.referring_words or (
            len(words) <= settings.focus_max_words
            and any(w in settings.referring_words for w in words)
            and not _names_a_treatment(sentence, settings)
        )
        if not refers_back:
            return sentence, False
        fallback = fallback or (sentence, True)
    return fallback


def _earlier_questions(question: str, last: str) -> list[str]:
    """The sentences with a question mark before ``last``, nearest first."""
    sentences = [s for s in _SENTENCE_SPLIT.split(question.strip()) if s.strip()]
    before = sentences[: sentences.index(last)] if last in sentences else []
    return [s for s in reversed(before) if "?" in s]


class KnowledgeBase:
    def __init__(
        self,
        snippets: Mapping[str, Snippet],
        sources: Mapping[str, Source],
        settings: RankingSettings | None = None,
    ) -> None:
        self._snippets = dict(snippets)
        self._sources = dict(sources)
        missing = {s.source for s in self._snippets.values()} - set(self._sources)
        if missing:
            raise KnowledgeError(f"snippets cite unknown sources: {sorted(missing)}")
        self._settings = settings or load_settings()
        self._indexes: dict[str, SnippetIndex] = build_indexes(
            self._snippets, LANGUAGES, self._settings
        )

    @classmethod
    def load(cls, knowledge_dir: Path | str | None = None) -> KnowledgeBase:
        """The knowledge base for ``knowledge_dir`` (default: the repo's), built once."""
        return _load_cached(Path(knowledge_dir) if knowledge_dir else DEFAULT_KNOWLEDGE_DIR)

    @property
    def snippets(self) -> Mapping[str, Snippet]:
        return self._snippets

    @property
    def sources(self) -> Mapping[str, Source]:
        return self._sources

    def snippet(self, snippet_id: str) -> Snippet:
        return self._snippets[snippet_id]

    def topic_buttons(self, lang: str) -> list[dict[str, str]]:
        """Buttons for the clarifying reply, one per topic intent."""
        buttons = []
        for intent, spec in _topic_intents().items():
            titles = spec["title"]
            buttons.append(
                {"title": titles.get(lang) or titles[FALLBACK_LANG], "payload": f"/{intent}"}
            )
        return buttons

    def overview(self, intent: str, lang: str = "en") -> Answer | None:
        """The answer to a topic button (payload "/<intent>"), which carries no question."""
        spec = _topic_intents().get(intent)
        if not spec or spec.get("overview") not in self._snippets:
            return None
        lang = lang if lang in LANGUAGES else FALLBACK_LANG
        snippet = self._snippets[spec["overview"]]
        return compose([snippet], [self._sources[snippet.source]], lang, 1.0)

    def rank(
        self,
        question: str,
        intent: str | None = None,
        intent_confidence: float = 0.0,
        script: str | None = None,
    ) -> list[Ranked]:
        """Candidates for ``question``, best first (for evaluation and debugging).
        ``script``: the index to search when the question's own letters do not say
        (a query built from canonical terms)."""
        boost_topics = self._boost_topics(intent, intent_confidence)
        boost = self._settings.intent_prior * intent_confidence if boost_topics else 0.0
        index = self._indexes[script or _script_of(question)]
        return index.rank(question, boost_topics, boost)

    def answer(
        self,
        question: str,
        lang: str = "en",
        intent: str | None = None,
        intent_confidence: float = 0.0,
        out_of_scope: bool = False,
    ) -> Answer | None:
        """A cited answer, or None when no snippet explains enough of the question.

        ``out_of_scope``: NLU classed the message as outside the assistant's scope; it is
        answered only when a snippet explains it as well as a question without any term
        of the domain would need (a domain word alone, "a good therapist in my town", is
        not enough to overrule NLU).
        """
        lang = lang if lang in LANGUAGES else FALLBACK_LANG
        # A message of several sentences usually tells a story and asks at the end
        # ("My husband came back from deployment… Do soldiers often get PTSD?"): the
        # whole message and its asking sentence are both ranked, and the asking
        # sentence's pick is preferred (rules below). One that only points back ("is
        # that normal?") is used only when the whole message gives no answer.
        picked = self._pick(question, intent, intent_confidence, out_of_scope)
        focus = _asking_sentence(question, self._settings)
        if focus is not None:
            sentence, refers_back = focus
            focused = self._pick(sentence, intent, intent_confidence, out_of_scope)
            # The asking sentence wins unless it only points back, or it has no term of
            # the domain while the whole message has one its best snippet explains ("my
            # brother is on sertraline and ketamine... what did the trials show?": the
            # last sentence alone matches any snippet about trials).
            if picked is None or (
                focused is not None
                and not refers_back
                and (
                    focused[0].in_domain
                    or not picked[0].in_domain
                    or self._points_at_one_by_its_words(sentence, focused, out_of_scope)
                )
                and not self._story_answer_dominates(picked, focused)
            ):
                picked = focused
        if picked is None and focus is not None:
            # Several questions in one message ("What happens in the brain with PTSD? Why
            # does my body act as if there's danger?"): when neither the whole nor the last
            # one is explained, an earlier question that is explained is answered.
            for sentence in _earlier_questions(question, focus[0]):
                picked = self._pick(sentence, intent, intent_confidence, out_of_scope)
                if picked is not None:
                    break
        meaning = self._meaning_asked(question, intent, intent_confidence, out_of_scope)
        if meaning is not None:
            picked = meaning
        defined = self._defined_term(question)
        if defined is not None:
            query = f"what is {defined}"
            script = _script_of(question)
            picked = self._pick(query, intent, intent_confidence, out_of_scope, script) or picked
        if picked is None:
            return None
        best, others = picked
        chosen = [self._snippets[best.snippet_id], *self._companion(best, others, lang)]
        sources = [self._sources[sid] for sid in dict.fromkeys(s.source for s in chosen)]
        return compose(chosen, sources, lang, round(best.coverage, 3))

    def _pick(
        self,
        question: str,
        intent: str | None,
        intent_confidence: float,
        out_of_scope: bool,
        script: str | None = None,
    ) -> tuple[Ranked, list[Ranked]] | None:
        """The best candidate and the rest, or None when the best does not explain enough."""
        ranked = self.rank(question, intent, intent_confidence, script)
        if not ranked:
            return None
        best = ranked[0]
        if best.off_domain and not best.in_domain:
            return None  # about another condition ("the best medicine for a headache")
        best_snippet = self._snippets[best.snippet_id]
        on_intent = bool(self._boost_topics(intent, intent_confidence) & set(best_snippet.topics))
        if on_intent and best.in_domain:
            needed = self._settings.min_coverage_with_intent
        elif on_intent:
            needed = self._settings.min_coverage_with_intent_outside
        elif best.in_domain:
            needed = self._settings.min_coverage_in_domain
        else:
            needed = self._settings.min_coverage
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        if (
            best.in_domain
            and best.matched >= 2
            and best.score >= self._settings.dominance_ratio * runner_up
        ):
            needed = min(needed, self._settings.min_coverage_dominant)
        if out_of_scope:
            needed = max(needed, self._settings.min_coverage)
        # Log ids and scores only: the question itself is health data.
        log.debug(
            "knowledge: best=%s coverage=%.2f needed=%.2f", best.snippet_id, best.coverage, needed
        )
        # A story (many words) is judged on the words the snippets know: its own details
        # ("sick note", "house fire") say nothing against the snippet. A short question
        # keeps its unknown words as evidence it is about something else ("a good
        # therapy dog breed").
        story = best.words >= self._settings.story_min_words
        coverage = best.coverage_known if best.in_domain and story and not out_of_scope else best.coverage
        if coverage < needed:
            return None
        if not (on_intent or best.in_domain) and best.matched < self._settings.min_matched_outside:
            # Without a confident intent or a term of the domain, one shared word is too
            # thin ("how do I fix my car" / "car accidents").
            return None
        if not best.in_domain and best.unknown_words > (
            0 if out_of_scope else self._settings.max_unknown_outside
        ):
            # No term of the domain, and words no snippet uses ("how much does a new
            # passport cost", "what causes hiccups"): the shared words are a coincidence.
            return None
        return best, ranked[1:]

    def _meaning_asked(
        self, question: str, intent: str | None, intent_confidence: float, out_of_scope: bool
    ) -> tuple[Ranked, list[Ranked]] | None:
        """The definition of X when a longer message asks "what does X mean" of one word."""
        asked = _WHAT_DOES_X_MEAN.search(question)
        if asked is None or len(_WORD.findall(question)) <= 4:
            return None
        word = asked.group(1) or asked.group(2)
        if word.lower() in _POINTERS:
            return None
        script = _script_of(question)
        query = f"what is {word}" if script == "en" else f"что такое {word}"
        meaning = self._pick(query, intent, intent_confidence, out_of_scope, script)
        return meaning if meaning is not None and meaning[0].in_domain else None

    def _story_answer_dominates(
        self, whole: tuple[Ranked, list[Ranked]], focused: tuple[Ranked, list[Ranked]]
    ) -> bool:
        """The whole message points clearly at one snippet and the asking sentence's pick is
        a weak candidate there ("...ketamine goes back to the 1960s. How did a drug that old
        end up being studied for PTSD?": the question leans on the story's subject)."""
        best, others = whole
        if focused[0].snippet_id == best.snippet_id:
            return False
        runner_up = others[0].score if others else 0.0
        if best.score < self._settings.story_dominance_ratio * runner_up:
            return False
        in_whole = next((r for r in others if r.snippet_id == focused[0].snippet_id), None)
        return in_whole is None or in_whole.score * self._settings.story_dominance_ratio <= best.score

    def _defined_term(self, question: str) -> str | None:
        """The X of "what is X" when a story names one thing to define and asks what "it" means.

        "the gp wrote ptsd on my sick note ... what does it even mean": the sentence with
        the define cue names nothing; the story names one definable term (PTSD, EMDR,
        ketamine..., not "therapist"), so that term's definition is the question. A
        quoted term is taken whole ("«резистентное птср». это что значит?"). Several
        definable terms, or one in the defining sentence, leave the ordinary ranking alone.
        """
        sentences = [s for s in _SENTENCE_SPLIT.split(question.strip()) if s.strip()]
        defining = next((s for s in reversed(sentences) if "define" in content_lemmas(s)), None)
        if defining is None or len(sentences) < 2:
            return None
        definable = self._settings.definable_terms
        domain = self._settings.domain_terms
        own_words = [t for t in content_lemmas(defining) if t in domain and t not in cue_terms()]
        if own_words:
            # The defining sentence names a term of the domain itself ("что значит статус
            # прорывной терапии?" after "МДМА-терапию уже разрешили?"): the ordinary ranking
            # reads it. Filler ("none of us know", "in normal words") does not count.
            return None
        spans = [a or b for a, b in _QUOTED.findall(question)]
        quoted = [q for q in spans if definable & set(content_lemmas(q))]
        named = [t for t in dict.fromkeys(content_lemmas(question)) if t in definable]
        if len(quoted) == 1:
            return quoted[0]
        if len(spans) == 1 and len(named) == 1:
            # "described my dad's PTSD as 'treatment-resistant'": the quoted words qualify
            # the one term the story names.
            return f"{spans[0]} {named[0]}"
        return named[0] if len(named) == 1 else None

    def _points_at_one(self, picked: tuple[Ranked, list[Ranked]]) -> bool:
        """The sentence is explained almost whole by one snippet that far outscores the
        rest ("is it common for treatment not to work?"): it asks about that snippet even
        without a term of the domain, whatever drugs the story around it names."""
        best, others = picked
        runner_up = others[0].score if others else 0.0
        return (
            best.coverage >= self._settings.focus_clear_coverage
            and best.score >= self._settings.focus_clear_ratio * runner_up
        )

    def _points_at_one_by_its_words(
        self, sentence: str, focused: tuple[Ranked, list[Ranked]], out_of_scope: bool
    ) -> bool:
        """``_points_at_one`` judged on the sentence's own words, without the intent prior:
        the intent was guessed from the whole message, and its boost alone can make one
        snippet look clear ("...how does ketamine compare with SSRIs? whats different" took
        a medication intent, and "whats different" then pointed at a medication snippet)
        or hide the one the sentence does name ("anything newer for people like me?")."""
        raw = self._pick(sentence, None, 0.0, out_of_scope)
        return (
            raw is not None
            and raw[0].snippet_id == focused[0].snippet_id
            and self._points_at_one(raw)
        )

    def _boost_topics(self, intent: str | None, confidence: float) -> frozenset[str]:
        if not intent or confidence < self._settings.min_intent_confidence:
            return frozenset()
        spec = _topic_intents().get(intent)
        return frozenset(spec["topics"]) if spec else frozenset()

    def _companion(self, best: Ranked, others: list[Ranked], lang: str) -> list[Snippet]:
        """A second snippet when it scores close to the best, shares its main topic and
        the reply stays within MAX_SENTENCES."""
        first = self._snippets[best.snippet_id]
        room = MAX_SENTENCES - len(split_sentences(first.text_in(lang)))
        for cand in others[:2]:
            if cand.score < self._settings.second_snippet_ratio * best.score:
                break
            snippet = self._snippets[cand.snippet_id]
            if (
                first.topics[0] in snippet.topics
                and len(split_sentences(snippet.text_in(lang))) <= room
            ):
                return [snippet]
        return []


@lru_cache(maxsize=4)
def _load_cached(knowledge_dir: Path) -> KnowledgeBase:
    sources = load_sources(knowledge_dir)
    return KnowledgeBase(load_snippets(knowledge_dir, sources), sources)
